package media

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// assemblerSlots is how many RTP packets the assembler keeps while it waits
// for a frame to complete. At 30 fps a 720p keyframe rarely needs more than
// a hundred packets; the rest is room for reordering and retransmissions.
const assemblerSlots = 1024

// gapPatience is how long a missing packet may hold back newer complete
// frames before the assembler gives up on it and asks for a keyframe. It
// leaves room for a resend to be lost and sent again a round trip later on
// an 80 ms link (the sender resends at most once a round trip): giving up
// costs a keyframe's round trip and more. With 150 ms, a minute's call on
// a link losing 5 % froze once for 304 ms, waiting for a keyframe.
const gapPatience = 250 * time.Millisecond

// slotBytes is the payload room each slot owns: a whole datagram, so no
// packet that arrived over UDP needs more.
const slotBytes = 1500

type slot struct {
	used      bool
	seq       uint16
	ts        uint32
	start     bool // first packet of a frame (S=1, partition 0)
	marker    bool // last packet of a frame
	keyframe  bool // valid only when start is set
	payload   []byte
	arrivedAt time.Time
}

// frameAssembler turns VP8 RTP packets back into whole frames, in order,
// without waiting for the next frame to begin: a frame is released as soon as
// its marker packet and every packet before it are in. When packets are lost
// for good it skips to the next keyframe and says so, so the caller can ask
// the sender for one.
type frameAssembler struct {
	slots    [assemblerSlots]slot
	arena    []byte // every slot's payload room, made once
	depack   codecs.VP8Packet
	frame    []byte
	synced   bool   // next holds the first packet of the next frame to release
	next     uint16 // sequence number where the next frame starts
	newest   uint16
	haveAny  bool
	blocked  time.Time // when a newer packet first waited on a missing one
	needsKey bool
}

// push stores one packet. It returns errNotVP8 for payloads that cannot be
// parsed; such packets are ignored.
func (a *frameAssembler) push(pkt *rtp.Packet, now time.Time) error {
	payload, err := a.depack.Unmarshal(pkt.Payload)
	if err != nil {
		return errNotVP8
	}
	seq := pkt.SequenceNumber
	if a.synced && seqBefore(seq, a.next) {
		return nil // late duplicate or retransmission of something released
	}
	s := &a.slots[seq%assemblerSlots]
	if s.used && s.seq == seq {
		return nil // duplicate
	}
	if s.used && a.synced && !seqBefore(s.seq, a.next) {
		// The ring is full of packets still waiting: give up on them.
		a.resync()
	}
	s.used = true
	s.seq = seq
	s.ts = pkt.Timestamp
	s.start = a.depack.S == 1 && a.depack.PID == 0
	s.marker = pkt.Marker
	s.keyframe = s.start && len(payload) > 0 && payload[0]&0x01 == 0
	if s.payload == nil && len(payload) <= slotBytes {
		if a.arena == nil {
			a.arena = make([]byte, assemblerSlots*slotBytes)
		}
		i := int(seq % assemblerSlots)
		s.payload = a.arena[i*slotBytes : i*slotBytes : (i+1)*slotBytes]
	}
	s.payload = append(s.payload[:0], payload...)
	s.arrivedAt = now
	if !a.haveAny || seqBefore(a.newest, seq) {
		a.newest = seq
		a.haveAny = true
	}
	return nil
}

// pop returns the next complete frame, or nil when none is ready. The slice
// is reused by the next call. keyframe tells whether it starts a keyframe.
// Frames given up on are not reported here: takeKeyframeNeed says when a
// keyframe should be requested.
func (a *frameAssembler) pop(now time.Time) (frame []byte, keyframe bool) {
	for {
		if !a.synced {
			if !a.syncToKeyframe() {
				return nil, false
			}
		}
		frame, keyframe, ok := a.collect()
		if ok {
			a.blocked = time.Time{}
			return frame, keyframe
		}
		// The next frame is incomplete. Wait for retransmissions for a
		// while if newer packets show that something went missing.
		if !a.haveAny || !seqBefore(a.next, a.newest) {
			return nil, false
		}
		if a.blocked.IsZero() {
			a.blocked = now
		}
		if now.Sub(a.blocked) < gapPatience {
			return nil, false
		}
		a.resync()
	}
}

// collect gathers the frame starting at a.next if all its packets are in.
func (a *frameAssembler) collect() ([]byte, bool, bool) {
	first := &a.slots[a.next%assemblerSlots]
	if !first.used || first.seq != a.next || !first.start {
		return nil, false, false
	}
	ts := first.ts
	seq := a.next
	for n := 0; n < assemblerSlots; n++ {
		s := &a.slots[seq%assemblerSlots]
		if !s.used || s.seq != seq || s.ts != ts {
			return nil, false, false
		}
		if s.marker {
			a.frame = a.frame[:0]
			end := seq
			for q := a.next; ; q++ {
				qs := &a.slots[q%assemblerSlots]
				a.frame = append(a.frame, qs.payload...)
				qs.used = false
				if q == end {
					break
				}
			}
			a.next = end + 1
			return a.frame, first.keyframe, true
		}
		seq++
	}
	return nil, false, false
}

// resync drops everything before the newest packet and waits for a keyframe.
func (a *frameAssembler) resync() {
	a.synced = false
	a.needsKey = true
	a.blocked = time.Time{}
}

// syncToKeyframe looks for the start of a keyframe among the stored packets
// and makes it the next frame to release; older packets are dropped.
func (a *frameAssembler) syncToKeyframe() bool {
	found := false
	var best uint16
	for i := range a.slots {
		s := &a.slots[i]
		if !s.used || !s.keyframe {
			continue
		}
		if !found || seqBefore(best, s.seq) {
			best, found = s.seq, true
		}
	}
	if !found {
		return false
	}
	for i := range a.slots {
		s := &a.slots[i]
		if s.used && seqBefore(s.seq, best) {
			s.used = false
		}
	}
	a.next = best
	a.synced = true
	a.blocked = time.Time{}
	return true
}

// takeKeyframeNeed reports whether the assembler gave up on frames since
// the last call (or has never seen a keyframe), and clears the flag.
func (a *frameAssembler) takeKeyframeNeed() bool {
	need := a.needsKey || (!a.synced && a.haveAny)
	a.needsKey = false
	return need
}

// seqBefore reports whether RTP sequence number a comes before b, with
// wrap-around.
func seqBefore(a, b uint16) bool {
	return a != b && b-a < 0x8000
}
