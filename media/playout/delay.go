package playout

import "math"

// Network timing. Every packet's transit is its arrival time minus its RTP
// timestamp, both in samples; the constant offset between the two clocks
// cancels out of everything below. The smallest transit over a recent window
// is the fastest path through the network, and a packet's transit above it
// is how late it was. The jitter estimate is the second-largest such
// lateness over the window (one odd straggler is not enough to raise it), so
// it rises at once with a delay spike, is held while the window remembers
// the spike, and then decays exponentially. A window of a couple of seconds
// also keeps the fastest-path estimate fresh when the sender's clock drifts.

const (
	delayWindow = 2 * sampleRate   // samples of arrival time remembered
	delayRing   = 512              // packets remembered (2 s of 5 ms packets)
	delayDecay  = 1.5 * sampleRate // time constant of the jitter's decay
)

type delayEstimator struct {
	at, transit [delayRing]float64
	head, n     int

	minTransit float64 // fastest transit in the window
	jitter     float64 // lateness to allow for, in samples
	last       float64 // arrival of the latest update
	primed     bool
}

func (e *delayEstimator) reset() { *e = delayEstimator{} }

// add records one packet's arrival and transit, in samples.
func (e *delayEstimator) add(at, transit float64) {
	if e.n == delayRing {
		e.n--
	}
	e.at[e.head], e.transit[e.head] = at, transit
	e.head = (e.head + 1) % delayRing
	e.n++
	for e.n > 1 {
		oldest := (e.head - e.n + delayRing) % delayRing
		if at-e.at[oldest] <= delayWindow {
			break
		}
		e.n--
	}

	lo, top1, top2 := math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range e.n {
		t := e.transit[(e.head-1-i+delayRing)%delayRing]
		lo = min(lo, t)
		if t > top1 {
			top1, top2 = t, top1
		} else if t > top2 {
			top2 = t
		}
	}
	e.minTransit = lo
	raw := 0.0
	if e.n >= 2 {
		raw = top2 - lo
	}
	if !e.primed || raw >= e.jitter {
		e.jitter = raw
	} else {
		dt := max(at-e.last, 0)
		e.jitter = raw + (e.jitter-raw)*math.Exp(-dt/delayDecay)
	}
	e.last = at
	e.primed = true
}
