package bwe

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// The estimator as the session uses it: packets written through the
// stream it wraps, the receiver's feedback read back, the new estimate
// handed to the callback on the reading goroutine; feedback after Close
// is refused.
func TestEstimatorCallbackAndClose(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	e := New(Config{InitialBps: 500_000, Now: func() time.Time { return clock }})
	var got []int
	e.OnTargetBitrateChange(func(bps int) { got = append(got, bps) })
	w := e.AddStream(&interceptor.StreamInfo{SSRC: 1, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 3}}},
		interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	rec := twcc.NewRecorder(9)
	payload := make([]byte, 1000)
	for i := range 200 { // 4 s at 50 packets a second, no loss, steady delay
		seq := uint16(i)
		h := &rtp.Header{Version: 2, SSRC: 1, SequenceNumber: seq}
		ext, _ := (&rtp.TransportCCExtension{TransportSequence: seq}).Marshal()
		if err := h.SetExtension(3, ext); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(h, payload, nil); err != nil {
			t.Fatal(err)
		}
		rec.Record(1, seq, clock.Add(30*time.Millisecond).UnixMicro()-1_000_000_000_000)
		clock = clock.Add(20 * time.Millisecond)
		if i%3 == 2 {
			if err := e.WriteRTCP(rec.BuildFeedbackPacket(), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(got) == 0 || got[len(got)-1] <= 500_000 || got[len(got)-1] != e.GetTargetBitrate() {
		t.Errorf("estimates handed over: %v; want growing from 500 kbit/s to the current %d", got, e.GetTargetBitrate())
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerCC{}}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("feedback after Close: %v, want ErrClosed", err)
	}
}

// A packet written again under an RTP number already sent is a resend;
// one far behind the newest starts the stream's numbers afresh, and so do
// the packets after it.
func TestEstimatorTellsResendsApart(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	e := New(Config{Now: func() time.Time { return clock }})
	w := e.AddStream(&interceptor.StreamInfo{SSRC: 1, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 3}}},
		interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	var tseq uint16
	write := func(rtpSeq uint16) {
		t.Helper()
		h := &rtp.Header{Version: 2, SSRC: 1, SequenceNumber: rtpSeq}
		ext, _ := (&rtp.TransportCCExtension{TransportSequence: tseq}).Marshal()
		if err := h.SetExtension(3, ext); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(h, make([]byte, 100), nil); err != nil {
			t.Fatal(err)
		}
		tseq++
	}
	// 65534, 65535, 0 (wrapped), 65535 again, 0 again, 1, then 60000
	// (5537 behind: a fresh start), 60001.
	for _, s := range []uint16{65534, 65535, 0, 65535, 0, 1, 60000, 60001} {
		write(s)
	}
	want := []bool{false, false, false, true, true, false, false, false}
	for i, w := range want {
		if got := e.sent.ring[i].resend; got != w {
			t.Errorf("packet %d (transport number %d): resend %v, want %v", i, i, got, w)
		}
	}
}
