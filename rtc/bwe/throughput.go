package bwe

import "time"

const (
	// The acknowledged rate is what arrived over the last
	// throughputWindow of the receiver's clock, counted in buckets of
	// throughputBucket: long enough to smooth over a frame's burst and a
	// link's jitter, short enough to follow a cut within a second.
	throughputBucket  = 50 * time.Millisecond
	throughputBuckets = 10 // the window: 500 ms
	throughputRing    = 32 // buckets kept, for packets that arrive out of order
)

// throughput measures the rate at which packets reach the receiver, from
// the arrival times in its feedback.
type throughput struct {
	bytes   [throughputRing]int
	index   [throughputRing]int64 // which bucket each slot holds
	first   int64                 // first bucket seen
	newest  int64
	started bool
}

// add counts one received packet.
func (t *throughput) add(arrival time.Duration, size int) {
	b := int64(arrival / throughputBucket)
	if !t.started {
		t.first, t.newest, t.started = b, b, true
	}
	if b <= t.newest-throughputRing {
		return // older than anything kept
	}
	if b > t.newest {
		t.newest = b
	}
	i := slot(b)
	if t.index[i] != b {
		t.index[i], t.bytes[i] = b, 0
	}
	t.bytes[i] += size
}

// rate is the acknowledged rate in bit/s over the whole buckets before
// the newest (which is still filling); ok is false until the feedback has
// covered a whole window.
func (t *throughput) rate() (bps float64, ok bool) {
	if !t.started || t.newest-t.first <= throughputBuckets {
		return 0, false
	}
	total := 0
	for b := t.newest - throughputBuckets; b < t.newest; b++ {
		if i := slot(b); t.index[i] == b {
			total += t.bytes[i]
		}
	}
	return float64(total*8) / (throughputBuckets * throughputBucket).Seconds(), true
}

// slot is where bucket b lives in the ring.
func slot(b int64) int64 { return (b%throughputRing + throughputRing) % throughputRing }
