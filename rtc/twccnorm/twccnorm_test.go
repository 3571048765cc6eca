package twccnorm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// fbStatus is one number's status as a test writes or reads it: ticks is
// the arrival in 250 µs units, absolute (reference time included).
type fbStatus struct {
	seq    uint16
	status uint16
	ticks  int64
}

func (s fbStatus) String() string {
	switch s.status {
	case twccNotReceived:
		return fmt.Sprintf("%d:lost", s.seq)
	case twccReceivedNoDelta:
		return fmt.Sprintf("%d:recv", s.seq)
	case twccLargeDelta:
		return fmt.Sprintf("%d:@%dL", s.seq, s.ticks)
	}
	return fmt.Sprintf("%d:@%d", s.seq, s.ticks)
}

// chunk kinds buildFB can use.
const (
	chunksTwoBit = iota
	chunksOneBit // where the statuses allow it
	chunksRunLength
	chunksMixed
)

// buildFB encodes statuses (consecutive from sts[0].seq) as a
// TransportLayerCC with pion/rtcp's types, as a remote peer might: the
// reference time is refTime (64 ms units, 24 bits), arrival ticks are
// absolute in the epoch refTime belongs to.
func buildFB(t testing.TB, refTime int64, fbCount uint8, kind int, sts []fbStatus) []byte {
	t.Helper()
	fb := &rtcp.TransportLayerCC{
		SenderSSRC: 0x1234, MediaSSRC: 0x5678,
		BaseSequenceNumber: sts[0].seq, PacketStatusCount: uint16(len(sts)),
		ReferenceTime: uint32(refTime) & 0xffffff, FbPktCount: fbCount,
	}
	prev := refTime * 256
	size := 20
	for _, s := range sts {
		switch s.status {
		case twccSmallDelta, twccLargeDelta:
			fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: s.status, Delta: (s.ticks - prev) * 250})
			prev = s.ticks
			size += int(s.status)
		}
	}
	syms := make([]uint16, len(sts))
	for i, s := range sts {
		syms[i] = s.status
	}
	for i := 0; i < len(syms); {
		run := 1
		for i+run < len(syms) && syms[i+run] == syms[i] && run < 0x1fff {
			run++
		}
		oneBit := true
		for _, s := range syms[i:min(i+14, len(syms))] {
			oneBit = oneBit && s <= 1
		}
		switch {
		case kind == chunksRunLength || (kind == chunksMixed && run >= 3):
			fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: syms[i], RunLength: uint16(run)})
			i += run
		case (kind == chunksOneBit || kind == chunksMixed) && oneBit:
			m := min(14, len(syms)-i)
			fb.PacketChunks = append(fb.PacketChunks, &rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeOneBit, SymbolList: syms[i : i+m]})
			i += m
		default:
			m := min(7, len(syms)-i)
			fb.PacketChunks = append(fb.PacketChunks, &rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: syms[i : i+m]})
			i += m
		}
	}
	size += 2 * len(fb.PacketChunks)
	padded := (size + 3) &^ 3
	fb.Header = rtcp.Header{Padding: padded != size, Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback, Length: uint16(padded/4 - 1)}
	b, err := fb.Marshal()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// fbDecoder reads emitted feedback back, unwrapping reference times to
// the nearest epoch as pion's feedback adapter does.
type fbDecoder struct {
	haveRef bool
	ref     int64
	count   []uint8
}

// decode reads every TransportLayerCC in the compound b, checking that
// pion/rtcp parses it to the same statuses as walkTWCC.
func (d *fbDecoder) decode(t testing.TB, b []byte) []fbStatus {
	t.Helper()
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		t.Fatalf("emitted RTCP does not parse: %v (% x)", err, b)
	}
	var out []fbStatus
	off := 0
	for _, p := range pkts {
		l := 4 * (int(binary.BigEndian.Uint16(b[off+2:])) + 1)
		fb, ok := p.(*rtcp.TransportLayerCC)
		if !ok {
			off += l
			continue
		}
		ref := int64(fb.ReferenceTime)
		if d.haveRef {
			ref = d.ref + ((ref-d.ref+1<<23)&0xffffff - 1<<23)
		}
		d.ref, d.haveRef = ref, true
		d.count = append(d.count, fb.FbPktCount)
		var mine []fbStatus
		if _, err := walkTWCC(b[off:off+l], func(seq, status uint16, ticks int64) {
			if status == twccSmallDelta || status == twccLargeDelta {
				ticks += ref * 256
			}
			mine = append(mine, fbStatus{seq, status, ticks})
		}); err != nil {
			t.Fatalf("walkTWCC: %v", err)
		}
		theirs := statusesFromRTCP(fb, ref)
		if !slices.Equal(mine, theirs) {
			t.Fatalf("walkTWCC read %v, pion/rtcp %v", mine, theirs)
		}
		out = append(out, mine...)
		off += l
	}
	return out
}

// statusesFromRTCP reads a TransportLayerCC parsed by pion/rtcp into
// statuses, as pion's feedback adapter walks it.
func statusesFromRTCP(fb *rtcp.TransportLayerCC, ref int64) []fbStatus {
	var out []fbStatus
	seq, left := fb.BaseSequenceNumber, int(fb.PacketStatusCount)
	ticks := ref * 256
	deltas := fb.RecvDeltas
	add := func(s uint16) {
		st := fbStatus{seq: seq, status: s}
		if s == twccSmallDelta || s == twccLargeDelta {
			ticks += deltas[0].Delta / 250
			deltas = deltas[1:]
			st.ticks = ticks
		}
		out = append(out, st)
		seq++
		left--
	}
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range min(int(c.RunLength), left) {
				add(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList[:min(len(c.SymbolList), left)] {
				add(s)
			}
		}
	}
	return out
}

// fakeClock is a settable clock for the normaliser.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Unix(1_000_000, 0)} }

// normTest drives a bare normaliser with a fake clock.
type normTest struct {
	t     *testing.T
	clock *fakeClock
	n     *normaliser
	dec   fbDecoder
	seen  map[uint16]fbStatus // everything emitted so far
}

// newNormTest makes a normaliser that gives each batch out on its own
// (TestFeedbackMergesSmallBatches covers merging).
func newNormTest(t *testing.T) *normTest {
	c := newFakeClock()
	n := newNormaliser(twccReorderWindow, c.now())
	n.minBatch = 1
	return &normTest{t: t, clock: c, n: n, seen: map[uint16]fbStatus{}}
}

// feed gives the normaliser one feedback and returns what it emits; it
// fails the test if a number comes out twice.
func (nt *normTest) feed(fb []byte) []fbStatus {
	nt.t.Helper()
	if err := nt.n.add(fb, nt.clock.now()); err != nil {
		nt.t.Fatalf("add: %v", err)
	}
	return nt.flush()
}

func (nt *normTest) flush() []fbStatus {
	nt.t.Helper()
	out := nt.n.emit(nil, 1500, nt.clock.now())
	if len(out) == 0 {
		return nil
	}
	got := nt.dec.decode(nt.t, out)
	for _, s := range got {
		if prev, ok := nt.seen[s.seq]; ok {
			nt.t.Fatalf("%d emitted twice: %v then %v", s.seq, prev, s)
		}
		nt.seen[s.seq] = s
	}
	return got
}

// recv and lost make statuses; ticks are absolute (ref 1000 → 256000).
func recv(seq uint16, ticks int64) fbStatus {
	return fbStatus{seq: seq, status: twccSmallDelta, ticks: ticks}
}
func lost(seq uint16) fbStatus { return fbStatus{seq: seq, status: twccNotReceived} }

// withTypes sets small or large delta types from the arrival order.
func withTypes(refTime int64, sts []fbStatus) []fbStatus {
	prev := refTime * 256
	out := slices.Clone(sts)
	for i, s := range out {
		if s.status == twccNotReceived || s.status == twccReceivedNoDelta {
			continue
		}
		d := s.ticks - prev
		out[i].status = twccSmallDelta
		if d < 0 || d > 255 {
			out[i].status = twccLargeDelta
		}
		prev = s.ticks
	}
	return out
}

func seqs(sts []fbStatus) []uint16 {
	var out []uint16
	for _, s := range sts {
		out = append(out, s.seq)
	}
	return out
}

func TestFeedbackParseRoundTrip(t *testing.T) {
	const ref = 1000
	base := int64(ref * 256)
	sts := withTypes(ref, []fbStatus{
		recv(100, base+3), recv(101, base+5), lost(102), recv(103, base+4), // reordered: negative delta
		recv(104, base+400), // > 63.75 ms: large delta
		lost(105), lost(106), lost(107), lost(108), lost(109), lost(110), lost(111), lost(112), lost(113),
		recv(114, base+401), {seq: 115, status: twccReceivedNoDelta}, recv(116, base+402),
		recv(117, base-20_000), // 5 s earlier: large negative delta
		recv(118, base+12_000),
	})
	for _, kind := range []int{chunksTwoBit, chunksOneBit, chunksRunLength, chunksMixed} {
		t.Run(fmt.Sprint(kind), func(t *testing.T) {
			raw := buildFB(t, ref, 7, kind, sts)
			var got []fbStatus
			h, err := walkTWCC(raw, func(seq, status uint16, ticks int64) {
				if status == twccSmallDelta || status == twccLargeDelta {
					ticks += base
				}
				got = append(got, fbStatus{seq, status, ticks})
			})
			if err != nil {
				t.Fatal(err)
			}
			if h.base != 100 || h.count != uint16(len(sts)) || h.refTime != ref || h.fbCount != 7 || h.senderSSRC != 0x1234 || h.mediaSSRC != 0x5678 {
				t.Errorf("header %+v", h)
			}
			if !slices.Equal(got, sts) {
				t.Fatalf("read\n%v\nwant\n%v", got, sts)
			}
			// Through the normaliser (nothing held: no hole is unresolved
			// once the window has passed) and back.
			nt := newNormTest(t)
			if err := nt.n.add(raw, nt.clock.now()); err != nil {
				t.Fatal(err)
			}
			nt.clock.advance(twccReorderWindow)
			out := nt.flush()
			if !slices.Equal(out, sts) {
				t.Fatalf("emitted\n%v\nwant\n%v", out, sts)
			}
		})
	}
}

// Feedback built by pion's own recorder reads back as what it recorded.
func TestFeedbackParsesPionRecorder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := twcc.NewRecorder(99)
	type rec struct {
		seq uint16
		us  int64
	}
	var want []rec
	at := int64(10_000_000)
	seq := uint16(65000) // wraps during the run
	for range 1500 {
		seq++
		at += rng.Int64N(3000)
		switch x := rng.IntN(100); {
		case x < 5: // lost
			continue
		case x < 7:
			at += 70_000 + rng.Int64N(300_000) // gap: large delta
		}
		arr := at + rng.Int64N(20_000) - 10_000 // reordered arrivals
		r.Record(5, seq, arr)
		want = append(want, rec{seq, arr})
	}
	got := map[uint16]int64{}
	lostSeen := map[uint16]bool{}
	var dec fbDecoder
	for _, p := range r.BuildFeedbackPacket() {
		raw, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range dec.decode(t, raw) {
			if s.status == twccNotReceived {
				lostSeen[s.seq] = true
				continue
			}
			got[s.seq] = s.ticks * 250
		}
	}
	for _, w := range want {
		g, ok := got[w.seq]
		if !ok {
			t.Fatalf("%d not reported received", w.seq)
		}
		// The recorder rounds each delta to 250 µs without drifting.
		if d := g - w.us; d < -125 || d > 125 {
			t.Errorf("%d: read %d µs, recorded %d", w.seq, g, w.us)
		}
	}
	if len(lostSeen) == 0 {
		t.Error("no loss reported")
	}
}

// A packet overtaken by later ones: reported missing, then received in the
// recorder's repeated range; the estimator hears of it once, as received,
// in the batch the receiver first reported it in, when the next feedback
// has come in; and of nothing else twice.
func TestFeedbackLatePacketOnce(t *testing.T) {
	nt := newNormTest(t)
	const ref = 2000
	b := int64(ref * 256)
	// First feedback: 0–9, 5 missing (it is late), 8 missing (truly lost).
	first := withTypes(ref, []fbStatus{
		recv(0, b+1), recv(1, b+5), recv(2, b+9), recv(3, b+13), recv(4, b+17),
		lost(5), recv(6, b+25), recv(7, b+29), lost(8), recv(9, b+37),
	})
	if out := nt.feed(buildFB(t, ref, 1, chunksTwoBit, first)); out != nil {
		t.Fatalf("emitted %v at once, want it held until the next feedback", out)
	}
	// 50 ms later: 5 arrived 5 ms after 6; the recorder re-reports from 5
	// on, 8 still missing, and new numbers 10–12. The first batch, 0–9,
	// goes out whole: 5 received at its real arrival, 8 lost.
	nt.clock.advance(50 * time.Millisecond)
	want := slices.Clone(first)
	want[5] = recv(5, b+45)
	if out := nt.feed(buildFB(t, ref, 2, chunksTwoBit, withTypes(ref, []fbStatus{
		recv(5, b+45), recv(6, b+25), recv(7, b+29), lost(8), recv(9, b+37),
		recv(10, b+210), recv(11, b+214), recv(12, b+218),
	}))); !slices.Equal(withoutTypes(out), withoutTypes(want)) {
		t.Fatalf("first batch %v, want %v", out, want)
	}
	if nt.n.stats.Late != 1 {
		t.Errorf("%d late packets counted, want 1", nt.n.stats.Late)
	}
	// With no feedback after it, the second batch, 10–12, is due a window
	// after it came in.
	nt.clock.advance(99 * time.Millisecond)
	if out := nt.flush(); out != nil {
		t.Fatalf("emitted %v before the window passed", out)
	}
	nt.clock.advance(1 * time.Millisecond)
	if out := nt.flush(); !slices.Equal(seqs(out), []uint16{10, 11, 12}) {
		t.Fatalf("second batch %v, want 10–12", out)
	}
	// Everything re-reported now is dropped.
	nt.clock.advance(50 * time.Millisecond)
	if out := nt.feed(buildFB(t, ref, 4, chunksTwoBit, withTypes(ref, []fbStatus{
		recv(5, b+45), recv(6, b+25), recv(7, b+29), lost(8), recv(9, b+37),
	}))); out != nil {
		t.Fatalf("re-report emitted %v", out)
	}
	nt.clock.advance(time.Second)
	if out := nt.flush(); out != nil {
		t.Fatalf("re-report emitted %v", out)
	}
	if got, want := len(nt.seen), 13; got != want {
		t.Errorf("%d numbers emitted, want %d", got, want)
	}
	if nt.n.stats.Lost != 1 || nt.n.stats.TooLate != 0 {
		t.Errorf("%d lost, %d too late, want 1 and 0", nt.n.stats.Lost, nt.n.stats.TooLate)
	}
	// FbPktCount goes up by one a packet.
	for i := 1; i < len(nt.dec.count); i++ {
		if nt.dec.count[i] != nt.dec.count[i-1]+1 {
			t.Errorf("feedback counts %v", nt.dec.count)
			break
		}
	}
}

// A packet reported missing that arrives a round trip after the packets
// sent after it — pion's NACK responder resent it under its transport
// number — is given out as lost.
func TestFeedbackResentPacketIsLost(t *testing.T) {
	nt := newNormTest(t)
	const ref = 2000
	b := int64(ref * 256)
	nt.feed(buildFB(t, ref, 1, chunksTwoBit, withTypes(ref, []fbStatus{recv(0, b+1), lost(1), recv(2, b+9), lost(3), recv(4, b+17)})))
	nt.clock.advance(50 * time.Millisecond)
	// 1 arrived 51 ms after 2 (too late), 3 arrived 49 ms after 4 (in time).
	out := nt.feed(buildFB(t, ref, 2, chunksTwoBit, withTypes(ref, []fbStatus{recv(1, b+9+204), recv(2, b+9), recv(3, b+17+196), recv(4, b+17)})))
	want := []fbStatus{recv(0, b+1), lost(1), recv(2, b+9), recv(3, b+17+196), recv(4, b+17)}
	if !slices.Equal(withoutTypes(out), want) {
		t.Fatalf("emitted %v, want %v", out, want)
	}
	if nt.n.stats.Late != 2 || nt.n.stats.TooLate != 1 {
		t.Errorf("%d late, %d too late, want 2 and 1", nt.n.stats.Late, nt.n.stats.TooLate)
	}
}

func withoutTypes(sts []fbStatus) []fbStatus {
	out := slices.Clone(sts)
	for i := range out {
		if out[i].status == twccLargeDelta {
			out[i].status = twccSmallDelta
		}
	}
	return out
}

// Truly lost and reported missing again and again: emitted once, as lost,
// with its batch.
func TestFeedbackTrulyLostOnce(t *testing.T) {
	nt := newNormTest(t)
	const ref = 50
	b := int64(ref * 256)
	fb := func(c uint8, sts ...fbStatus) []byte { return buildFB(t, ref, c, chunksMixed, withTypes(ref, sts)) }
	nt.feed(fb(0, recv(10, b), lost(11), recv(12, b+8)))
	nt.clock.advance(10 * time.Millisecond)
	if out := nt.feed(fb(1, lost(11), recv(12, b+8), recv(13, b+20))); out != nil {
		t.Fatalf("emitted %v with a feedback 10 ms after the first", out)
	}
	nt.clock.advance(40 * time.Millisecond)
	out := nt.feed(fb(2, lost(11), recv(12, b+8), recv(13, b+20), recv(14, b+21)))
	if !slices.Equal(seqs(out), []uint16{10, 11, 12, 13}) || out[1].status != twccNotReceived {
		t.Fatalf("emitted %v, want 10, 11 lost, 12, 13", out)
	}
	if out := nt.feed(fb(3, lost(11), recv(12, b+8))); out != nil {
		t.Fatalf("re-report emitted %v", out)
	}
	nt.clock.advance(100 * time.Millisecond)
	if out := nt.feed(fb(4, lost(11), recv(12, b+8))); !slices.Equal(seqs(out), []uint16{14}) {
		t.Fatalf("emitted %v, want 14", out)
	}
	if nt.n.stats.Repeats == 0 || nt.n.stats.Lost != 1 {
		t.Errorf("%d repeats, %d lost", nt.n.stats.Repeats, nt.n.stats.Lost)
	}
}

// Sequence numbers wrap at 65535: a hole at 65535 corrected in a feedback
// that starts there and runs past 0; the reference time wraps too.
func TestFeedbackWrapAround(t *testing.T) {
	nt := newNormTest(t)
	const ref = 0xfffffe
	b := int64(ref * 256)
	nt.feed(buildFB(t, ref, 250, chunksTwoBit, withTypes(ref, []fbStatus{
		recv(65532, b+1), recv(65533, b+2), recv(65534, b+3), lost(65535), recv(0, b+300), recv(1, b+301),
	})))
	nt.clock.advance(50 * time.Millisecond)
	// Next feedback's reference time has wrapped to 1 (= 0x1000001).
	ref2 := int64(0x1000001)
	b2 := ref2 * 256
	out := nt.feed(buildFB(t, ref2, 251, chunksTwoBit, withTypes(ref2, []fbStatus{
		recv(65535, b+320), recv(0, b+300), recv(1, b+301), recv(2, b2+10), lost(3), recv(4, b2+20),
	})))
	want := []fbStatus{recv(65532, b+1), recv(65533, b+2), recv(65534, b+3), recv(65535, b+320), recv(0, b+300), recv(1, b+301)}
	if got := withoutTypes(out); !slices.Equal(got, want) {
		t.Fatalf("emitted %v, want %v", got, want)
	}
	nt.clock.advance(50 * time.Millisecond)
	out = nt.feed(buildFB(t, ref2, 252, chunksTwoBit, withTypes(ref2, []fbStatus{recv(5, b2+30)})))
	if got := withoutTypes(out); !slices.Equal(got, []fbStatus{recv(2, b2+10), lost(3), recv(4, b2+20)}) {
		t.Fatalf("emitted %v", got)
	}
}

// Numbers no feedback reported (the feedback was lost) are left out: the
// estimator hears nothing of them, as without the normaliser.
func TestFeedbackUnreportedSkipped(t *testing.T) {
	nt := newNormTest(t)
	const ref = 10
	b := int64(ref * 256)
	nt.feed(buildFB(t, ref, 0, chunksTwoBit, withTypes(ref, []fbStatus{recv(0, b), recv(1, b+1)})))
	nt.clock.advance(100 * time.Millisecond)
	// 2–4 were in a lost feedback.
	out := nt.feed(buildFB(t, ref, 2, chunksTwoBit, withTypes(ref, []fbStatus{recv(5, b+50), recv(6, b+51)})))
	if !slices.Equal(seqs(out), []uint16{0, 1}) {
		t.Fatalf("emitted %v, want 0–1", out)
	}
	nt.clock.advance(50 * time.Millisecond)
	out = nt.feed(buildFB(t, ref, 3, chunksTwoBit, withTypes(ref, []fbStatus{recv(7, b+60)})))
	if !slices.Equal(seqs(out), []uint16{5, 6}) {
		t.Fatalf("emitted %v, want 5–6", out)
	}
	if nt.n.stats.Unreported != 3 {
		t.Errorf("%d unreported, want 3", nt.n.stats.Unreported)
	}
}

// A jump far ahead starts afresh; feedback far behind is dropped unless it
// keeps coming.
func TestFeedbackResets(t *testing.T) {
	nt := newNormTest(t)
	const ref = 10
	b := int64(ref * 256)
	nt.n.window = 0 // every batch due at once
	nt.feed(buildFB(t, ref, 0, chunksTwoBit, withTypes(ref, []fbStatus{recv(100, b), recv(101, b+1)})))
	nt.feed(buildFB(t, ref, 0, chunksTwoBit, withTypes(ref, []fbStatus{recv(102, b+2), lost(103), recv(104, b+3)})))
	out := nt.feed(buildFB(t, ref, 1, chunksTwoBit, withTypes(ref, []fbStatus{recv(5000, b+10), recv(5001, b+11)})))
	if !slices.Equal(seqs(out), []uint16{5000, 5001}) || nt.n.stats.Resets != 1 {
		t.Fatalf("after a jump: emitted %v, %d resets", out, nt.n.stats.Resets)
	}
	for i := range twccStaleResets {
		out = nt.feed(buildFB(t, ref, uint8(2+i), chunksTwoBit, withTypes(ref, []fbStatus{recv(uint16(200+i), b+20+int64(i))})))
		if i < twccStaleResets-1 && out != nil {
			t.Fatalf("stale feedback %d emitted %v", i, out)
		}
	}
	if !slices.Equal(seqs(out), []uint16{200 + twccStaleResets - 1}) || nt.n.stats.Resets != 2 {
		t.Fatalf("after %d stale feedbacks: emitted %v, %d resets", twccStaleResets, out, nt.n.stats.Resets)
	}
}

// Small batches go out merged once they hold twccMinBatch numbers, or
// twccMergeWait after the first was due; big ones on their own.
func TestFeedbackMergesSmallBatches(t *testing.T) {
	nt := newNormTest(t)
	nt.n.minBatch = twccMinBatch
	const ref = 10
	b := int64(ref * 256)
	batch := func(first uint16, k int) []byte {
		var sts []fbStatus
		for i := range k {
			st := recv(first+uint16(i), b+int64(first)+int64(i))
			if i == 2 {
				st = lost(st.seq)
			}
			sts = append(sts, st)
		}
		return buildFB(t, ref, 0, chunksTwoBit, withTypes(ref, sts))
	}
	// Batches of 6 every 50 ms: each is due when the next comes in, and
	// they go out two by two (12 numbers), one packet each time.
	var got []string
	for i := range 5 {
		if out := nt.feed(batch(uint16(6*i), 6)); out != nil {
			got = append(got, fmt.Sprintf("%d ms: %d–%d", 50*i, out[0].seq, out[len(out)-1].seq))
		}
		nt.clock.advance(50 * time.Millisecond)
	}
	if want := []string{"100 ms: 0–11", "200 ms: 12–23"}; !slices.Equal(got, want) || len(nt.dec.count) != 2 {
		t.Fatalf("emitted %v in %d packets, want %v", got, len(nt.dec.count), want)
	}
	// The fifth batch, alone, is due a window after it came in (200 ms),
	// and goes out twccMergeWait later.
	nt.clock.advance(twccReorderWindow + twccMergeWait - 50*time.Millisecond - time.Millisecond)
	if out := nt.flush(); out != nil {
		t.Fatalf("emitted %v before the merge wait ran out", out)
	}
	nt.clock.advance(time.Millisecond)
	if out := nt.flush(); !slices.Equal(seqs(out), []uint16{24, 25, 26, 27, 28, 29}) {
		t.Fatalf("emitted %v, want 24–29", out)
	}
	// A batch big enough goes out alone when due.
	nt.feed(batch(30, twccMinBatch))
	nt.clock.advance(twccReorderWindow)
	if out := nt.flush(); len(out) != twccMinBatch {
		t.Fatalf("emitted %v, want %d", out, twccMinBatch)
	}
}

// Long runs, every delta kind and a gap too long for one delta, under a
// byte budget: everything comes out once, in order, a packet at a time.
func TestFeedbackLongRunsAndBudget(t *testing.T) {
	nt := newNormTest(t)
	const ref = 300
	b := int64(ref * 256)
	var sts []fbStatus
	seq := uint16(40000)
	ticks := b
	for i := range 3000 {
		switch {
		case i >= 500 && i < 2500: // a 2000-long outage
			sts = append(sts, lost(seq))
		case i == 2500:
			ticks += 40_000 // 10 s later: more than a large delta holds
			sts = append(sts, recv(seq, ticks))
		default:
			ticks += int64(i%5) - 1
			sts = append(sts, recv(seq, ticks))
		}
		seq++
	}
	// Three feedbacks; the last, after the gap, with a reference time of
	// its own.
	ref2 := floorDiv(sts[2500].ticks, 256)
	parts := [][]fbStatus{withTypes(ref, sts[:1000]), withTypes(ref, sts[1000:2500]), withTypes(ref2, sts[2500:])}
	for i, p := range parts {
		r := int64(ref)
		if i == 2 {
			r = ref2
		}
		if err := nt.n.add(buildFB(t, r, uint8(i), chunksMixed, p), nt.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
	sts = slices.Concat(parts...)
	nt.clock.advance(twccReorderWindow)
	var got []fbStatus
	for range 20 {
		out := nt.n.emit(nil, 300, nt.clock.now())
		if len(out) > 300 {
			t.Fatalf("%d bytes emitted in a budget of 300", len(out))
		}
		if len(out) == 0 {
			break
		}
		got = append(got, nt.dec.decode(t, out)...)
	}
	if !slices.Equal(withoutTypes(got), withoutTypes(sts)) {
		t.Fatalf("emitted %d statuses, want %d; first difference at %d", len(got), len(sts), firstDiff(withoutTypes(got), withoutTypes(sts)))
	}
}

func firstDiff(a, b []fbStatus) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The interceptor: the feedback's place in a compound goes to the rewritten
// feedback, other packets pass untouched, cached parsed packets are not
// returned, and a read of feedback alone with nothing due waits for the
// next.
func TestFeedbackInterceptorRewritesCompound(t *testing.T) {
	clock := newFakeClock()
	f := &InterceptorFactory{window: twccReorderWindow, now: clock.now}
	ic, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	ic.(*normaliserInterceptor).n.minBatch = 1
	const ref = 77
	b := int64(ref * 256)
	rr := &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2, FractionLost: 12}}}
	pli := &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 2}
	rrRaw, _ := rr.Marshal()
	pliRaw, _ := pli.Marshal()
	fb1 := buildFB(t, ref, 0, chunksTwoBit, withTypes(ref, []fbStatus{recv(1, b), lost(2), recv(3, b+4)}))
	fb2 := buildFB(t, ref, 1, chunksTwoBit, withTypes(ref, []fbStatus{recv(2, b+9), recv(3, b+4), recv(4, b+10)}))
	fb3 := buildFB(t, ref, 2, chunksTwoBit, withTypes(ref, []fbStatus{recv(4, b+10)})) // a repeat
	var reads [][]byte
	src := interceptor.RTCPReaderFunc(func(p []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if len(reads) == 0 {
			return 0, nil, io.EOF
		}
		n := copy(p, reads[0])
		reads = reads[1:]
		// An interceptor before this one parsed the packet and cached it.
		if a == nil {
			a = interceptor.Attributes{}
		}
		if _, err := a.GetRTCPPackets(p[:n]); err != nil {
			return 0, nil, err
		}
		a.Set("other", 42)
		return n, a, nil
	})
	r := ic.BindRTCPReader(src)
	var dec fbDecoder
	read := func(in ...[]byte) ([]rtcp.Packet, []fbStatus) {
		t.Helper()
		reads = in
		buf := make([]byte, 1500)
		n, a, err := r.Read(buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(reads) != 0 {
			t.Fatalf("%d reads left", len(reads))
		}
		if a.Get("other") != 42 {
			t.Errorf("attributes lost: %v", a)
		}
		pkts, err := a.GetRTCPPackets(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		again, _ := rtcp.Unmarshal(buf[:n])
		if fmt.Sprint(pkts) != fmt.Sprint(again) {
			t.Fatalf("attributes hold packets other than the bytes returned:\n%v\n%v", pkts, again)
		}
		return pkts, dec.decode(t, buf[:n])
	}
	types := func(pkts []rtcp.Packet) string {
		var s []string
		for _, p := range pkts {
			s = append(s, fmt.Sprintf("%T", p))
		}
		return strings.Join(s, " ")
	}
	// Nothing due: the feedback leaves the compound, the rest stays as it
	// was.
	pkts, _ := read(slices.Concat(rrRaw, fb1, pliRaw))
	if got := types(pkts); got != "*rtcp.ReceiverReport *rtcp.PictureLossIndication" {
		t.Fatalf("read %s", got)
	}
	if got, _ := pkts[0].Marshal(); !bytes.Equal(got, rrRaw) {
		t.Errorf("receiver report changed")
	}
	if got, _ := pkts[1].Marshal(); !bytes.Equal(got, pliRaw) {
		t.Errorf("PLI changed")
	}
	// The first batch is due, with 2 received.
	clock.advance(100 * time.Millisecond)
	pkts, sts := read(fb2)
	if got := types(pkts); got != "*rtcp.TransportLayerCC" || !slices.Equal(withoutTypes(sts), []fbStatus{recv(1, b), recv(2, b+9), recv(3, b+4)}) {
		t.Fatalf("read %s: %v", got, sts)
	}
	// A repeat alone, nothing due: the reader reads on.
	clock.advance(20 * time.Millisecond)
	if pkts, _ := read(fb3, pliRaw); types(pkts) != "*rtcp.PictureLossIndication" {
		t.Fatalf("read %s", types(pkts))
	}
	// The second batch takes the place of the feedback it came with.
	clock.advance(80 * time.Millisecond)
	pkts, sts = read(slices.Concat(rrRaw, fb3, pliRaw))
	if got := types(pkts); got != "*rtcp.ReceiverReport *rtcp.TransportLayerCC *rtcp.PictureLossIndication" || !slices.Equal(seqs(sts), []uint16{4}) {
		t.Fatalf("read %s: %v", got, sts)
	}
}

// Random bytes and random valid feedback never panic; valid feedback
// always comes out as feedback pion/rtcp parses, each number at most once.
func TestFeedbackRandomInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 300 {
		clock := newFakeClock()
		f := &InterceptorFactory{window: twccReorderWindow, now: clock.now}
		ic, _ := f.NewInterceptor("")
		var next []byte
		r := ic.BindRTCPReader(interceptor.RTCPReaderFunc(func(p []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			if next == nil {
				return 0, nil, io.EOF
			}
			n := copy(p, next)
			next = nil
			return n, a, nil
		}))
		seen := map[uint16]int{}
		var dec fbDecoder
		seq := uint16(rng.Uint32())
		ref := int64(rng.Uint32() & 0xffffff)
		tk := ref*256 + rng.Int64N(1000)
		for range 40 {
			var in []byte
			valid := rng.IntN(4) != 0
			if valid {
				var sts []fbStatus
				s := seq + uint16(rng.IntN(60)) - 30
				for range 1 + rng.IntN(200) {
					switch rng.IntN(10) {
					case 0:
						sts = append(sts, lost(s))
					case 1:
						sts = append(sts, fbStatus{seq: s, status: twccReceivedNoDelta})
					default:
						tk += rng.Int64N(2000) - 500
						if rng.IntN(50) == 0 {
							tk += rng.Int64N(60_000) - 30_000
						}
						sts = append(sts, recv(s, tk))
					}
					s++
				}
				seq = s
				in = buildFB(t, ref, uint8(round), rng.IntN(4), withTypes(ref, sts))
				ref = floorDiv(tk, 256) - rng.Int64N(3)
			} else {
				in = make([]byte, rng.IntN(80))
				for i := range in {
					in[i] = byte(rng.Uint32())
				}
				if len(in) >= 4 && rng.IntN(2) == 0 {
					in[0], in[1] = 0x80|15, 205 // looks like feedback
					binary.BigEndian.PutUint16(in[2:], uint16(len(in)/4-1))
				}
			}
			next = in
			clock.advance(time.Duration(rng.IntN(80)) * time.Millisecond)
			buf := make([]byte, 1460)
			n, _, err := r.Read(buf, nil)
			if err != nil {
				continue // dropped, and nothing left to read
			}
			if !valid {
				continue
			}
			for _, st := range dec.decode(t, buf[:n]) {
				seen[st.seq]++
				if seen[st.seq] > 1 {
					t.Fatalf("round %d: %d emitted twice", round, st.seq)
				}
			}
		}
	}
}

func FuzzFeedback(f *testing.F) {
	f.Add(buildFB(f, 10, 0, chunksMixed, withTypes(10, []fbStatus{recv(1, 2560), lost(2), recv(3, 2570)})), uint8(0))
	f.Add([]byte{0x8f, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 5, 0, 0, 1, 0}, uint8(50))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		clock := newFakeClock()
		n := newNormaliser(twccReorderWindow, clock.now())
		for len(data) > 0 {
			l := min(len(data), 4*(int(data[0])+5))
			_ = n.add(data[:l], clock.now())
			clock.advance(time.Duration(step) * time.Millisecond)
			out := n.emit(nil, 1460, clock.now())
			if len(out) > 1460 {
				t.Fatalf("%d bytes emitted", len(out))
			}
			if len(out) > 0 {
				if _, err := rtcp.Unmarshal(out); err != nil {
					t.Fatalf("emitted feedback does not parse: %v", err)
				}
			}
			data = data[l:]
		}
	})
}

// The problem the normaliser solves, with the real pieces: packets sent at
// ~1.2 Mbit/s in 30 frames a second cross a link with 5 % loss and 40 ms ±
// 10 ms of uniform jitter that reorders them (as netem does), lost ones
// are resent a round trip later as pion's NACK responder does, pion's
// twcc.Recorder reports them every 50 ms over the same kind of link back,
// and pion's GCC (set up as callEstimator, as Peercall's estimator was
// before rtc/bwe; it reads every feedback on its own, so repeated reports
// show at once) reads the feedback through the interceptor chain, with
// and without the normaliser in front. It runs in real time, as GCC reads
// the wall clock. Peercall's own estimator is tested behind the
// normaliser in rtc/bwe.
func TestFeedbackNormaliserKeepsEstimateOnReorderingLink(t *testing.T) {
	if testing.Short() {
		t.Skip("runs in real time")
	}
	const seconds = 7
	results := make([]lossyLinkResult, 2)
	t.Run("both", func(t *testing.T) {
		for i, name := range []string{"without", "with"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				results[i] = runLossyLink(t, i == 1, seconds*time.Second, 42)
			})
		}
	})
	if t.Failed() {
		return
	}
	without, with := results[0], results[1]
	t.Logf("without the normaliser: %v", without)
	t.Logf("with the normaliser:    %v", with)
	// The normaliser's own figures.
	t.Logf("normaliser: %+v", with.norm)
	// The simulation must show the problem, or it proves nothing. The
	// estimate starts at 800 kbit/s; without the normaliser it must fall
	// well below that and stay well below where it holds with it. GCC
	// reads the wall clock, so how far it falls depends on the machine's
	// load: 308-451 kbit/s over the last 2 s on a quiet 2-core machine or
	// one with both cores busy, 554 on a loaded CI run, while the
	// normalised leg held 887-1251.
	if without.min > 500_000 || without.mean*10 > with.mean*7 {
		t.Errorf("without the normaliser the estimate fell to %d kbit/s and averaged %d over the last 2 s, against %d with it: the simulation does not reproduce the collapse", without.min/1000, without.mean/1000, with.mean/1000)
	}
	if with.mean < 600_000 || with.min < 500_000 {
		t.Errorf("with the normaliser the estimate averaged %d kbit/s over the last 2 s (lowest %d), want ≥ 600 (≥ 500)", with.mean/1000, with.min/1000)
	}
	if with.norm.Late == 0 || with.norm.Repeats == 0 || with.norm.Lost+with.norm.TooLate == 0 {
		t.Errorf("the link did not reorder and lose as it should: %+v", with.norm)
	}
}

type lossyLinkResult struct {
	sent, arrived, feedbacks int
	min, last, mean          int // estimate, bit/s; mean over the last 2 s
	norm                     normStats
}

func (r lossyLinkResult) String() string {
	return fmt.Sprintf("%d packets sent, %d arrived, %d feedbacks; estimate lowest %d kbit/s, last 2 s mean %d, at the end %d",
		r.sent, r.arrived, r.feedbacks, r.min/1000, r.mean/1000, r.last/1000)
}

// runLossyLink runs one simulated call leg for d; see the test above.
func runLossyLink(t *testing.T, normalise bool, d time.Duration, seed uint64) lossyLinkResult {
	const (
		extID    = 3
		ssrc     = 0x1111
		loss     = 0.05
		delay    = 40 * time.Millisecond
		jitter   = 10 * time.Millisecond
		fps      = 30
		frameLen = 5000 // bytes: 1.2 Mbit/s at 30 fps
		mtu      = 1200
	)
	var res lossyLinkResult
	reg := &interceptor.Registry{}
	var norm *normaliserInterceptor
	if normalise {
		reg.Add(interceptorFactoryFunc(func(id string) (interceptor.Interceptor, error) {
			i, err := NewInterceptor().NewInterceptor(id)
			norm = i.(*normaliserInterceptor)
			return i, err
		}))
	}
	ccf, err := cc.NewInterceptor(callEstimator)
	if err != nil {
		t.Fatal(err)
	}
	estimator := make(chan cc.BandwidthEstimator, 1)
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { estimator <- e })
	reg.Add(ccf)
	ext, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(ext)
	chain, err := reg.Build("sim")
	if err != nil {
		t.Fatal(err)
	}
	bwe := <-estimator

	var mu sync.Mutex // the link's random numbers, the recorder, the counts
	rng := rand.New(rand.NewPCG(seed, 1))
	jittered := func() time.Duration {
		return delay + time.Duration(rng.Int64N(int64(2*jitter)+1)) - jitter
	}
	start := time.Now()
	recorder := twcc.NewRecorder(0xabc)
	done := make(chan struct{})
	var timers sync.WaitGroup
	later := func(d time.Duration, f func()) {
		timers.Add(1)
		time.AfterFunc(d, func() {
			defer timers.Done()
			f()
		})
	}

	// Media: sender → link → recorder.
	link := interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
		var tcc rtp.TransportCCExtension
		if err := tcc.Unmarshal(h.GetExtension(extID)); err != nil {
			t.Errorf("no transport-cc extension: %v", err)
			return 0, err
		}
		mu.Lock()
		defer mu.Unlock()
		res.sent++
		arrive := func() {
			mu.Lock()
			defer mu.Unlock()
			res.arrived++
			recorder.Record(ssrc, tcc.TransportSequence, time.Since(start).Microseconds())
		}
		if rng.Float64() >= loss {
			later(jittered(), arrive)
		} else if rng.Float64() >= loss {
			// pion's NACK responder resends a lost packet as it was sent,
			// transport number included, once the receiver's NACK (sent
			// every 20 ms) has crossed the link.
			later(2*delay+time.Duration(rng.Int64N(int64(20*time.Millisecond)))+jittered(), arrive)
		}
		return len(payload), nil
	})
	writer := chain.BindLocalStream(&interceptor.StreamInfo{
		SSRC:                ssrc,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: extID}},
	}, link)

	// Feedback: recorder every 50 ms → link back → the chain's RTCP reader.
	feedback := make(chan []byte, 64)
	rtcpIn := chain.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		select {
		case p := <-feedback:
			return copy(b, p), a, nil
		case <-done:
			return 0, nil, io.EOF
		}
	}))
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 1460)
		for {
			if _, _, err := rtcpIn.Read(buf, nil); err != nil {
				return
			}
		}
	}()
	feedbackDone := make(chan struct{})
	go func() {
		defer close(feedbackDone)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			mu.Lock()
			for _, p := range recorder.BuildFeedbackPacket() {
				raw, err := p.Marshal()
				if err != nil {
					t.Errorf("feedback: %v", err)
					continue
				}
				res.feedbacks++
				if rng.Float64() < loss {
					continue
				}
				later(jittered(), func() {
					select {
					case feedback <- raw:
					case <-done:
					}
				})
			}
			mu.Unlock()
		}
	}()

	// Sender: frames of frameLen bytes, 30 a second, in packets of up to
	// mtu bytes sent back to back; the estimate is sampled every 100 ms.
	var samples []int
	res.min = bwe.GetTargetBitrate()
	var seq uint16
	payload := make([]byte, mtu)
	frames := time.NewTicker(time.Second / fps)
	for i := 0; time.Since(start) < d; i++ {
		<-frames.C
		for left := frameLen; left > 0; left -= mtu {
			seq++
			h := &rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(i * 3000), SSRC: ssrc}
			if _, err := writer.Write(h, payload[:min(left, mtu)], nil); err != nil {
				t.Fatalf("write: %v", err)
			}
		}
		if i%3 == 0 {
			e := bwe.GetTargetBitrate()
			res.min = min(res.min, e)
			samples = append(samples, e)
		}
	}
	frames.Stop()
	res.last = bwe.GetTargetBitrate()
	tail := samples[len(samples)-20:]
	for _, s := range tail {
		res.mean += s / len(tail)
	}
	close(done)
	<-readerDone
	<-feedbackDone
	timers.Wait()
	if err := chain.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if norm != nil {
		norm.mu.Lock()
		res.norm = norm.n.stats
		norm.mu.Unlock()
	}
	return res
}

// callEstimator is pion's GCC as a Peercall call set it up before rtc/bwe:
// a first guess of 800 kbit/s, a floor of 60, a ceiling of 6 Mbit/s, and
// no pacer. The thresholds of the test above follow from the first guess.
func callEstimator() (cc.BandwidthEstimator, error) {
	return gcc.NewSendSideBWE(
		gcc.SendSideBWEInitialBitrate(800_000),
		gcc.SendSideBWEMinBitrate(60_000),
		gcc.SendSideBWEMaxBitrate(6_000_000),
		gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
	)
}

type interceptorFactoryFunc func(id string) (interceptor.Interceptor, error)

func (f interceptorFactoryFunc) NewInterceptor(id string) (interceptor.Interceptor, error) {
	return f(id)
}

// Feedback without deltas whose chunks end on a 4-byte boundary gets
// padding: pion/rtcp refuses it otherwise, and the estimator's reader with
// it.
func TestFeedbackWithoutDeltasParses(t *testing.T) {
	for k := 1; k <= 30; k++ {
		nt := newNormTest(t)
		var sts []fbStatus
		for i := range k {
			st := lost(uint16(i))
			if i%2 == 1 {
				st.status = twccReceivedNoDelta
			}
			sts = append(sts, st)
		}
		if err := nt.n.add(buildFB(t, 5, 0, chunksTwoBit, sts), nt.clock.now()); err != nil {
			t.Fatal(err)
		}
		nt.clock.advance(twccReorderWindow)
		if got := nt.flush(); !slices.Equal(got, sts) { // flush parses with pion/rtcp
			t.Fatalf("%d statuses: emitted %v", k, got)
		}
	}
}
