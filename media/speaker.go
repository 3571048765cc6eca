package media

import (
	"sync"
	"sync/atomic"
	"time"

	"peercall/media/tone"
)

// AudioStats is what the audio receive path has seen.
type AudioStats struct {
	PacketsReceived uint64
	PacketsLost     uint64
	FECRecovered    uint64
	ConcealedMs     float64
	LevelDBFS       float64       // level of what was last played
	BufferDelay     time.Duration // audio waiting in the jitter buffer
	MouthToEar      time.Duration // from the latest latency marker; 0 before one
}

// Speaker is where remote audio is played from: outputs pull 10 ms mono
// frames from it, and it reads them from the current remote track (or gives
// silence). It also times the tone's latency markers as they are played.
type Speaker struct {
	cur  atomic.Pointer[AudioReceiver]
	last atomic.Pointer[AudioReceiver] // for statistics after the track ends

	gain  *Gain       // the volume, applied to what is played
	meter *LevelMeter // what is played, after the volume

	mu          sync.Mutex
	inMarker    bool
	mouthToEar  time.Duration
	level       float64
	outputDelay time.Duration
}

// NewSpeaker makes a speaker with nothing attached.
func NewSpeaker() *Speaker {
	return &Speaker{level: tone.MinLevel, gain: NewGain(), meter: NewLevelMeter()}
}

// SetVolume sets how loud the other side is played: 1 as received, 0
// silent, up to MaxVolume. The change is smooth; safe from any goroutine.
func (s *Speaker) SetVolume(v float64) { s.gain.SetVolume(v) }

// Volume is the volume last set.
func (s *Speaker) Volume() float64 { return s.gain.Volume() }

// Level is the level of what the speaker plays, at the volume set, as a
// meter reads it (dBFS).
func (s *Speaker) Level() float64 { return s.meter.Level() }

// Attach makes r the track that is played.
func (s *Speaker) Attach(r *AudioReceiver) {
	s.cur.Store(r)
	s.last.Store(r)
}

// Detach stops playing r if it is the current track.
func (s *Speaker) Detach(r *AudioReceiver) { s.cur.CompareAndSwap(r, nil) }

// SetOutputDelay tells how long the output takes from Pull to the ear (a
// device's buffering), added to the latency figure.
func (s *Speaker) SetOutputDelay(d time.Duration) {
	s.mu.Lock()
	s.outputDelay = d
	s.mu.Unlock()
}

// Pull fills pcm (OutputFrameSamples long) with the next audio to play.
func (s *Speaker) Pull(pcm []int16) {
	r := s.cur.Load()
	if r == nil {
		clear(pcm)
		s.meter.Measure(pcm)
		return
	}
	r.play.Read(pcm)
	now := time.Now()
	// The latency marker is looked for in the sound as received, so that
	// the volume does not hide it.
	marker := tone.HasMarker(pcm)
	s.gain.Apply(pcm)
	s.meter.Measure(pcm)
	s.mu.Lock()
	s.level = tone.Level(pcm)
	if marker && !s.inMarker {
		// Onset: timed from when it reaches the ear.
		if d, ok := tone.MarkerLatency(now.Add(s.outputDelay)); ok {
			s.mouthToEar = d
		}
	}
	s.inMarker = marker
	s.mu.Unlock()
}

// Stats reports the current (or last) track's figures and the latest
// latency.
func (s *Speaker) Stats() AudioStats {
	var st AudioStats
	if r := s.last.Load(); r != nil {
		ps := r.play.Stats()
		st.PacketsReceived, st.PacketsLost, st.FECRecovered = ps.PacketsReceived, ps.PacketsLost, ps.FECRecovered
		st.ConcealedMs = ps.ConcealedMs
		st.BufferDelay = ps.BufferedDelay
	}
	s.mu.Lock()
	st.LevelDBFS, st.MouthToEar = s.level, s.mouthToEar
	s.mu.Unlock()
	return st
}
