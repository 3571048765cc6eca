// Package twccnorm makes transport-wide congestion control feedback fit
// for pion's bandwidth estimator: an interceptor that rewrites incoming
// transport-cc feedback so that the estimator hears of each packet once,
// with its final fate.
//
// The receiving peer reports every transport sequence number in
// TransportLayerCC packets: received (with its arrival time) or not
// received. A packet that arrives after the feedback covering it went out
// (a link that reorders does this all the time) is reported missing once;
// then the receiver — pion's twcc.Recorder as well as Chrome — rewinds to
// it and reports again the whole range from that packet on. pion's
// estimator reads every feedback on its own: the late packet counts as
// lost once, every truly lost packet of the repeated range counts as lost
// again, and every received one is counted again in the acknowledged rate.
// At 5 % loss on a link whose jitter reorders, the loss ratio it sees
// stays above its 10 % decrease threshold and the estimate sinks to its
// floor.
//
// The normaliser sits in front of the estimator and rewrites the feedback
// so that the estimator sees each sequence number once, with its final
// fate: received is final at once; not received is held as a hole until a
// later feedback says it arrived, or until the batch it was reported in is
// due — the receiver's next feedback has come in, or a reorder window of
// 100 ms has passed — and is then final as lost. Numbers the estimator has already
// been given are dropped when reported again. The statuses go out in the
// batches the receiver made, small ones merged (see emit for why), in
// TransportLayerCC packets of the normaliser's own with the real arrival
// times, in place of the feedback in the RTCP compound.
package twccnorm

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// twccReorderWindow is how long a batch of feedback is held at most for a
// number it reported missing to turn out to have arrived; the receiver's
// next feedback ends the wait sooner. A Peercall peer sends feedback every
// 50 ms, and a browser every 50 ms too unless its estimate is below ~200
// kbit/s (then up to every 250 ms). A packet overtaken by later ones
// misses the feedback sent just before it arrives and is in the next one,
// 50 ms later; with tens of milliseconds of jitter on the feedback itself,
// the correcting feedback comes 30–70 ms after the one that reported the
// hole. 100 ms covers that with room to spare should the next feedback be
// lost. A correction that comes later still (a slow browser's feedback, a
// link that reorders by more than the feedback interval) is dropped, and
// its packet counts as lost once — never twice.
const twccReorderWindow = 100 * time.Millisecond

// twccMaxLateness is how long a packet reported missing and then received
// may have arrived after the next one received and still count as
// received: 50 ms, in 250 µs ticks. A packet overtaken because the link
// reorders arrives within its jitter of the others (20 ms here); one whose
// first transmission was lost arrives about a round trip later, resent by
// pion's NACK responder under its original transport sequence number (no
// RTX), and is lost as far as congestion goes. Given out as received, in
// number order, its arrival a round trip late would also read to the
// delay-based estimator as a queue building up.
const twccMaxLateness = 50 * 4

const (
	// twccRingSize bounds the numbers held (a power of two): those not yet
	// given to the estimator, for 250 ms at most, ~150 at the 6 Mbit/s
	// maximum (~600 packets a second).
	twccRingSize = 4096
	// twccResetGap: feedback that starts this many numbers past the
	// highest number known (feedback lost for seconds, or numbering that
	// started again) starts afresh; feedback that far behind the numbers
	// already given is stale and dropped, unless it keeps coming.
	twccResetGap = 1000
	// twccStaleResets is how many feedbacks in a row far behind make the
	// normaliser follow them.
	twccStaleResets = 3
	// twccMaxCuts bounds the batch ends remembered (~3 s of feedback).
	twccMaxCuts = 64
	// Batches go out merged into packets of at least twccMinBatch numbers,
	// a batch waiting at most twccMergeWait past its due time for others
	// to join it (see emit).
	twccMinBatch  = 12
	twccMergeWait = 50 * time.Millisecond
	// twccNextFeedbackGap tells the receiver's next feedback from another
	// packet of the same one: feedback built at once (a full packet and
	// the rest) comes in at most the link's jitter apart (20 ms here),
	// feedback built a Peercall interval later 50 ± 20 ms.
	twccNextFeedbackGap = 25 * time.Millisecond
)

// Statuses of a number in transport-cc feedback (rtcp's symbols).
const (
	twccNotReceived     = rtcp.TypeTCCPacketNotReceived
	twccSmallDelta      = rtcp.TypeTCCPacketReceivedSmallDelta
	twccLargeDelta      = rtcp.TypeTCCPacketReceivedLargeDelta
	twccReceivedNoDelta = rtcp.TypeTCCPacketReceivedWithoutDelta
)

// twccHeader is the fixed part of a TransportLayerCC.
type twccHeader struct {
	senderSSRC, mediaSSRC uint32
	base, count           uint16
	refTime               uint32 // 24 bits, 64 ms units
	fbCount               uint8
}

// isTWCC reports whether the RTCP packet starting at p is transport-cc
// feedback (RTPFB, FMT 15).
func isTWCC(p []byte) bool {
	return len(p) >= 2 && p[0]&0x1f == rtcp.FormatTCC && p[1] == byte(rtcp.TypeTransportSpecificFeedback)
}

// walkTWCC parses one TransportLayerCC and, when fn is not nil, calls it
// for each number it reports, in order, with its status and, for a
// received packet with a delta, its arrival in 250 µs ticks after the
// reference time. It checks the whole packet before the first call, so fn
// sees all of a packet or nothing of it. It allocates nothing.
func walkTWCC(p []byte, fn func(seq, status uint16, ticks int64)) (twccHeader, error) {
	var h twccHeader
	if len(p) < 20 {
		return h, errTWCCShort
	}
	if p[0]>>6 != 2 || !isTWCC(p) {
		return h, errTWCCNotTWCC
	}
	total := 4 * (int(binary.BigEndian.Uint16(p[2:])) + 1)
	if total < 20 || total > len(p) {
		return h, errTWCCShort
	}
	end := total
	if p[0]&0x20 != 0 {
		pad := int(p[total-1])
		if pad == 0 || pad > total-20 {
			return h, errTWCCPadding
		}
		end -= pad
	}
	h.senderSSRC = binary.BigEndian.Uint32(p[4:])
	h.mediaSSRC = binary.BigEndian.Uint32(p[8:])
	h.base = binary.BigEndian.Uint16(p[12:])
	h.count = binary.BigEndian.Uint16(p[14:])
	h.refTime = binary.BigEndian.Uint32(p[16:]) >> 8
	h.fbCount = p[19]

	// First pass: the chunks cover count statuses and the deltas they
	// call for fit in the packet.
	pos, left, deltaBytes := 20, int(h.count), 0
	for left > 0 {
		if pos+2 > end {
			return h, errTWCCShort
		}
		c := binary.BigEndian.Uint16(p[pos:])
		pos += 2
		k := chunkLen(c, left)
		for i := range k {
			switch chunkSymbol(c, i) {
			case twccSmallDelta:
				deltaBytes++
			case twccLargeDelta:
				deltaBytes += 2
			}
		}
		left -= k
	}
	if pos+deltaBytes > end {
		return h, errTWCCShort
	}
	if fn == nil {
		return h, nil
	}

	// Second pass, which cannot fail: hand out the statuses.
	d := pos
	pos, left = 20, int(h.count)
	seq := h.base
	var ticks int64
	for left > 0 {
		c := binary.BigEndian.Uint16(p[pos:])
		pos += 2
		k := chunkLen(c, left)
		for i := range k {
			s := chunkSymbol(c, i)
			switch s {
			case twccSmallDelta:
				ticks += int64(p[d])
				d++
				fn(seq, s, ticks)
			case twccLargeDelta:
				ticks += int64(int16(binary.BigEndian.Uint16(p[d:])))
				d += 2
				fn(seq, s, ticks)
			default:
				fn(seq, s, 0)
			}
			seq++
		}
		left -= k
	}
	return h, nil
}

// chunkLen is how many of the left statuses packet status chunk c holds.
func chunkLen(c uint16, left int) int {
	switch {
	case c&0x8000 == 0: // run length
		return min(int(c&0x1fff), left)
	case c&0x4000 == 0: // status vector, 14 one-bit symbols
		return min(14, left)
	default: // status vector, 7 two-bit symbols
		return min(7, left)
	}
}

// chunkSymbol is the status of the i-th number in chunk c. A one-bit
// symbol 1 means received with a small delta.
func chunkSymbol(c uint16, i int) uint16 {
	switch {
	case c&0x8000 == 0:
		return (c >> 13) & 3
	case c&0x4000 == 0:
		return (c >> (13 - i)) & 1
	default:
		return (c >> (12 - 2*i)) & 3
	}
}

// twccState is what the normaliser knows of a number not yet given to the
// estimator.
type twccState uint8

const (
	// twccUnknown: never reported, though later numbers were (the
	// feedback covering it was lost); left out when its batch is due, as
	// the estimator would never have heard of it.
	twccUnknown        twccState = iota
	twccHole                     // reported not received
	twccReceived                 // reported received, with an arrival time
	twccReceivedNoTime           // reported received without a delta
)

type twccEntry struct {
	state twccState
	late  bool  // received, after it was reported missing
	at    int64 // received: arrival, 250 µs ticks
}

// normStats counts what the normaliser did, for tests and logs.
type normStats struct {
	Feedbacks  int // TransportLayerCC packets taken in
	Invalid    int // of which could not be parsed and were dropped
	Stale      int // of which were far behind and dropped
	Emitted    int // TransportLayerCC packets given out
	Repeats    int // statuses dropped: the number was final already
	Late       int // holes that a later feedback reported received
	TooLate    int // of which given out as lost, see twccMaxLateness
	Lost       int // holes given out as lost
	Unreported int // numbers never reported, left out
	Overflow   int // numbers dropped unreported for want of room
	Resets     int
}

// normaliser holds the feedback state of one connection. It is not
// safe for concurrent use.
type normaliser struct {
	window    time.Duration
	minBatch  int64         // twccMinBatch but in tests
	mergeWait time.Duration // twccMergeWait but in tests
	epoch     time.Time

	started bool
	// Numbers next ≤ n < high are held in ring; below next they have been
	// given to the estimator.
	next, high int64
	ring       [twccRingSize]twccEntry

	haveRef    bool
	ref        int64 // last reference time taken in, unwrapped (64 ms units)
	outRef     int64 // last reference time given out
	fbCount    uint8
	senderSSRC uint32
	mediaSSRC  uint32
	stale      int // feedbacks in a row far behind
	// cuts are where incoming feedback batches ended, in order, all above
	// next.
	cuts []twccCut

	stats normStats

	// Scratch for the statuses of the packet being built and for its
	// chunks and deltas, reused from one feedback to the next.
	syms   []uint16
	deltas []rtcp.RecvDelta
}

func newNormaliser(window time.Duration, now time.Time) *normaliser {
	return &normaliser{window: window, minBatch: twccMinBatch, mergeWait: twccMergeWait, epoch: now}
}

func (n *normaliser) entry(seq int64) *twccEntry {
	return &n.ring[seq&(twccRingSize-1)]
}

func (n *normaliser) reset(seq int64) {
	if n.started {
		n.stats.Resets++
	}
	n.started = true
	n.next, n.high = seq, seq
	n.stale = 0
	n.cuts = n.cuts[:0]
}

// add takes in one TransportLayerCC (the raw packet) at time now. A packet
// that does not parse changes nothing.
func (n *normaliser) add(p []byte, now time.Time) error {
	n.stats.Feedbacks++
	h, err := walkTWCC(p, nil)
	if err != nil {
		n.stats.Invalid++
		return err
	}
	t := now.Sub(n.epoch)

	// The base number, unwrapped next to the numbers held.
	var base int64
	if n.started {
		base = n.high + int64(int16(h.base-uint16(n.high)))
	} else {
		base = int64(h.base)
	}
	switch {
	case !n.started || base > n.high+twccResetGap:
		n.reset(base)
	case base < n.next-twccResetGap:
		n.stale++
		if n.stale < twccStaleResets {
			n.stats.Stale++
			return nil
		}
		n.reset(base)
	default:
		n.stale = 0
	}

	// The reference time, unwrapped to the epoch nearest the last one (24
	// bits of 64 ms wrap after 12 days).
	ref := int64(h.refTime)
	if n.haveRef {
		ref = n.ref + ((ref-n.ref+1<<23)&0xffffff - 1<<23)
	} else {
		n.outRef = ref
	}
	n.ref, n.haveRef = ref, true
	if n.stats.Emitted == 0 {
		n.fbCount = h.fbCount
	}
	n.senderSSRC, n.mediaSSRC = h.senderSSRC, h.mediaSSRC

	refTicks := ref * 256 // 64 ms = 256 × 250 µs
	_, _ = walkTWCC(p, func(seq16, status uint16, ticks int64) {
		seq := base + int64(seq16-h.base)
		n.apply(seq, status, refTicks+ticks)
	})
	for i := range n.cuts {
		if c := &n.cuts[i]; !c.haveNext && t-c.at >= twccNextFeedbackGap {
			c.next, c.haveNext = t, true
		}
	}
	if h.count > 0 {
		n.addCut(twccCut{end: base + int64(h.count), at: t})
	}
	return nil
}

// apply records one reported status.
func (n *normaliser) apply(seq int64, status uint16, at int64) {
	if seq < n.next {
		n.stats.Repeats++
		return
	}
	if seq >= n.high {
		// Numbers between the highest known and this one were never
		// reported.
		for n.high <= seq {
			if n.high-n.next >= twccRingSize {
				n.stats.Overflow++
				n.next++
			}
			*n.entry(n.high) = twccEntry{state: twccUnknown}
			n.high++
		}
	}
	e := n.entry(seq)
	switch e.state {
	case twccReceived, twccReceivedNoTime:
		n.stats.Repeats++
	case twccUnknown, twccHole:
		switch status {
		case twccSmallDelta, twccLargeDelta:
			late := e.state == twccHole
			if late {
				n.stats.Late++
			}
			*e = twccEntry{state: twccReceived, at: at, late: late}
		case twccReceivedNoDelta:
			if e.state == twccHole {
				n.stats.Late++
			}
			*e = twccEntry{state: twccReceivedNoTime}
		default:
			e.state = twccHole
		}
	}
}

// twccMaxSize is the most a TransportLayerCC holding k statuses and
// deltaBytes bytes of deltas takes as marshal encodes it: every chunk but
// the last holds at least 7 statuses, and at least one byte follows the
// chunks.
func twccMaxSize(k, deltaBytes int) int {
	return (20 + 2*((k+6)/7) + max(deltaBytes, 1) + 3) &^ 3
}

// overtakenBy is how long after the next number received after seq
// (looking a little way ahead) seq's packet arrived at, in 250 µs ticks; 0
// when none is known.
func (n *normaliser) overtakenBy(seq, at int64) int64 {
	for s := seq + 1; s < n.high && s <= seq+64; s++ {
		if e := n.entry(s); e.state == twccReceived {
			return at - e.at
		}
	}
	return 0
}

// twccCut is the end of a batch of statuses as the receiver sent it: one
// past the last number of an incoming feedback, and when it came in.
type twccCut struct {
	end      int64
	at       time.Duration
	next     time.Duration // when the receiver's next feedback came in
	haveNext bool
}

// emit appends to dst, as marshalled TransportLayerCC packets, the batches
// of statuses due at time now, within budget bytes.
//
// Batches are those the receiver made — each incoming feedback's range,
// less what earlier ones covered — and each goes out whole, with its final
// statuses, when it is due: once the receiver's next feedback has come in
// (a later one at least twccNextFeedbackGap after it), or
// twccReorderWindow after it came in, whichever is first. A packet
// overtaken by later ones is in the feedback after the one that missed it,
// so by then it has been reported received; a number still missing is
// lost, one never reported is left out. Every batch waits the same, with
// or without a hole, because pion's estimator averages the loss ratio of
// each feedback packet over time, weighting each by the time since the
// previous one: a batch held back for its hole while the others flowed
// would come after a longer pause than the rest, weigh more, and carry the
// loss every time (and batches cut at each unresolved hole would all start
// with a loss: at 5 % loss the mean of their loss ratios is ~16 %).
//
// Batches due together, or within twccMergeWait of each other, go out as
// one packet of at least twccMinBatch numbers: the estimator cuts its
// estimate whenever a packet's loss ratio and its running average are both
// above 10 %, and a 50 ms batch of a few packets (5–10 at a few hundred
// kbit/s) reaches that on a single loss; where the number of packets
// decides the merging, not their fate, the mean stays the loss rate.
//
// A batch that does not fit whole in budget (unless it is the first)
// waits for the next call.
func (n *normaliser) emit(dst []byte, budget int, now time.Time) []byte {
	if !n.started {
		return dst
	}
	t := now.Sub(n.epoch)
	n.dropCuts()
	start := len(dst)
	for {
		due := 0
		for due < len(n.cuts) && n.dueAt(due) <= t {
			due++
		}
		if due == 0 {
			return dst
		}
		last := 0
		for last < due-1 && n.cuts[last].end-n.next < n.minBatch {
			last++
		}
		if n.cuts[last].end-n.next < n.minBatch && t-n.dueAt(0) < n.mergeWait {
			return dst // small: wait for the next batches
		}
		mark, next, stats, fbCount, outRef := len(dst), n.next, n.stats, n.fbCount, n.outRef
		var whole bool
		dst, whole = n.emitBatch(dst, n.cuts[last].end, budget-(len(dst)-start))
		if !whole {
			if mark > start {
				// Not the first batch: it goes out whole with the next call.
				dst, n.next, n.stats, n.fbCount, n.outRef = dst[:mark], next, stats, fbCount, outRef
			}
			return dst
		}
		n.cuts = n.cuts[:copy(n.cuts, n.cuts[last+1:])]
	}
}

// dueAt is when batch j of n.cuts is due (normaliser clock): when the next
// feedback came in, or a reorder window after its own.
func (n *normaliser) dueAt(j int) time.Duration {
	c := n.cuts[j]
	if c.haveNext {
		return min(c.next, c.at+n.window)
	}
	return c.at + n.window
}

// addCut records the end of an incoming feedback's batch. A feedback
// that ends at or before the last batch (a repeat, or one that came after
// a later one) makes no batch of its own: its numbers join the batch that
// covers them. The oldest batch merges into the next when there are too
// many.
func (n *normaliser) addCut(c twccCut) {
	if c.end <= n.next || (len(n.cuts) > 0 && c.end <= n.cuts[len(n.cuts)-1].end) {
		return
	}
	if len(n.cuts) == twccMaxCuts {
		n.cuts = n.cuts[:copy(n.cuts, n.cuts[1:])]
	}
	n.cuts = append(n.cuts, c)
}

// dropCuts forgets cuts at or below the first number not given out.
func (n *normaliser) dropCuts() {
	i := 0
	for i < len(n.cuts) && n.cuts[i].end <= n.next {
		i++
	}
	n.cuts = n.cuts[:copy(n.cuts, n.cuts[i:])]
}

// emitBatch appends the resolved statuses from n.next up to end as
// TransportLayerCC packets within budget bytes, and reports whether all of
// them fitted.
func (n *normaliser) emitBatch(dst []byte, end int64, budget int) ([]byte, bool) {
	used := 0 // bytes of finished packets
	var (
		base        int64 // first number of the packet being built
		deltaBytes  int
		ref, prev   int64 // reference time and last arrival of the packet, ticks
		haveArrival bool
	)
	n.syms, n.deltas = n.syms[:0], n.deltas[:0]
	finish := func() {
		if len(n.syms) > 0 {
			b := n.marshal(base, ref, haveArrival, deltaBytes)
			dst = append(dst, b...)
			used += len(b)
		}
		n.syms, n.deltas = n.syms[:0], n.deltas[:0]
		deltaBytes, haveArrival = 0, false
	}
	for ; n.next < end; n.next++ {
		e := n.entry(n.next)
		status := twccNotReceived
		var delta int64
		tooLate := false
		switch e.state {
		case twccUnknown:
			// Never reported: the estimator hears nothing of it.
			finish()
			n.stats.Unreported++
			continue
		case twccReceivedNoTime:
			status = twccReceivedNoDelta
		case twccReceived:
			if e.late && n.overtakenBy(n.next, e.at) > twccMaxLateness {
				tooLate = true
				break // given out as not received
			}
			if haveArrival {
				delta = e.at - prev
				if delta < -32768 || delta > 32767 {
					// Too far from the previous arrival for a delta: start a
					// packet of its own.
					finish()
				}
			}
			if !haveArrival {
				ref = floorDiv(e.at, 256) * 256
				prev, haveArrival = ref, true
				delta = e.at - ref
			}
			status = twccSmallDelta
			if delta < 0 || delta > 255 {
				status = twccLargeDelta
			}
		}
		need := 0
		switch status {
		case twccSmallDelta:
			need = 1
		case twccLargeDelta:
			need = 2
		}
		if used+twccMaxSize(len(n.syms)+1, deltaBytes+need) > budget {
			if need > 0 && len(n.deltas) == 0 {
				// Its reference time was set for this status alone.
				haveArrival = false
			}
			finish()
			return dst, false
		}
		if len(n.syms) == 0 {
			base = n.next
		}
		n.syms = append(n.syms, status)
		if need > 0 {
			n.deltas = append(n.deltas, rtcp.RecvDelta{Type: status, Delta: delta * rtcp.TypeTCCDeltaScaleFactor})
			deltaBytes += need
			prev = e.at
		}
		if e.state == twccHole {
			n.stats.Lost++
		}
		if tooLate {
			n.stats.TooLate++
		}
	}
	finish()
	return dst, true
}

// marshal encodes the statuses in n.syms and n.deltas (deltaBytes bytes of
// deltas) as one TransportLayerCC starting at number base, with reference
// time ref (ticks) when it holds an arrival, else the last one given out.
func (n *normaliser) marshal(base, ref int64, haveArrival bool, deltaBytes int) []byte {
	if haveArrival {
		n.outRef = ref / 256
	}
	var chunks []rtcp.PacketStatusChunk
	syms := n.syms
	for i := 0; i < len(syms); {
		run := 1
		for i+run < len(syms) && syms[i+run] == syms[i] && run < 0x1fff {
			run++
		}
		if run >= 7 {
			chunks = append(chunks, &rtcp.RunLengthChunk{PacketStatusSymbol: syms[i], RunLength: uint16(run)})
			i += run
			continue
		}
		m := min(7, len(syms)-i)
		chunks = append(chunks, &rtcp.StatusVectorChunk{
			SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit,
			SymbolList: append([]uint16(nil), syms[i:i+m]...),
		})
		i += m
	}
	deltas := make([]*rtcp.RecvDelta, len(n.deltas))
	for i := range n.deltas {
		d := n.deltas[i]
		deltas[i] = &d
	}
	size := 20 + 2*len(chunks) + deltaBytes
	padded := (size + 3) &^ 3
	// pion/rtcp refuses feedback whose last chunk ends the packet (it
	// wants a byte after it), which only deltas or padding provide:
	// without deltas, four bytes of padding are added below.
	extra := deltaBytes == 0 && padded == size
	fb := &rtcp.TransportLayerCC{
		Header: rtcp.Header{
			Padding: padded != size,
			Count:   rtcp.FormatTCC,
			Type:    rtcp.TypeTransportSpecificFeedback,
			Length:  uint16(padded/4 - 1),
		},
		SenderSSRC:         n.senderSSRC,
		MediaSSRC:          n.mediaSSRC,
		BaseSequenceNumber: uint16(base),
		PacketStatusCount:  uint16(len(syms)),
		ReferenceTime:      uint32(n.outRef) & 0xffffff,
		FbPktCount:         n.fbCount,
		PacketChunks:       chunks,
		RecvDeltas:         deltas,
	}
	b, err := fb.Marshal()
	if err != nil {
		// Cannot happen: every value was checked to fit.
		return nil
	}
	if extra {
		b[0] |= 0x20
		binary.BigEndian.PutUint16(b[2:], uint16(padded/4))
		b = append(b, 0, 0, 0, 4)
	}
	n.fbCount++
	n.stats.Emitted++
	return b
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// InterceptorFactory makes the interceptor that normalises incoming
// transport-cc feedback, one per connection.
type InterceptorFactory struct {
	window time.Duration
	now    func() time.Time
}

// NewInterceptor returns the factory to add to a connection's interceptor
// registry, just before the bandwidth estimator: interceptors added earlier
// read incoming RTCP first, and the feedback must be rewritten before the
// estimator reads it.
func NewInterceptor() *InterceptorFactory {
	return &InterceptorFactory{window: twccReorderWindow, now: time.Now}
}

// NewInterceptorWithClock is NewInterceptor reading the time from now
// instead of the wall clock, for simulated calls that run faster than
// real time (the bandwidth estimator's tests, rtc/bwe).
func NewInterceptorWithClock(now func() time.Time) *InterceptorFactory {
	return &InterceptorFactory{window: twccReorderWindow, now: now}
}

// NewInterceptor makes the normaliser of one connection.
func (f *InterceptorFactory) NewInterceptor(_ string) (interceptor.Interceptor, error) {
	return &normaliserInterceptor{n: newNormaliser(f.window, f.now()), now: f.now}, nil
}

// normaliserInterceptor rewrites the transport-cc feedback in the RTCP
// read by every sender and receiver of a connection; they share one state,
// as the sequence numbers are the transport's.
type normaliserInterceptor struct {
	interceptor.NoOp
	now func() time.Time

	mu      sync.Mutex
	n       *normaliser
	scratch []byte
}

// BindRTCPReader wraps a sender's or receiver's RTCP reader. The reader
// it returns reads on until it has something to return: a compound that
// held only feedback with nothing resolved yet is dropped whole (an empty
// read would be an error to whoever reads above).
func (i *normaliserInterceptor) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		in := a
		for {
			n, attr, err := reader.Read(b, in)
			if err != nil {
				return n, attr, err
			}
			m, rewritten := i.rewrite(b, n)
			if !rewritten {
				return n, attr, nil
			}
			if m > 0 {
				// The attributes may hold the packets parsed from the bytes
				// as they came in (GetRTCPPackets caches them), which the
				// estimator would read instead of the new bytes.
				return m, withoutParsedRTCP(attr), nil
			}
			in = withoutParsedRTCP(a)
		}
	})
}

// withoutParsedRTCP copies attributes leaving out the RTCP packets cached
// by interceptor.Attributes.GetRTCPPackets (under a key of its own; the
// only value of that type).
func withoutParsedRTCP(a interceptor.Attributes) interceptor.Attributes {
	if a == nil {
		return nil
	}
	c := make(interceptor.Attributes, len(a))
	for k, v := range a {
		if _, ok := v.([]rtcp.Packet); ok {
			continue
		}
		c[k] = v
	}
	return c
}

// rewrite normalises the transport-cc feedback in the RTCP compound
// b[:n], in place, and returns the new length. It reports false, leaving
// b alone, when the compound holds no feedback or does not split into
// packets; the feedback's place in the compound goes to what is emitted,
// within len(b).
func (i *normaliserInterceptor) rewrite(b []byte, n int) (int, bool) {
	raw := b[:n]
	twccBytes := 0
	for off := 0; off < n; {
		if n-off < 4 {
			return n, false
		}
		l := 4 * (int(binary.BigEndian.Uint16(raw[off+2:])) + 1)
		if off+l > n {
			return n, false
		}
		if isTWCC(raw[off:]) {
			twccBytes += l
		}
		off += l
	}
	if twccBytes == 0 {
		return n, false
	}

	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	for off := 0; off < n; {
		l := 4 * (int(binary.BigEndian.Uint16(raw[off+2:])) + 1)
		if isTWCC(raw[off:]) {
			_ = i.n.add(raw[off:off+l], now) // one that does not parse is dropped
		}
		off += l
	}
	out := i.scratch[:0]
	placed := false
	for off := 0; off < n; {
		l := 4 * (int(binary.BigEndian.Uint16(raw[off+2:])) + 1)
		if !isTWCC(raw[off:]) {
			out = append(out, raw[off:off+l]...)
		} else if !placed {
			out = i.n.emit(out, len(b)-(n-twccBytes), now)
			placed = true
		}
		off += l
	}
	i.scratch = out
	return copy(b, out), true
}
