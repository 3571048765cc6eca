package media

import (
	"slices"
	"sync"
	"time"
)

// latencyWindow is how many recent latency samples the percentiles are
// computed from: ten seconds at 30 fps.
const latencyWindow = 300

// VideoStats is what the receive pipeline has seen so far.
type VideoStats struct {
	FramesDecoded  uint64
	FramesDropped  uint64 // complete frames the decoder could not use
	KeyframesAsked uint64
	Width, Height  int
	FirstFrameAt   time.Time // zero until the first frame decodes
	LatencyP50     time.Duration
	LatencyP95     time.Duration
	LatencySamples int // frames whose capture stamp was read back, in the window
	// LongestFreeze is the longest time between two decoded frames since
	// the first one: what a viewer sees as a frozen picture.
	LongestFreeze time.Duration
}

// latencyTracker keeps the most recent glass-to-glass latencies.
type latencyTracker struct {
	mu      sync.Mutex
	samples [latencyWindow]time.Duration
	n, next int
	scratch []time.Duration
}

func (l *latencyTracker) add(d time.Duration) {
	l.mu.Lock()
	l.samples[l.next] = d
	l.next = (l.next + 1) % latencyWindow
	if l.n < latencyWindow {
		l.n++
	}
	l.mu.Unlock()
}

// percentiles returns the 50th and 95th percentiles and the sample count.
func (l *latencyTracker) percentiles() (p50, p95 time.Duration, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0, 0, 0
	}
	l.scratch = append(l.scratch[:0], l.samples[:l.n]...)
	slices.Sort(l.scratch)
	at := func(q float64) time.Duration { return l.scratch[int(q*float64(l.n-1)+0.5)] }
	return at(0.50), at(0.95), l.n
}
