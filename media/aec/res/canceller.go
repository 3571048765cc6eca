package res

import (
	"peercall/media/aec"
	"sync"
)

// Latency is how many samples a Canceller's output lags its input.
const Latency = Hop

// Canceller is speexdsp's adaptive filter (media/aec, linear only)
// followed by a Suppressor: a drop-in for media/aec's Canceller in the
// two device threads. Playback and Capture may be called from different
// threads at the same time; Capture allocates nothing. Create it with New
// and release it with Close.
type Canceller struct {
	lin *aec.Canceller

	mu      sync.Mutex
	sup     *Suppressor
	lout    []int16
	echo, e []float32
	played  []int16
	x       []float32
	out     []float64
}

// New makes a Canceller with the suppressor's tuning p.
func New(p Params) (*Canceller, error) {
	lin, err := aec.New(aec.Config{SampleRate: Rate, FrameSamples: Hop, LinearOnly: true})
	if err != nil {
		return nil, err
	}
	return &Canceller{lin: lin, sup: NewSuppressor(p), lout: make([]int16, Hop),
		echo: make([]float32, Hop), e: make([]float32, Hop), played: make([]int16, Hop),
		x: make([]float32, Hop), out: make([]float64, Hop)}, nil
}

// Playback records a frame (Hop samples) handed to the speaker; see
// media/aec's Playback.
func (c *Canceller) Playback(far []int16) { c.lin.Playback(far) }

// Capture removes the echo and noise from one microphone frame (Hop
// samples) and writes Hop samples to out, Latency samples late. out may be
// mic. Frames of the wrong length are ignored (media/aec counts them).
func (c *Canceller) Capture(mic, out []int16) { c.CaptureRef(mic, out, nil) }

// CaptureRef is Capture that also hands out, in played (Hop samples, or
// nil for none), the played frame used as the reference.
func (c *Canceller) CaptureRef(mic, out, played []int16) {
	if len(mic) != Hop || len(out) < Hop {
		c.lin.Capture(mic, out) // counted there as WrongLength
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	defer copy(played, c.played)
	c.lin.CaptureEcho(mic, c.lout, c.echo, c.played)
	for i := range Hop {
		c.e[i] = float32(c.lout[i])
		c.x[i] = float32(c.played[i])
	}
	c.sup.Process(c.e, c.echo, c.x, c.out)
	for i, v := range c.out {
		out[i] = int16(max(-32768, min(32767, v+0.5*sign(v))))
	}
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// Stats returns the linear filter's counters.
func (c *Canceller) Stats() aec.Stats { return c.lin.Stats() }

// Close releases the linear filter. Calling it more than once is safe.
func (c *Canceller) Close() error { return c.lin.Close() }
