package res

import (
	"math"
	"peercall/media/aec"
	"sync"
	"sync/atomic"
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

	// Playback's delay line for the played audio, and the delay it adds
	// beyond its own (float64 bits, samples): the clock drift followed
	// so far, steered from Capture (drift.go).
	pmu     sync.Mutex
	dl      *delayLine
	delayed []int16
	drift   atomic.Uint64

	mu       sync.Mutex
	sup      *Suppressor
	lout     []int16
	echo, e  []float32
	played   []int16
	x        []float32
	out      []float64
	rate     float64 // the drift's rate, samples per driftFrames frames
	anchor   float64 // the echo's delay held, samples
	anchored bool
	// candidate is a new echo path's delay measured once, waiting for a
	// second measurement to agree.
	candidate float64
}

// New makes a Canceller with the suppressor's tuning p.
func New(p Params) (*Canceller, error) {
	lin, err := aec.New(aec.Config{SampleRate: Rate, FrameSamples: Hop, LinearOnly: true})
	if err != nil {
		return nil, err
	}
	return &Canceller{candidate: math.Inf(1), lin: lin, dl: newDelayLine(), delayed: make([]int16, Hop), sup: NewSuppressor(p), lout: make([]int16, Hop),
		echo: make([]float32, Hop), e: make([]float32, Hop), played: make([]int16, Hop),
		x: make([]float32, Hop), out: make([]float64, Hop)}, nil
}

// Playback records a frame (Hop samples) handed to the speaker; see
// media/aec's Playback. The frame goes through the drift delay line
// first.
func (c *Canceller) Playback(far []int16) {
	if len(far) != Hop {
		c.lin.Playback(far) // counted there as WrongLength
		return
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.dl.process(far, c.Drift(), c.delayed)
	c.lin.Playback(c.delayed)
}

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
	if c.sup.frames%driftFrames == 0 {
		c.followDrift()
	}
	for i, v := range c.out {
		out[i] = int16(max(-32768, min(32767, v+0.5*sign(v))))
	}
}

// followDrift steers the played audio's delay line so that the echo's
// measured delay holds still (drift.go says how).
func (c *Canceller) followDrift() {
	d, ok := c.sup.EchoDelay()
	var e float64
	switch {
	case !ok:
	case !c.anchored || math.Abs(d-c.anchor) > reanchor:
		// A new echo path, once two measurements in a row agree on it
		// (a measurement that agrees with the path held clears one).
		if math.Abs(d-c.candidate) > reanchor {
			c.candidate = d
			break
		}
		c.anchor, c.anchored = d, true
		c.candidate = math.Inf(1)
	default:
		e = d - c.anchor
		c.candidate = math.Inf(1)
	}
	c.rate += driftRateGain * e
	drift := c.Drift() + c.rate + driftGain*e
	if drift < 0 && c.rate < -minAlignRate && c.anchored && c.anchor > alignDelay+alignSlack {
		// The echo comes earlier and earlier, and the played audio
		// cannot come earlier than it is handed over: delay it by all
		// but alignDelay of the echo's delay, once, so that there is
		// room to follow (the filter sees the echo path move once).
		shift := c.anchor - alignDelay
		drift += shift
		c.anchor -= shift
	}
	if drift < 0 {
		drift, c.rate = 0, max(0, c.rate)
	}
	c.drift.Store(math.Float64bits(drift))
}

// Drift returns the delay the canceller adds to the played audio to
// follow the echo as the clocks drift apart, in samples.
func (c *Canceller) Drift() float64 { return math.Float64frombits(c.drift.Load()) }

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
