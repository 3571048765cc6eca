package rtc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"peercall/media"
)

// How a file transfer yields to the call's audio and video.
//
// Only media carries transport-wide sequence numbers, so the bandwidth
// estimator (rtc/bwe) sees the path through the media's packets alone —
// but file chunks queue in the same network buffers, so chunks sent too
// fast show up as the media's delay and round trip growing, or as loss.
// The pacer reads the estimator and the video senders every
// filePaceEvery:
//
//   - While the video has less than it wants (its encoder's target under
//     the most it uses at its size, or its picture stepped down), the
//     transfer sends what fileSpareShare of the estimate leaves after
//     the media's own targets (the video encoders' and audioShareBps),
//     and at least fileFloor: the video comes first, and the estimate,
//     which the video's own packets keep testing, grows as it would
//     without the chunks. (Not what the media's packets acknowledged
//     leave: that falls as a queue builds, and the transfer would push
//     harder just then.)
//   - Once the video has all it wants, the estimate no longer says what
//     the path carries: it keeps growing to its ceiling whatever is
//     sent. The transfer then finds its own rate, starting from the
//     spare: it grows by fileProbeGrowth each step (fileProbeSlow after
//     the first congestion) and halves at a congestion signal — a delay
//     or loss cut by the estimator, the delay over-using now, the
//     estimate falling, the estimator's delay trend past fileTrendBackOff
//     of its over-use threshold, or the media's round trip fileQueueDelay
//     over the lowest seen lately for all of fileQueueWindow: a queue
//     building — at most once per fileProbeHold, during which it does not
//     grow; nor does it while the trend is past fileTrendHold of the
//     threshold.
//   - A cut by the estimator while the file got through at least as much
//     as the media says what the path carries: what the two got through
//     then (a cut with less of the file in it, as a peer stalling on a
//     busy machine causes, says little of the path). For
//     fileRTTMemory after it, the probe grows quickly only up to what
//     fileFillShare of that leaves after the media's acknowledged rate,
//     and by fileProbeNear a step beyond: on a narrow link the file then
//     stays under the rate that filled the queue, instead of filling it
//     again, and each fill costs the video a cut. Only where a cut costs
//     the video — fileCutLeaves of the path under the media's targets: on
//     a wider path (loopback) a cut leaves the video all it wants, and
//     holding the file under it would only slow the file.
const (
	filePaceEvery   = 100 * time.Millisecond
	fileSpareShare  = 0.95
	fileFloor       = 32_000      // bit/s
	fileProbeMax    = 800_000_000 // bit/s
	fileProbeGrowth = 1.05        // per filePaceEvery: about 1.6× a second
	fileProbeSlow   = 1.02        // per filePaceEvery: about 22 % a second
	fileProbeNear   = 1.001       // per filePaceEvery: about 1 % a second
	fileFillShare   = 0.8
	// fileCutLeaves is the share of the path a cut leaves the video: the
	// estimator cuts to 0.85 of what the path carried, and the video gets
	// 0.85 of the estimate (less the sound's share).
	fileCutLeaves  = 0.85 * 0.85
	fileProbeHold  = time.Second
	fileQueueDelay = 30 * time.Millisecond
	// A queue stands: the round trip stays over its lowest for this long.
	// Each reading of it runs over the true round trip by the wait for
	// the peer's next feedback, which a busy machine stretches by tens of
	// milliseconds now and then; a queue raises every reading.
	fileQueueWindow = 500 * time.Millisecond
	// The estimator's delay trend, as a share of its over-use threshold,
	// above which the probe stops growing, and backs off.
	fileTrendHold    = 0.3
	fileTrendBackOff = 0.5
	// The lowest round trip is forgotten after fileRTTMemory, so a path
	// that got longer is not taken for a queue for ever.
	fileRTTMemory = 30 * time.Second
	// fileBurst is how much the pacer lets go at once: the rate over
	// this long, at least two chunks.
	fileBurst = 20 * time.Millisecond
	// A chunk carries fileChunkFor of data at the pace, within
	// fileChunkMin..fileChunkData: a message is sent as a burst of
	// packets, and at a low pace a 16 KiB burst would stand in front of
	// the video long enough for congestion control to read it as a
	// queue.
	fileChunkFor = 10 * time.Millisecond
	fileChunkMin = 1024
	// The video has what it wants when its target is within
	// videoContentShare of the most it uses at its size and rate.
	videoContentShare = 0.95
)

// The estimator is told the rate at which the peer acknowledged the
// file's chunks (bwe.Estimator.SetOtherTraffic): when chunks fill a queue
// and the estimator cuts for it, it cuts from what the path carried —
// the media and the file — rather than from the media's share alone,
// which would take the video far below what it had. The rate is measured
// over fileDeliveryWindow, as the estimator measures the media's, and the
// highest of the last fileDeliveryRecent is told.
const (
	fileDeliveryWindow = 500 * time.Millisecond
	fileDeliveryRecent = time.Second
)

// otherTraffic is what an estimator that can be told of other traffic
// on its path does (bwe.Estimator).
type otherTraffic interface {
	SetOtherTraffic(f func() float64)
}

// fileDelivery measures the rate at which the peer acknowledges the data
// given to the file channel: what was given less what the channel still
// buffers (SCTP releases a message's bytes when the peer acknowledges
// them).
type fileDelivery struct {
	mu      sync.Mutex
	now     func() time.Time
	dc      *webrtc.DataChannel
	given   uint64 // bytes given to dc
	samples []deliverySample
	recent  []deliveryRate // windowRate's results over fileDeliveryRecent
}

type deliverySample struct {
	at    time.Time
	acked uint64
}

type deliveryRate struct {
	at  time.Time
	bps float64
}

// gave counts n bytes given to dc; a new channel starts the count anew.
func (d *fileDelivery) gave(dc *webrtc.DataChannel, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dc != d.dc {
		d.dc, d.given, d.samples, d.recent = dc, 0, d.samples[:0], d.recent[:0]
	}
	d.given += uint64(n)
}

// rate takes a sample and returns the highest rate acknowledged over a
// fileDeliveryWindow that ended within the last fileDeliveryRecent,
// bit/s: what the file got through while a queue built, as the pacer
// backs off at the first signs of one, before the estimator cuts. 0 until
// the samples span a fifth of the window.
func (d *fileDelivery) rate() float64 {
	bps := d.windowRate()
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	drop := 0
	for drop < len(d.recent) && now.Sub(d.recent[drop].at) > fileDeliveryRecent {
		drop++
	}
	d.recent = append(d.recent[:0], d.recent[drop:]...)
	d.recent = append(d.recent, deliveryRate{now, bps})
	for _, r := range d.recent {
		bps = max(bps, r.bps)
	}
	return bps
}

// windowRate takes a sample and returns the rate acknowledged over the
// last fileDeliveryWindow, bit/s; 0 until the samples span a fifth of it.
func (d *fileDelivery) windowRate() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dc == nil {
		return 0
	}
	now := d.now()
	acked := d.given - min(d.dc.BufferedAmount(), d.given)
	// Keep the newest sample at or before the window's start, and the
	// ones after it.
	drop := 0
	for drop+1 < len(d.samples) && now.Sub(d.samples[drop+1].at) >= fileDeliveryWindow {
		drop++
	}
	d.samples = append(d.samples[:0], d.samples[drop:]...)
	d.samples = append(d.samples, deliverySample{now, acked})
	first := d.samples[0]
	span := now.Sub(first.at)
	if span < fileDeliveryWindow/5 || acked < first.acked {
		return 0
	}
	return float64(acked-first.acked) * 8 / span.Seconds()
}

// estimateReading is what the pacer reads of the bandwidth estimator and
// the media.
type estimateReading struct {
	known       bool
	targetBps   float64       // the estimate
	mediaBps    float64       // what the media's encoders aim at
	rtt         time.Duration // the media's round trip, queues included
	ackedBps    float64       // the media's rate the peer acknowledged
	fileBps     float64       // the file's rate the peer acknowledged
	overusing   bool          // the media's delay grows now
	trendShare  float64       // the delay trend over the over-use threshold (1: over-use)
	congestions int           // cuts made so far, for delay or loss
	// videoContent: every video sender sends its full picture at the
	// most it uses for it (or there is no video).
	videoContent bool
}

// filePacer is a token bucket shared by the transfers of one session,
// refilled at the rate the estimator's readings allow.
type filePacer struct {
	read func() estimateReading
	// logf, when set, is given the pacer's reasoning once a second.
	logf     func(msg string, args ...any)
	loggedAt time.Time

	mu         sync.Mutex
	now        func() time.Time
	rateBps    float64
	probe      float64
	probing    bool    // the video is content: the probe sets the pace
	congested  bool    // a congestion signal was seen: the probe grows slowly
	tokens     float64 // bytes
	last       time.Time
	lastRead   time.Time
	lastCuts   int
	lastTarget float64
	holdUntil  time.Time
	pathBps    float64 // what the path carried at the last cut, media and file
	pathAt     time.Time
	signals    map[string]int // congestion signals since the last log line

	// The lowest round trip over fileRTTMemory, and over fileQueueWindow.
	baseRTT, recentRTT windowMin
}

func newFilePacer(read func() estimateReading) *filePacer {
	return &filePacer{read: read, now: time.Now, probe: fileFloor, rateBps: fileFloor, signals: map[string]int{}}
}

// Rate is the pace now, bit/s.
func (p *filePacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rateBps
}

// update reads the estimator, at most once a filePaceEvery. p.mu is held.
func (p *filePacer) update(now time.Time) {
	if !p.lastRead.IsZero() && now.Sub(p.lastRead) < filePaceEvery {
		return
	}
	p.lastRead = now
	r := p.read()
	if !r.known {
		// No media negotiated yet: nothing to yield to but the path.
		r.videoContent = true
	}
	spare := max(r.targetBps*fileSpareShare-r.mediaBps, 0)
	queued := false
	if r.rtt > 0 {
		base := p.baseRTT.add(now, r.rtt, fileRTTMemory)
		recent := p.recentRTT.add(now, r.rtt, fileQueueWindow)
		queued = recent > base+fileQueueDelay
	}
	var why string // the congestion signal seen, for the log
	switch {
	case !r.known:
	case r.congestions > p.lastCuts:
		why = "cut"
	case r.overusing:
		why = "over-use"
	case r.trendShare > fileTrendBackOff:
		why = "trend"
	case queued:
		why = "queue"
	case r.targetBps < p.lastTarget*0.97:
		why = "estimate"
	}
	congested := why != ""
	if congested {
		p.signals[why]++
	}
	// A delay trend on its way to an over-use: no growth.
	rising := r.trendShare > fileTrendHold
	if r.known && r.congestions > p.lastCuts && r.ackedBps > 0 && r.fileBps >= r.ackedBps {
		p.pathBps, p.pathAt = r.ackedBps+r.fileBps, now
	}
	p.lastCuts, p.lastTarget = r.congestions, r.targetBps
	if congested {
		p.congested = true
	}
	if !r.videoContent {
		// The video first: the spare, and the probe starts from it when
		// the video has what it wants.
		p.probing = false
		p.probe = max(spare, fileFloor)
		p.rateBps = max(min(spare, p.rateBps*2), fileFloor)
	} else {
		if !p.probing {
			p.probing = true
			p.probe = max(p.probe, spare, fileFloor)
		}
		switch {
		case congested && now.After(p.holdUntil):
			p.probe = max(p.probe/2, fileFloor)
			p.holdUntil = now.Add(fileProbeHold)
			p.congested = true
		case congested:
			// Halved already; wait for the queue to go.
		case now.After(p.holdUntil) && !rising:
			growth := fileProbeGrowth
			if p.congested {
				growth = fileProbeSlow
			}
			next := min(p.probe*growth, fileProbeMax)
			if p.pathBps > 0 && now.Sub(p.pathAt) <= fileRTTMemory && p.pathBps*fileCutLeaves < r.mediaBps {
				if ceiling := fileFillShare*p.pathBps - r.ackedBps; next > ceiling {
					next = min(max(min(next, ceiling), p.probe*fileProbeNear), fileProbeMax)
				}
			}
			p.probe = next
		}
		p.rateBps = p.probe
	}
	if p.logf != nil && now.Sub(p.loggedAt) >= time.Second {
		p.loggedAt = now
		p.logf("file pace", "kbps", int(p.rateBps/1000), "spare_kbps", int(spare/1000), "probe_kbps", int(p.probe/1000),
			"estimate_kbps", int(r.targetBps/1000), "media_kbps", int(r.mediaBps/1000), "rtt_ms", r.rtt.Milliseconds(), "trend", fmt.Sprintf("%.2f", r.trendShare),
			"video_content", r.videoContent, "congested", congested, "path_kbps", int(p.pathBps/1000), "min_rtt_ms", p.baseRTT.min().Milliseconds(),
			"signals", fmt.Sprint(p.signals))
		clear(p.signals)
	}
}

// chunkSize is how much file data the next chunk carries.
func (p *filePacer) chunkSize() int {
	n := int(p.Rate() / 8 * fileChunkFor.Seconds())
	return min(max(n, fileChunkMin), fileChunkData)
}

// wait takes n bytes from the bucket, waiting until they are there or ctx
// ends.
func (p *filePacer) wait(ctx context.Context, n int) error {
	for {
		p.mu.Lock()
		now := p.now()
		p.update(now)
		burst := max(p.rateBps/8*fileBurst.Seconds(), 2*float64(fileChunkHeader+n))
		if p.last.IsZero() {
			p.tokens = burst // a full bucket to start with
		} else {
			p.tokens = min(p.tokens+p.rateBps/8*now.Sub(p.last).Seconds(), burst)
		}
		p.last = now
		if p.tokens >= float64(n) {
			p.tokens -= float64(n)
			p.mu.Unlock()
			return nil
		}
		need := (float64(n) - p.tokens) / (p.rateBps / 8)
		p.mu.Unlock()
		d := min(time.Duration(need*float64(time.Second)), filePaceEvery)
		t := time.NewTimer(max(d, time.Millisecond))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// fileEstimate reads the session's bandwidth estimator for the pacer.
func (s *Session) fileEstimate() estimateReading {
	s.mu.Lock()
	e := s.estimator
	s.mu.Unlock()
	if e == nil {
		return estimateReading{}
	}
	if o, ok := e.(otherTraffic); ok {
		o.SetOtherTraffic(s.files.delivery.rate)
	}
	st := e.GetStats()
	media, content := s.mediaTargets()
	return estimateReading{
		known:        true,
		targetBps:    number(st["target"]),
		mediaBps:     media,
		rtt:          time.Duration(number(st["rttMs"]) * float64(time.Millisecond)),
		ackedBps:     number(st["acknowledged"]),
		fileBps:      s.files.delivery.rate(),
		trendShare:   trendShare(number(st["trend"]), number(st["threshold"])),
		overusing:    st["usage"] == "over",
		congestions:  int(number(st["delayDecreases"]) + number(st["lossCuts"])),
		videoContent: content,
	}
}

// mediaTargets is what the media aims at sending, bit/s: each video
// encoder's target and audioShareBps for the sound; and whether every
// video sender sends its full picture at the most congestion control
// would give it for that picture.
func (s *Session) mediaTargets() (bps float64, content bool) {
	bps, content = audioShareBps, true
	for _, v := range s.media.videoSenders() {
		st := v.Stats()
		bps += float64(st.TargetBps)
		if st.Level > 0 || st.Width == 0 {
			content = false
			continue
		}
		_, most := media.BitrateRange(st.Width, st.Height, int(st.FPS+0.5))
		if float64(st.TargetBps) < videoContentShare*float64(most) {
			content = false
		}
	}
	return bps, content
}

// trendShare is the delay trend as a share of the over-use threshold.
func trendShare(trend, threshold float64) float64 {
	if threshold <= 0 {
		return 0
	}
	return trend / threshold
}

// number reads a figure of the estimator's statistics, whatever its type.
func number(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// windowMin is the lowest of the readings taken over a sliding window.
type windowMin struct {
	// Readings, oldest first, each lower than all before it that are
	// still in the window: the first is the lowest.
	r []timedRTT
}

type timedRTT struct {
	at  time.Time
	rtt time.Duration
}

// add takes a reading at now and returns the lowest over the window that
// ends there.
func (w *windowMin) add(now time.Time, rtt time.Duration, window time.Duration) time.Duration {
	n := len(w.r)
	for n > 0 && w.r[n-1].rtt >= rtt {
		n--
	}
	w.r = append(w.r[:n], timedRTT{now, rtt})
	drop := 0
	for now.Sub(w.r[drop].at) > window {
		drop++
	}
	w.r = append(w.r[:0], w.r[drop:]...)
	return w.r[0].rtt
}

// min is the lowest reading in the window; 0 before the first.
func (w *windowMin) min() time.Duration {
	if len(w.r) == 0 {
		return 0
	}
	return w.r[0].rtt
}
