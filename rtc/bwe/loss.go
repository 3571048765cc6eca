package bwe

import (
	"math"
	"time"
)

const (
	// Loss is counted in buckets of lossBucket by when the feedback
	// reporting it came in. Whether loss is excess is judged over the
	// last lossWindow buckets (2 s: a few hundred packets, so that random
	// loss reads near its true level); once cuts are under way, over the
	// last lossRecent buckets, so that a cut that worked is seen soon.
	// The sending rate is measured over lossRateWindow buckets.
	lossBucket     = 100 * time.Millisecond
	lossRing       = 32
	lossWindow     = 20
	lossRecent     = 3
	lossRateWindow = 10
	lossMinPackets = 30

	// lossHigh: loss up to this is never taken for congestion, as a
	// browser's loss-based estimate holds its rate between 2 and 10 %.
	// Above it, loss counts only in excess of the random loss learnt for
	// the link, by lossZ standard deviations of the count it rests on.
	lossHigh = 0.10
	lossZ    = 4.0
	// The excess must last lossPersist before the first cut; cuts are
	// lossCutInterval plus a round trip apart, each to 1 − excess/2 (as a
	// browser's) of the estimate or of what is actually being sent,
	// whichever is lower: an encoder that uses less than its target would
	// otherwise take many cuts to slow down at all, and the verdict below
	// needs it to. The first cut of a run takes lossFirstHeadroom times
	// what is sent instead, so that a reading high by chance costs less.
	lossPersist       = 200 * time.Millisecond
	lossCutInterval   = 300 * time.Millisecond
	lossFirstHeadroom = 1.5
	// While loss sets no bound and stays below the threshold, the random
	// loss learnt follows what is measured with this time constant.
	lossRandomTau = 5 * time.Second
	// The verdict. The loss over lossWindow when the first cut came is
	// compared with the loss of the packets reported over
	// lossVerdictSpan once the sender has slowed to what got through then
	// (its rate then less that loss) and to lossRateFell of it at least:
	// congestion loss has gone by then; loss still at lossRandomShare of
	// its level or more is the link's. A sender that grows past where the
	// cuts began is judged from there. One that never slows that much (it
	// hovers at a policer's rate, cut after cut) gets no verdict: its
	// cuts stand.
	lossVerdictSpan = time.Second
	lossRateFell    = 0.8
	lossRandomShare = 0.5
	// While loss is below the threshold the bound grows by
	// lossBoundGrowth a second, and goes once it no longer binds.
	lossBoundGrowth = 1.08
)

type lossBucketCount struct {
	index       int64
	lost, total int
	bytes       int // of the packets reported, lost or not
}

// lossPhase is where the verdict on a run of cuts stands.
type lossPhase int

const (
	phaseNone lossPhase = iota // no cuts, or the verdict is in
	phaseHigh                  // cutting; the sender still at its rate
	phaseSlow                  // the sender has slowed: counting loss again
)

// lossControl is the loss-based bound on the estimate. It tells random
// loss (a radio link's, a lossy path's) from congestion by how the loss
// behaves when the sending rate changes: congestion loss goes when the
// sender slows down to what the path carries, random loss stays.
//
// Loss below 10 %, or below what the link is known to lose at random
// plus what chance explains, changes nothing. Loss above that cuts the
// rate, as a browser would, while the controller watches: once the
// sender has slowed to what got through when the cuts began, loss still
// at half its level then is learnt as the link's own and the cuts are
// undone; loss that went with the rate was congestion, and the bound
// stays, growing back as long as loss stays low.
type lossControl struct {
	buckets [lossRing]lossBucketCount
	epoch   time.Time
	first   int64 // the first bucket with a report
	started bool

	random     float64 // the link's random loss, as learnt
	bound      float64 // bit/s; +Inf when loss does not limit the rate
	overSince  time.Time
	lastCut    time.Time
	lastUpdate time.Time

	// The verdict under way: the rate and loss that led to the first
	// cut, and the loss counted since the sender slowed down.
	phase     lossPhase
	startSent float64 // bit/s
	startLoss float64
	slow      struct{ lost, total int }
	slowSince time.Time

	cuts, undone, congestions int
	lastLoss                  float64
}

func newLossControl(now time.Time) lossControl {
	return lossControl{bound: math.Inf(1), epoch: now}
}

func (l *lossControl) bucket(now time.Time) int64 { return int64(now.Sub(l.epoch) / lossBucket) }

// add counts the results of one feedback, which came in at now. Resends
// count in the rate sent but not in the loss: one reported lost may well
// have arrived (result.resend), and counted, the resends a lossy link
// calls for read as more loss than the link has, several times as much on
// a loaded machine whose NACKs run late.
func (l *lossControl) add(rs []result, now time.Time) {
	b := l.bucket(now)
	if !l.started {
		l.first, l.started = b, true
	}
	c := &l.buckets[int(b%lossRing)]
	if c.index != b {
		*c = lossBucketCount{index: b}
	}
	lost, total := 0, 0
	for _, r := range rs {
		c.bytes += r.size
		if r.resend {
			continue
		}
		total++
		if r.lost {
			lost++
		}
	}
	c.lost += lost
	c.total += total
	if l.phase == phaseSlow {
		l.slow.lost += lost
		l.slow.total += total
	}
}

// loss is the share of packets lost over the last n buckets up to now,
// or over as many more (up to lossWindow) as it takes to reach
// lossMinPackets, and how many packets that rests on.
func (l *lossControl) loss(now time.Time, n int) (float64, int) {
	newest := l.bucket(now)
	lost, packets := 0, 0
	for b := newest; b >= 0 && b > newest-lossWindow; b-- {
		if newest-b >= int64(n) && packets >= lossMinPackets {
			break
		}
		if c := &l.buckets[int(b%lossRing)]; c.index == b {
			lost += c.lost
			packets += c.total
		}
	}
	return share(lost, packets), packets
}

// sentRate is the rate of the packets reported over the last
// lossRateWindow whole buckets (those since the first report, at the
// start), bit/s.
func (l *lossControl) sentRate(now time.Time) float64 {
	newest := l.bucket(now)
	from := max(newest-lossRateWindow, l.first)
	if from >= newest {
		return 0
	}
	bytes := 0
	for b := from; b < newest; b++ {
		if c := &l.buckets[int(b%lossRing)]; c.index == b {
			bytes += c.bytes
		}
	}
	return float64(bytes*8) / (time.Duration(newest-from) * lossBucket).Seconds()
}

// threshold is the loss over n packets above which loss is excess. The
// spread of the count is taken for no less than half of lossHigh: before
// the link's random loss is learnt, 4 lost of 30 (13 %) is one window in
// sixteen on a link that loses 5 %.
func (l *lossControl) threshold(n int) float64 {
	p, q := l.random, max(l.random, lossHigh/2)
	return max(lossHigh, p+lossZ*math.Sqrt(q*(1-q)/float64(n)))
}

func share(lost, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(lost) / float64(total)
}

// update runs after each feedback, with the delay-based estimate and the
// rate of the other traffic on the path (Estimator.SetOtherTraffic). It
// returns what it decided, if anything worth a log line.
func (l *lossControl) update(delayBased, other float64, rtt time.Duration, now time.Time) (event string) {
	dt := time.Duration(0)
	if !l.lastUpdate.IsZero() {
		dt = min(now.Sub(l.lastUpdate), time.Second)
	}
	l.lastUpdate = now
	sent := l.sentRate(now)

	// The verdict on the cuts under way.
	switch l.phase {
	case phaseHigh:
		if sent <= min(1-l.startLoss, lossRateFell)*l.startSent {
			l.phase, l.slowSince = phaseSlow, now
			l.slow.lost, l.slow.total = 0, 0
		}
	case phaseSlow:
		if now.Sub(l.slowSince) >= lossVerdictSpan && l.slow.total >= lossMinPackets {
			l.phase = phaseNone
			if s := share(l.slow.lost, l.slow.total); s >= lossRandomShare*l.startLoss {
				l.random = max(l.random, s)
				l.bound, l.overSince = math.Inf(1), time.Time{}
				l.undone++
				return "loss stayed when the rate fell: the link's own, cuts undone"
			}
			l.congestions++
			event = "loss went when the rate fell: congestion"
		}
	}

	// Is loss in excess? Outside cuts, over the long window; while the
	// bound holds, over the recent buckets.
	n := lossWindow
	if !math.IsInf(l.bound, 1) {
		n = lossRecent
	}
	loss, packets := l.loss(now, n)
	if packets < lossMinPackets {
		return event
	}
	l.lastLoss = loss
	if loss <= l.threshold(packets) {
		l.overSince = time.Time{}
		if math.IsInf(l.bound, 1) {
			// Learnt only while loss sets no bound: under one, the rate
			// follows the loss, and loss learnt as random would lift the
			// threshold that lets the rate grow into more loss.
			l.random += (loss - l.random) * min(dt.Seconds()/lossRandomTau.Seconds(), 1)
			return event
		}
		l.bound *= math.Pow(lossBoundGrowth, dt.Seconds())
		if l.bound >= delayBased {
			l.bound, l.phase = math.Inf(1), phaseNone
		}
		return event
	}

	if l.overSince.IsZero() {
		l.overSince = now
	}
	if now.Sub(l.overSince) < lossPersist || now.Sub(l.lastCut) < lossCutInterval+rtt {
		return event
	}
	headroom := 1.0
	switch {
	case l.phase == phaseNone:
		// What the verdict will compare with: the loss over the long
		// window (a short one is high by chance more often than not
		// when it is what set the cut off), at the rate sent then.
		l.phase, l.startSent = phaseHigh, sent
		l.startLoss, _ = l.loss(now, lossWindow)
		headroom = lossFirstHeadroom
	case l.phase == phaseHigh && sent > l.startSent:
		// The sender has grown past where the cuts began (they began
		// while it was still climbing): the verdict waits for it to
		// slow from where it is now.
		l.startSent = sent
		l.startLoss, _ = l.loss(now, lossWindow)
	}
	// Other traffic on the path (SetOtherTraffic) counts in what is sent:
	// the media need not make room for it.
	l.bound = min(delayBased, l.bound, headroom*(sent+other)) * (1 - (loss-l.random)/2)
	l.lastCut = now
	l.cuts++
	if event == "" {
		event = "excess loss: cut"
	}
	return event
}
