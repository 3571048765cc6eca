// Package bwe is Peercall's send-side bandwidth estimator: it reads the
// peer's transport-wide congestion control feedback and tells the
// encoders how fast they may send. It takes the place of pion's GCC in the
// interceptor chain (it is a cc.BandwidthEstimator) and follows the same
// plan — a delay-based estimate, bounded by a loss-based one — with the
// two parts rebuilt for links that are lossy and jittery without being
// narrow:
//
//   - The delay-based part (delay.go, aimd.go) watches the trend of the
//     one-way delay over a window of packet groups, as browsers do, not
//     the delay between two single groups: on a link that delays every
//     packet by its own random amount (Wi-Fi, netem's jitter), pion's
//     estimator took that noise for a queue building and cut the rate
//     to 0.85 of what the encoder was actually sending. Packets read all
//     at once, after the receiving process was off the CPU for a moment
//     on a loaded machine, count as one burst rather than a queue that
//     built up and vanished.
//   - The loss-based part (loss.go) tells random loss from congestion:
//     loss that does not go when the rate goes is the link's, and is no
//     reason to slow down. pion's judged each 50 ms feedback on its own
//     (5 % random loss often reads above its 10 % threshold in a dozen
//     packets) and never let its rate climb while loss stayed above 2 %.
//
// The feedback it reads is expected to have passed Peercall's normaliser
// (rtc/twccnorm), which gives each packet once with its final fate; a
// number reported again keeps the fate it was first given.
package bwe

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// LogScope is the scope the estimator asks its LoggerFactory for.
const LogScope = "bwe"

// resendWindow: a packet this many RTP numbers or fewer behind the
// stream's newest is a resend (pion's NACK responder keeps 1024); one
// further back starts the stream's numbers afresh.
const resendWindow = 2048

// Config sets up an estimator. Zero fields take the defaults noted.
type Config struct {
	InitialBps int // the estimate before any feedback; 800 kbit/s
	MinBps     int // the estimate's floor; 60 kbit/s
	MaxBps     int // its ceiling; 6 Mbit/s
	// Now is the clock (time.Now); tests drive a simulated one.
	Now func() time.Time
	// LoggerFactory makes the logger decisions are written to, at debug
	// level; nil logs nothing.
	LoggerFactory logging.LoggerFactory
}

// Estimator is one connection's bandwidth estimator. Its methods are
// safe from any goroutine.
type Estimator struct {
	now func() time.Time
	log logging.LeveledLogger

	mu       sync.Mutex
	closed   bool
	sent     history
	acked    throughput
	delay    delayDetector
	rate     rateControl
	loss     lossControl
	rtt      time.Duration
	target   int
	minBps   int
	maxBps   int
	onChange func(int)
	other    func() float64 // SetOtherTraffic
	// otherCutAt and otherCutTo: the last cut the other traffic caused
	// (it carried as much as the media), and the estimate it left.
	otherCutAt time.Time
	otherCutTo float64
	results    []result // scratch, reused from one feedback to the next
	arrived    []result // scratch: the received ones, by arrival
}

// New makes an estimator.
func New(cfg Config) *Estimator {
	if cfg.InitialBps <= 0 {
		cfg.InitialBps = 800_000
	}
	if cfg.MinBps <= 0 {
		cfg.MinBps = 60_000
	}
	if cfg.MaxBps <= 0 {
		cfg.MaxBps = 6_000_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Estimator{
		now:    cfg.Now,
		delay:  newDelayDetector(),
		rate:   newRateControl(float64(cfg.InitialBps), float64(cfg.MinBps), float64(cfg.MaxBps)),
		loss:   newLossControl(cfg.Now()),
		target: cfg.InitialBps,
		minBps: cfg.MinBps,
		maxBps: cfg.MaxBps,
	}
	if cfg.LoggerFactory != nil {
		e.log = cfg.LoggerFactory.NewLogger(LogScope)
	}
	return e
}

// AddStream wraps a local stream's writer so that the estimator learns
// when each packet left and how big it was. The stream must carry the
// transport-wide sequence number extension (written by pion's twcc header
// extension interceptor before this writer sees the packet); packets
// without it pass unseen.
func (e *Estimator) AddStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, x := range info.RTPHeaderExtensions {
		if x.URI == sdp.TransportCCURI {
			id = uint8(x.ID)
		}
	}
	if id == 0 {
		return writer
	}
	// The stream's newest RTP sequence number so far: a packet that is
	// not newer is a resend (a NACK answered), under e.mu.
	var newest uint16
	started := false
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		var tcc rtp.TransportCCExtension
		if ext := h.GetExtension(id); ext != nil && tcc.Unmarshal(ext) == nil {
			size := h.MarshalSize() + len(payload)
			e.mu.Lock()
			behind := -int(int16(h.SequenceNumber - newest))
			resend := started && behind >= 0 && behind < resendWindow
			if !resend {
				newest, started = h.SequenceNumber, true
			}
			e.sent.sent(tcc.TransportSequence, e.now(), size, resend)
			e.mu.Unlock()
		}
		return writer.Write(h, payload, a)
	})
}

// WriteRTCP reads the transport-cc feedback among pkts. The target
// bitrate callback, if the estimate changed, is called on the caller's
// goroutine before it returns.
func (e *Estimator) WriteRTCP(pkts []rtcp.Packet, _ interceptor.Attributes) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	changed := false
	for _, p := range pkts {
		if fb, ok := p.(*rtcp.TransportLayerCC); ok {
			changed = e.feedback(fb) || changed
		}
	}
	target, f := e.target, e.onChange
	e.mu.Unlock()
	if changed && f != nil {
		f(target)
	}
	return nil
}

// feedback reads one transport-cc packet; it reports whether the target
// changed. Called with mu held.
func (e *Estimator) feedback(fb *rtcp.TransportLayerCC) bool {
	now := e.now()
	e.results = e.sent.feedback(fb, e.results[:0])
	if len(e.results) == 0 {
		return false
	}
	e.updateRTT(now)
	// The delay detector reads the packets in the order they arrived, as
	// a receiver-side one would: a packet that arrives after packets sent
	// later than it (overtaken on a link that reorders, or resent after a
	// loss a round trip late under its original number) is left out, as
	// its delay is not the queue's.
	e.arrived = e.arrived[:0]
	for _, r := range e.results {
		if !r.lost && !r.noTime {
			e.acked.add(r.arrival, r.size)
			e.arrived = append(e.arrived, r)
		}
	}
	slices.SortStableFunc(e.arrived, func(a, b result) int { return cmp.Compare(a.arrival, b.arrival) })
	overuse := false
	for _, r := range e.arrived {
		if e.delay.add(r) {
			overuse = true
		}
	}
	e.loss.add(e.results, now)
	acked, ackedOK := e.acked.rate()
	other := e.otherRate()
	before := e.rate.estimate
	// What the path carried: the media acknowledged and the rest.
	e.rate.update(e.delay.hypothesis, overuse, acked+other, ackedOK, e.rtt, now)
	if e.rate.estimate < before && other >= acked && other > 0 {
		if now.Sub(e.otherCutAt) < otherGrace {
			// The other traffic is making room for the cut it caused:
			// its queue takes a moment to drain, and is no reason to
			// cut deeper.
			e.rate.estimate = max(e.rate.estimate, min(before, e.otherCutTo))
			e.rate.decreases-- // not a cut of its own
		} else {
			e.otherCutAt, e.otherCutTo = now, e.rate.estimate
		}
	}
	if e.rate.estimate < before && e.log != nil {
		e.log.Debugf("delay over-use: %.0f → %.0f kbit/s (acknowledged %.0f, other traffic %.0f, trend %.2f, threshold %.2f)",
			before/1000, e.rate.estimate/1000, acked/1000, other/1000, e.delay.prevTrend, e.delay.threshold)
	}
	if ev := e.loss.update(e.rate.estimate, other, e.rtt, now); ev != "" && e.log != nil {
		e.log.Debugf("%s: loss %.1f %%, random %.1f %%, bound %.0f kbit/s, delay-based %.0f",
			ev, e.loss.lastLoss*100, e.loss.random*100, e.loss.bound/1000, e.rate.estimate/1000)
	}
	target := int(min(e.rate.estimate, e.loss.bound))
	target = min(max(target, e.minBps), e.maxBps)
	if target == e.target {
		return false
	}
	e.target = target
	return true
}

// updateRTT estimates the round trip from the feedback just read: the
// least, over the packets it reports received, of the time since each
// left less how long it arrived before the latest of them. It runs over
// the true round trip by the wait for the receiver's next feedback and
// the normaliser's hold (up to ~150 ms more); what it paces — the
// additive increase, how often cuts may follow one another — errs on the
// slow side for it.
func (e *Estimator) updateRTT(now time.Time) {
	var latest time.Duration
	have := false
	for _, r := range e.results {
		if !r.lost && !r.noTime && (!have || r.arrival > latest) {
			latest, have = r.arrival, true
		}
	}
	if !have {
		return
	}
	best := time.Duration(math.MaxInt64)
	for _, r := range e.results {
		if r.lost || r.noTime {
			continue
		}
		best = min(best, now.Sub(r.sent)-(latest-r.arrival))
	}
	if best > 0 {
		e.rtt = best
	}
}

// otherGrace is how long after a cut that other traffic caused further
// over-uses, while it still carries as much as the media, cut no deeper:
// the other traffic backs off at the same signals (rtc's file pacer halves
// its pace), and the queue it left takes a few round trips to drain.
const otherGrace = 500 * time.Millisecond

// SetOtherTraffic gives the estimator a function that says the rate,
// bit/s, at which the connection's other traffic — data sent outside RTP,
// such as a file on a data channel, that shares the path but carries no
// transport-wide sequence numbers — reached the peer over about the last
// half second. The acknowledged rate of the media alone understates what
// the path carried while such traffic filled a queue: a cut, for delay or
// for loss, starts from the sum, so that the media keep their rate and the
// other traffic, which is expected to back off on its own, makes the room.
// f is called on the goroutine reading feedback, with the estimator's
// lock held: it must be quick and must not call the estimator; nil
// forgets it.
func (e *Estimator) SetOtherTraffic(f func() float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.other = f
}

// otherRate is the other traffic's rate now, bit/s. Called with mu held.
func (e *Estimator) otherRate() float64 {
	if e.other == nil {
		return 0
	}
	return max(e.other(), 0)
}

// GetTargetBitrate is the current estimate, bit/s.
func (e *Estimator) GetTargetBitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.target
}

// OnTargetBitrateChange sets the function called with each new estimate,
// on the goroutine that reads RTCP; it must not block.
func (e *Estimator) OnTargetBitrateChange(f func(bitrate int)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onChange = f
}

// GetStats is the estimator's state, for logs and tests.
func (e *Estimator) GetStats() map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	acked, _ := e.acked.rate()
	return map[string]any{
		"target":         e.target,
		"delayBased":     int(e.rate.estimate),
		"lossBound":      e.loss.bound,
		"acknowledged":   int(acked),
		"rttMs":          ms(e.rtt),
		"loss":           e.loss.lastLoss,
		"randomLoss":     e.loss.random,
		"lossCuts":       e.loss.cuts,
		"lossCutsUndone": e.loss.undone,
		"lossCongestion": e.loss.congestions,
		"trend":          e.delay.prevTrend,
		"threshold":      e.delay.threshold,
		"usage":          e.delay.hypothesis.String(),
		"state":          e.rate.state.String(),
		"overuses":       e.delay.overuses,
		"delayDecreases": e.rate.decreases,
	}
}

// Close stops the estimator: feedback read after it is refused.
func (e *Estimator) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	return nil
}
