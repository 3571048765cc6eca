package bwe

import (
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// feedbackFrom builds the feedback pion's twcc.Recorder sends for the
// given arrivals (transport number → arrival, µs), and parses it back as
// the estimator receives it.
func feedbackFrom(t *testing.T, r *twcc.Recorder, arrivals map[uint16]int64, order []uint16) []*rtcp.TransportLayerCC {
	t.Helper()
	for _, seq := range order {
		if at, ok := arrivals[seq]; ok {
			r.Record(1, seq, at)
		}
	}
	var out []*rtcp.TransportLayerCC
	for _, p := range r.BuildFeedbackPacket() {
		raw, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range pkts {
			if fb, ok := q.(*rtcp.TransportLayerCC); ok {
				out = append(out, fb)
			}
		}
	}
	return out
}

// The recorder's feedback, read back: each packet sent is reported once,
// received with its arrival spacing or lost, across the 16-bit wrap of
// transport numbers; a range reported again keeps its first fate; numbers
// never sent through the estimator are left out.
func TestHistoryReadsRecorderFeedback(t *testing.T) {
	var h history
	start := time.Unix(1_000_000, 0)
	first := uint16(65530) // the numbers wrap after 6 packets
	sent := map[uint16]time.Time{}
	for i := range 12 {
		seq := first + uint16(i)
		at := start.Add(time.Duration(i) * 5 * time.Millisecond)
		h.sent(seq, at, 1000+i, false)
		sent[seq] = at
	}
	lost := map[uint16]bool{first + 2: true, first + 7: true} // 7 is past the wrap
	arrivals := map[uint16]int64{}
	var order []uint16
	for i := range 12 {
		seq := first + uint16(i)
		order = append(order, seq)
		if !lost[seq] {
			arrivals[seq] = 500_000 + int64(i)*5000 + int64(i%3)*1000 // µs
		}
	}
	rec := twcc.NewRecorder(9)
	fbs := feedbackFrom(t, rec, arrivals, order)
	var rs []result
	for _, fb := range fbs {
		rs = h.feedback(fb, rs)
	}
	if len(rs) != 12 {
		t.Fatalf("%d results, want 12: %+v", len(rs), rs)
	}
	for i, r := range rs {
		seq := first + uint16(i)
		if r.seq != int64(first)+int64(i) {
			t.Fatalf("result %d is number %d, want %d unwrapped past the wrap", i, r.seq, int64(first)+int64(i))
		}
		if r.lost != lost[seq] {
			t.Errorf("number %d: lost %v, want %v", seq, r.lost, lost[seq])
		}
		if !r.sent.Equal(sent[seq]) || r.size != 1000+i {
			t.Errorf("number %d: sent %v size %d, want %v %d", seq, r.sent, r.size, sent[seq], 1000+i)
		}
	}
	// Arrival spacing as recorded (the recorder's deltas are 250 µs ticks).
	for i := 1; i < 12; i++ {
		a, b := rs[i-1], rs[i]
		if a.lost || b.lost {
			continue
		}
		want := time.Duration(arrivals[uint16(b.seq)]-arrivals[uint16(a.seq)]) * time.Microsecond
		if got := b.arrival - a.arrival; got-want > 250*time.Microsecond || want-got > 250*time.Microsecond {
			t.Errorf("numbers %d→%d arrived %v apart, want %v", a.seq, b.seq, got, want)
		}
	}

	// A late arrival makes the recorder report the range again: nothing
	// is read twice.
	rec.Record(1, first+7, 600_000)
	h.sent(first+12, start.Add(time.Second), 500, false)
	rec.Record(1, first+12, 610_000)
	again := []result(nil)
	for _, p := range rec.BuildFeedbackPacket() {
		raw, _ := p.Marshal()
		pkts, _ := rtcp.Unmarshal(raw)
		for _, q := range pkts {
			if fb, ok := q.(*rtcp.TransportLayerCC); ok {
				again = h.feedback(fb, again)
			}
		}
	}
	if len(again) != 1 || uint16(again[0].seq) != first+12 {
		t.Errorf("after a late arrival, read %+v; want only the new number %d", again, first+12)
	}

	// Feedback for numbers never sent through the estimator (another
	// sender's, or long forgotten) gives nothing.
	other := twcc.NewRecorder(9)
	for _, fb := range feedbackFrom(t, other, map[uint16]int64{3000: 1, 3001: 2}, []uint16{3000, 3001}) {
		if rs := h.feedback(fb, nil); len(rs) != 0 {
			t.Errorf("feedback on numbers never sent gave %+v", rs)
		}
	}
}

// The acknowledged rate: what arrived over the last half second of the
// receiver's clock, whatever order the packets are reported in.
func TestThroughput(t *testing.T) {
	var tp throughput
	if _, ok := tp.rate(); ok {
		t.Fatal("a rate before any packet")
	}
	// 1000-byte packets every 4 ms (2 Mbit/s) for a second, reported
	// with neighbours swapped.
	for i := 0; i < 250; i += 2 {
		for _, j := range []int{i + 1, i} {
			tp.add(time.Duration(j)*4*time.Millisecond, 1000)
		}
	}
	bps, ok := tp.rate()
	if !ok || bps < 1_950_000 || bps > 2_050_000 {
		t.Errorf("rate %.0f (ok %v), want 2 Mbit/s", bps, ok)
	}
	// Half the rate from then on: the window follows within its length.
	for i := range 250 {
		tp.add(time.Second+time.Duration(i)*8*time.Millisecond, 1000)
	}
	if bps, _ := tp.rate(); bps < 950_000 || bps > 1_050_000 {
		t.Errorf("rate %.0f after halving, want 1 Mbit/s", bps)
	}
}
