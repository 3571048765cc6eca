package bwe

import (
	"math"
	"time"
)

// usage is what the one-way delay says of the path.
type usage int

const (
	usageNormal usage = iota
	usageOver         // a queue is building: the path is over-used
	usageUnder        // a queue is draining
)

func (u usage) String() string {
	switch u {
	case usageOver:
		return "over"
	case usageUnder:
		return "under"
	}
	return "normal"
}

const (
	// groupSpan: packets sent within this of a group's first packet form
	// one group (a frame's packets leave back to back, there is no pacer),
	// and the delay is compared between groups, not packets.
	groupSpan = 5 * time.Millisecond
	// burstSpan, burstMax: a packet that arrives within burstSpan of its
	// group's latest, and sooner after it than it was sent after the
	// group's last packet, was held back with the group and let go with
	// it: a receiving process off the CPU for a moment reads what came
	// meanwhile all at once, as a radio sends what it gathered. It joins
	// the group (for as long as the group's arrivals span under
	// burstMax), whose delay, read at its last packet, then shows no
	// queue where there was none. burstSpan is short enough that a
	// bottleneck as slow as the media it carries (500 kbit/s: 1.6 ms for
	// an audio packet) never lets two packets through that close.
	burstSpan = time.Millisecond
	burstMax  = 100 * time.Millisecond
	// groupGapReset: after a pause in sending this long the delay trend
	// starts afresh; what the queue did before says nothing now.
	groupGapReset = 2 * time.Second

	// The delay trend is the slope of the queueing delay, smoothed, over
	// the last trendWindow groups: at ~80 groups a second
	// (frames and audio packets), half a second. A browser's 20 took
	// ±20 ms of per-packet jitter for a queue several times a minute in
	// simulation; 40 never did in half an hour, and still sees a queue
	// growing at a fifth of the drain rate within 300 ms.
	trendWindow    = 40
	trendSmoothing = 0.9
	trendGain      = 4.0
	trendMaxCount  = 60

	// An over-use is declared when the trend stays above the threshold
	// for overuseTime and two groups in a row, and is still rising.
	overuseTime = 10 * time.Millisecond

	// The threshold adapts to the trend's own noise: it sinks toward
	// small trends quickly and rises toward large ones slowly, skipping
	// those far above it (a real queue).
	thresholdInitial = 12.5 // ms
	thresholdMin     = 6.0
	thresholdMax     = 600.0
	thresholdUp      = 0.0087
	thresholdDown    = 0.039
	thresholdSkip    = 15.0 // ms above the threshold
	thresholdMaxStep = 100.0
)

// group is packets sent together: their delay is compared as one.
type group struct {
	first, last  time.Time     // send times of its first and last packet
	firstArrival time.Duration // the arrival of its first packet
	arrival      time.Duration // the latest arrival among its packets
}

// delayDetector tells a building queue from a steady one by the trend of
// the one-way delay between groups of packets, as GCC's trendline
// estimator does: a least-squares slope over a window of groups, which a
// link's jitter — every packet delayed by its own random amount, packets
// overtaking one another — moves far less than the delay between two
// single groups.
type delayDetector struct {
	cur, prev         group
	haveCur, havePrev bool

	// Trend.
	origin       time.Duration // arrival of the first group compared
	haveOrigin   bool
	accumulated  float64 // ms of delay gained since the first group
	smoothed     float64
	xs, ys       [trendWindow]float64
	points, next int
	count        int // groups compared, up to trendMaxCount
	trend        float64
	prevTrend    float64

	// Detection.
	threshold  float64
	lastAdapt  time.Duration
	haveAdapt  bool
	overMs     float64 // how long the trend has been above the threshold; -1: not
	overCount  int
	hypothesis usage
	overuses   int // over-uses declared, for the statistics
}

func newDelayDetector() delayDetector {
	return delayDetector{threshold: thresholdInitial, overMs: -1}
}

// add takes one received packet's result, in order of arrival, and
// reports whether it completed a group that made the detector declare an
// over-use.
func (d *delayDetector) add(r result) (overuse bool) {
	if r.lost || r.noTime {
		return false
	}
	if !d.haveCur {
		d.cur, d.haveCur = newGroup(r), true
		return false
	}
	if r.sent.Before(d.cur.first) {
		return false // overtaken by a later group: its delay is not the queue's
	}
	if r.sent.Sub(d.cur.first) <= groupSpan || d.inBurst(r) {
		if r.sent.After(d.cur.last) {
			d.cur.last = r.sent
		}
		d.cur.arrival = max(d.cur.arrival, r.arrival)
		return false
	}
	// r starts the next group: the current one is complete.
	if d.havePrev {
		overuse = d.compare(d.prev, d.cur)
	}
	d.prev, d.havePrev = d.cur, true
	d.cur = newGroup(r)
	return overuse
}

func newGroup(r result) group {
	return group{first: r.sent, last: r.sent, firstArrival: r.arrival, arrival: r.arrival}
}

// inBurst is whether r, sent after the current group, arrived in a burst
// with it (burstSpan).
func (d *delayDetector) inBurst(r result) bool {
	arrivalDelta := r.arrival - d.cur.arrival
	sendDelta := r.sent.Sub(d.cur.last)
	return arrivalDelta <= burstSpan && (sendDelta <= 0 || arrivalDelta < sendDelta) && r.arrival-d.cur.firstArrival < burstMax
}

// compare feeds the delay gained between two consecutive groups to the
// trend and runs detection.
func (d *delayDetector) compare(a, b group) (overuse bool) {
	sendDelta := b.last.Sub(a.last)
	if sendDelta > groupGapReset {
		d.resetTrend()
		return false
	}
	gained := ms(b.arrival-a.arrival) - ms(sendDelta)
	if !d.haveOrigin {
		d.origin, d.haveOrigin = b.arrival, true
	}
	d.count = min(d.count+1, trendMaxCount)
	d.accumulated += gained
	d.smoothed = trendSmoothing*d.smoothed + (1-trendSmoothing)*d.accumulated
	d.xs[d.next], d.ys[d.next] = ms(b.arrival-d.origin), d.smoothed
	d.next = (d.next + 1) % trendWindow
	d.points = min(d.points+1, trendWindow)
	if d.points == trendWindow {
		if s, ok := slope(d.xs[:], d.ys[:]); ok {
			d.trend = s
		}
	}
	return d.detect(ms(sendDelta), b.arrival)
}

func (d *delayDetector) resetTrend() {
	th := d.threshold
	overuses := d.overuses
	*d = newDelayDetector()
	d.threshold, d.overuses = th, overuses
}

// detect compares the trend, scaled by how many groups it rests on, with
// the adaptive threshold, and reports whether it declared an over-use.
func (d *delayDetector) detect(sendDeltaMs float64, arrival time.Duration) (declared bool) {
	if d.count < 2 {
		d.hypothesis = usageNormal
		return false
	}
	modified := float64(d.count) * d.trend * trendGain
	switch {
	case modified > d.threshold:
		if d.overMs < 0 {
			d.overMs = sendDeltaMs / 2
		} else {
			d.overMs += sendDeltaMs
		}
		d.overCount++
		if d.overMs > ms(overuseTime) && d.overCount > 1 && modified >= d.prevTrend {
			d.overMs, d.overCount = 0, 0
			d.overuses++
			d.hypothesis = usageOver
			declared = true
		}
	case modified < -d.threshold:
		d.overMs, d.overCount = -1, 0
		d.hypothesis = usageUnder
	default:
		d.overMs, d.overCount = -1, 0
		d.hypothesis = usageNormal
	}
	d.prevTrend = modified
	d.adapt(modified, arrival)
	return declared
}

// adapt moves the threshold toward the trend's size.
func (d *delayDetector) adapt(modified float64, arrival time.Duration) {
	if !d.haveAdapt {
		d.lastAdapt, d.haveAdapt = arrival, true
	}
	abs := math.Abs(modified)
	if abs > d.threshold+thresholdSkip {
		d.lastAdapt = arrival
		return
	}
	k := thresholdUp
	if abs < d.threshold {
		k = thresholdDown
	}
	step := min(max(ms(arrival-d.lastAdapt), 0), thresholdMaxStep)
	d.threshold = min(max(d.threshold+k*(abs-d.threshold)*step, thresholdMin), thresholdMax)
	d.lastAdapt = arrival
}

// slope is the least-squares slope of y over x.
func slope(xs, ys []float64) (float64, bool) {
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/float64(len(xs)), sy/float64(len(ys))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
