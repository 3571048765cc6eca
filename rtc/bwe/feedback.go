package bwe

import (
	"time"

	"github.com/pion/rtcp"
)

// historySize is how many sent packets are remembered for their feedback
// (a power of two): ~7 s at the 600 packets a second of the 6 Mbit/s
// ceiling, far more than feedback ever lags.
const historySize = 4096

// sentPacket is what the estimator knows of one packet it let through.
type sentPacket struct {
	seq      int64 // transport-wide sequence number, unwrapped
	at       time.Time
	size     int // bytes: RTP header and payload
	resend   bool
	reported bool
}

// result is one packet's fate as the receiver reported it.
type result struct {
	seq     int64
	sent    time.Time
	size    int
	lost    bool
	arrival time.Duration // receiver's clock, from an arbitrary origin
	noTime  bool          // received, but the feedback gave no arrival time
	// resend: a packet sent again (a NACK answered) under a transport
	// number of its own. One that is reported lost may have arrived: a
	// copy of a packet already received (its NACK crossed the first copy,
	// or a second NACK went before the resend arrived) is dropped by the
	// receiver's SRTP replay check before transport-cc sees it.
	resend bool
}

// history remembers the packets sent, by transport-wide sequence number,
// and turns transport-cc feedback into results.
type history struct {
	ring    [historySize]sentPacket
	started bool
	highest int64 // highest number sent

	haveRef bool
	ref     int64 // last reference time read, unwrapped (64 ms units)
}

// unwrap places a 16-bit number next to the highest one sent.
func (h *history) unwrap(seq uint16) int64 {
	if !h.started {
		return int64(seq)
	}
	return h.highest + int64(int16(seq-uint16(h.highest)))
}

// sent records a packet leaving at at.
func (h *history) sent(seq16 uint16, at time.Time, size int, resend bool) {
	seq := h.unwrap(seq16)
	if !h.started || seq > h.highest {
		h.highest, h.started = seq, true
	}
	h.ring[seq&(historySize-1)] = sentPacket{seq: seq, at: at, size: size, resend: resend}
}

// feedback appends to out the results of the packets fb reports that were
// sent through the estimator and not reported before, in number order.
// A number reported again (Peercall's feedback normaliser gives each
// number once, with its final fate; a peer's raw feedback may repeat a
// range) keeps the fate it was first given.
func (h *history) feedback(fb *rtcp.TransportLayerCC, out []result) []result {
	if !h.started || fb.PacketStatusCount == 0 {
		return out
	}
	// The reference time, unwrapped to the epoch nearest the last one (24
	// bits of 64 ms wrap after 12 days).
	ref := int64(fb.ReferenceTime & 0xffffff)
	if h.haveRef {
		ref = h.ref + ((ref-h.ref+1<<23)&0xffffff - 1<<23)
	}
	h.ref, h.haveRef = ref, true
	arrival := time.Duration(ref) * 64 * time.Millisecond

	seq := h.unwrap(fb.BaseSequenceNumber)
	left := int(fb.PacketStatusCount)
	deltas := fb.RecvDeltas
	status := func(symbol uint16) {
		r := result{seq: seq}
		switch symbol {
		case rtcp.TypeTCCPacketNotReceived:
			r.lost = true
		case rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedLargeDelta:
			if len(deltas) == 0 {
				r.noTime = true
				break
			}
			arrival += time.Duration(deltas[0].Delta) * time.Microsecond
			deltas = deltas[1:]
			r.arrival = arrival
		default:
			r.noTime = true
		}
		seq++
		left--
		p := &h.ring[r.seq&(historySize-1)]
		if p.seq != r.seq || p.at.IsZero() || p.reported {
			return
		}
		p.reported = true
		r.sent, r.size, r.resend = p.at, p.size, p.resend
		out = append(out, r)
	}
	for _, chunk := range fb.PacketChunks {
		switch c := chunk.(type) {
		case *rtcp.RunLengthChunk:
			for range min(int(c.RunLength), left) {
				status(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList[:min(len(c.SymbolList), left)] {
				status(s)
			}
		}
		if left == 0 {
			break
		}
	}
	return out
}
