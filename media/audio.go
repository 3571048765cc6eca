package media

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"peercall/media/opus"
	"peercall/media/playout"
	"peercall/media/tone"
)

// AudioFrame is the length of one Opus packet Peercall sends.
const AudioFrame = 20 * time.Millisecond

// AudioFrameSamples is one send frame of mono audio at 48 kHz.
const AudioFrameSamples = opus.SampleRate / int(time.Second/AudioFrame)

// OutputFrameSamples is what outputs pull at a time: 10 ms at 48 kHz.
const OutputFrameSamples = opus.SampleRate / 100

// AudioInput produces the audio a call sends.
type AudioInput interface {
	// ReadFrame blocks until the next 20 ms of mono audio is in pcm
	// (AudioFrameSamples long). It returns ctx.Err() when ctx ends and an
	// error when the input stopped (a microphone unplugged).
	ReadFrame(ctx context.Context, pcm []int16) error
	Close() error
	Name() string
}

// Latency markers: the tone turns to markerFreq for markerLen at the start
// of every wall-clock second, so a receiver on the same clock can time the
// way from "mouth" to "ear".
const (
	toneFreq   = 440
	markerFreq = 880
	markerLen  = 40 * time.Millisecond
)

// ToneInput is a generated 440 Hz tone with a latency marker each second:
// the audio of headless calls and tests.
type ToneInput struct {
	tone, marker *tone.Generator
	scratch      [AudioFrameSamples]int16
	ticker       *time.Ticker
	done         chan struct{}
	once         sync.Once
}

// NewToneInput starts the tone's clock.
func NewToneInput() *ToneInput {
	return &ToneInput{
		tone:   tone.NewGenerator(toneFreq, 0.3, 1),
		marker: tone.NewGenerator(markerFreq, 0.3, 1),
		ticker: time.NewTicker(AudioFrame),
		done:   make(chan struct{}),
	}
}

// ReadFrame waits for the next 20 ms and fills it.
func (t *ToneInput) ReadFrame(ctx context.Context, pcm []int16) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return errSourceClosed
	case <-t.ticker.C:
	}
	// The frame was "captured" over the last 20 ms; each sample whose time
	// falls in the first markerLen of a second carries the marker.
	start := time.Now().Add(-AudioFrame)
	t.tone.Fill(pcm)
	t.marker.Fill(t.scratch[:len(pcm)])
	sample := time.Second / opus.SampleRate
	into := time.Duration(start.UnixNano() % int64(time.Second))
	for i := range pcm {
		at := (into + time.Duration(i)*sample) % time.Second
		if at < markerLen {
			pcm[i] = t.scratch[i]
		}
	}
	return nil
}

// Close stops the tone.
func (t *ToneInput) Close() error {
	t.once.Do(func() {
		close(t.done)
		t.ticker.Stop()
	})
	return nil
}

// Name reports "tone".
func (t *ToneInput) Name() string { return "tone" }

// AudioSender encodes an input as Opus (in-band FEC, DTX) and writes it.
type AudioSender struct {
	in    AudioInput
	write SampleWriter
	muted atomic.Bool
	sent  atomic.Uint64
}

// NewAudioSender prepares the loop; Run starts it.
func NewAudioSender(in AudioInput, write SampleWriter) *AudioSender {
	return &AudioSender{in: in, write: write}
}

// SetMuted sends silence (which DTX shrinks to almost nothing) instead of
// the input. Safe from any goroutine.
func (a *AudioSender) SetMuted(m bool) { a.muted.Store(m) }

// PacketsSent counts packets written so far.
func (a *AudioSender) PacketsSent() uint64 { return a.sent.Load() }

// Run sends until ctx ends or the input stops.
func (a *AudioSender) Run(ctx context.Context) error {
	enc, err := opus.NewEncoder(opus.EncoderConfig{Channels: 1, FEC: true, DTX: true, ExpectedLossPct: 10})
	if err != nil {
		return err
	}
	defer enc.Close()
	pcm := make([]int16, AudioFrameSamples)
	out := make([]byte, 1500)
	for {
		if err := a.in.ReadFrame(ctx, pcm); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if a.muted.Load() {
			clear(pcm)
		}
		n, err := enc.Encode(pcm, out)
		if err != nil {
			return err
		}
		if err := a.write(out[:n], AudioFrame); err == nil {
			a.sent.Add(1)
		}
	}
}

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

// AudioReceiver is the receive path of one remote audio track: a jitter
// buffer with Opus decoding, loss concealment and FEC. Push is called from
// the track's reader; Pull from the output.
type AudioReceiver struct {
	play *playout.Playout
}

// NewAudioReceiver makes a receiver for a mono or stereo Opus stream.
func NewAudioReceiver() (*AudioReceiver, error) {
	p, err := playout.New(playout.Config{Channels: 1})
	if err != nil {
		return nil, err
	}
	return &AudioReceiver{play: p}, nil
}

// Push takes one RTP packet.
func (a *AudioReceiver) Push(pkt *rtp.Packet) { a.play.Push(pkt, time.Now()) }

// Close releases the decoder.
func (a *AudioReceiver) Close() error { return a.play.Close() }

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
	marker := markerPower(pcm)
	s.mu.Lock()
	s.level = tone.Level(pcm)
	if marker && !s.inMarker {
		// Onset: the marker left its sender at the last whole second.
		played := now.Add(s.outputDelay)
		into := time.Duration(played.UnixNano() % int64(time.Second))
		if into < 900*time.Millisecond {
			s.mouthToEar = into
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

// markerPower tells whether a 10 ms frame is mostly the marker tone:
// Goertzel power at the marker frequency against the main tone's.
func markerPower(pcm []int16) bool {
	m, t := goertzel(pcm, markerFreq), goertzel(pcm, toneFreq)
	return m > 4*t && m > 1e-4
}

func goertzel(pcm []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / opus.SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range pcm {
		s := float64(v)/32768 + coeff*s1 - s2
		s2, s1 = s1, s
	}
	return (s1*s1 + s2*s2 - coeff*s1*s2) / float64(len(pcm)*len(pcm))
}
