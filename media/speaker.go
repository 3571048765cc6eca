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

	mu          sync.Mutex
	inMarker    bool
	mouthToEar  time.Duration
	level       float64
	outputDelay time.Duration
}

// NewSpeaker makes a speaker with nothing attached.
func NewSpeaker() *Speaker { return &Speaker{level: tone.MinLevel} }

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
		return
	}
	r.play.Read(pcm)
	now := time.Now()
	marker := tone.HasMarker(pcm)
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
