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
