package rtc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// A description small enough to write out, which the SDP reader accepts.
const tinySDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		err  error // nil: accepted
	}{
		{"offer", `{"description":{"type":"offer","sdp":"` + jsonEscape(tinySDP) + `"}}`, nil},
		{"answer", `{"description":{"type":"answer","sdp":"` + jsonEscape(tinySDP) + `"}}`, nil},
		{"candidate", `{"candidate":{"candidate":"candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}}`, nil},
		{"end of candidates", `{"candidate":{"candidate":"","sdpMid":"0","sdpMLineIndex":0}}`, nil},
		{"unknown field", `{"greeting":"hello"}`, nil},
		{"null", `null`, nil},
		{"rollback", `{"description":{"type":"rollback","sdp":""}}`, errBadDescription},
		{"pranswer", `{"description":{"type":"pranswer","sdp":"` + jsonEscape(tinySDP) + `"}}`, errBadDescription},
		{"no sdp", `{"description":{"type":"offer"}}`, errBadDescription},
		{"unreadable sdp", `{"description":{"type":"offer","sdp":"hello"}}`, errBadDescription},
		{"unknown type", `{"description":{"type":"greeting","sdp":"v=0\r\n"}}`, errUnreadable},
		{"wrong field type", `{"candidate":"candidate:1 1 udp 1 192.0.2.1 5 typ host"}`, errUnreadable},
		{"not an object", `[1,2,3]`, errUnreadable},
		{"not json", `hello`, errUnreadable},
		{"empty", ``, errUnreadable},
		{"cut short", `{"description":{"type":"offer","sd`, errUnreadable},
		{"too large", `{"candidate":{"candidate":"` + strings.Repeat("x", maxSignalBytes) + `"}}`, errTooLarge},
		{"too large garbage", strings.Repeat("\xff", maxSignalBytes+1), errTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseSignal([]byte(tc.in))
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err != nil && !reflect.DeepEqual(m, signalMessage{}) {
				t.Fatalf("a refused message came back with content: %+v", m)
			}
		})
	}
	// Exactly at the limit is still read.
	pad := maxSignalBytes - len(`{"candidate":{"candidate":""}}`)
	if _, err := parseSignal([]byte(`{"candidate":{"candidate":"` + strings.Repeat("x", pad) + `"}}`)); err != nil {
		t.Fatalf("a message of exactly %d bytes: %v", maxSignalBytes, err)
	}
}

func TestParseControl(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		in   string
		want controlMessage
		err  error
	}{
		{"hangup", `{"type":"hangup"}`, controlMessage{Type: controlHangup}, nil},
		{"media", `{"type":"media","audio":true,"video":false}`, controlMessage{Type: controlMedia, Audio: &yes, Video: &no}, nil},
		{"media audio only", `{"type":"media","audio":false}`, controlMessage{Type: controlMedia, Audio: &no}, nil},
		{"unknown type and field", `{"type":"wave","hand":"left"}`, controlMessage{Type: "wave"}, nil},
		{"no type", `{}`, controlMessage{}, nil},
		{"audio not a bool", `{"type":"media","audio":"yes"}`, controlMessage{}, errUnreadable},
		{"type not a string", `{"type":1}`, controlMessage{}, errUnreadable},
		{"not json", "\x00\x01", controlMessage{}, errUnreadable},
		{"too large", `{"type":"media","audio":false}` + strings.Repeat(" ", maxControlBytes), controlMessage{}, errTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseControl([]byte(tc.in))
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !reflect.DeepEqual(m, tc.want) {
				t.Fatalf("got %+v, want %+v", m, tc.want)
			}
		})
	}
}

// Every message Peercall sends itself is well inside the limits.
func TestOwnMessagesFitTheLimits(t *testing.T) {
	yes := true
	data, _ := json.Marshal(controlMessage{Type: controlMedia, Audio: &yes, Video: &yes})
	if len(data) > maxControlBytes/50 {
		t.Fatalf("a media message takes %d bytes", len(data))
	}
	offer := fullOffer(t)
	if !strings.Contains(offer.SDP, "\r\na=max-message-size:262144\r\n") {
		t.Fatalf("the offer does not advertise the codes' message size:\n%s", offer.SDP)
	}
	data, _ = json.Marshal(signalMessage{Description: &offer})
	if len(data) > maxSignalBytes/8 {
		t.Fatalf("an offer with media takes %d bytes", len(data))
	}
	if _, err := parseSignal(data); err != nil {
		t.Fatal(err)
	}
	t.Logf("offer message: %d bytes", len(data))
}

// countingHandler counts the records logged.
type countingHandler struct {
	mu sync.Mutex
	n  int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(context.Context, slog.Record) error {
	h.mu.Lock()
	h.n++
	h.mu.Unlock()
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func TestRefusalsLogOncePerReason(t *testing.T) {
	h := &countingHandler{}
	log := slog.New(h)
	var r refusals
	for range 100 {
		for _, in := range []string{"garbage", `{"description":{"type":"rollback"}}`, strings.Repeat(" ", maxSignalBytes+1)} {
			_, err := parseSignal([]byte(in))
			r.note(log, SignalLabel, err, len(in))
		}
		r.note(log, SignalLabel, errQueueFull, 10)
	}
	if h.n != 4 {
		t.Fatalf("%d log records for 4 reasons", h.n)
	}
	if r.total() != 400 {
		t.Fatalf("%d refusals counted, want 400", r.total())
	}
}

func TestSignalQueueIsBounded(t *testing.T) {
	n := newNegotiator(nil, true, slog.New(slog.DiscardHandler), nil)
	msg := []byte(`{}`)
	for range maxSignalQueue + 10 {
		n.deliver(msg)
	}
	if len(n.inbox) != maxSignalQueue || n.refused.total() != 10 {
		t.Fatalf("%d queued, %d refused", len(n.inbox), n.refused.total())
	}
}

// FuzzSignal feeds arbitrary bytes to the reader of the signal channel.
// Properties: a message over the limit is refused as too large, whatever
// it holds; a refused message yields nothing; an accepted one encodes
// again to a message that reads back to the same value; an accepted offer
// goes through the WebRTC library's own handling of a remote offer, as on
// a call, without a panic.
func FuzzSignal(f *testing.F) {
	f.Add([]byte(`{"description":{"type":"offer","sdp":"` + jsonEscape(tinySDP) + `"}}`))
	f.Add([]byte(`{"candidate":{"candidate":"candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}}`))
	f.Add([]byte(`{"description":{"type":"rollback","sdp":""}}`))
	f.Add([]byte(`{"greeting":"hello"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseSignal(data)
		checkRefusal(t, data, maxSignalBytes, err)
		if err != nil {
			if !reflect.DeepEqual(m, signalMessage{}) {
				t.Fatalf("a refused message came back with content: %+v", m)
			}
			return
		}
		if d := m.Description; d != nil && (d.Type != webrtc.SDPTypeOffer && d.Type != webrtc.SDPTypeAnswer || d.SDP == "") {
			t.Fatalf("accepted description %+v", *d)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted message does not encode: %v", err)
		}
		m2, err := decodeSignal(again)
		if err != nil {
			t.Fatalf("re-encoded message refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
		if len(again) <= maxSignalBytes {
			if _, err := parseSignal(again); err != nil {
				t.Fatalf("re-encoded message within the limit refused: %v", err)
			}
		}
		if m.Description != nil && m.Description.Type == webrtc.SDPTypeOffer {
			applyRemoteOffer(t, *m.Description)
		}
	})
}

// FuzzControl feeds arbitrary bytes to the control channel's handler of a
// session. Properties: a message over the limit is refused as too large; a
// refused message changes nothing but the count of refusals; an accepted
// one encodes again to the same value; "media" sets exactly the fields it
// carries and "hangup" ends the call as hung up by the peer.
func FuzzControl(f *testing.F) {
	f.Add([]byte(`{"type":"hangup"}`))
	f.Add([]byte(`{"type":"media","audio":true,"video":false}`))
	f.Add([]byte(`{"type":"media","video":true}`))
	f.Add([]byte(`{"type":"wave"}`))
	f.Add([]byte(`{"type":"media","audio":"yes"}`))
	shared := fuzzSession(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseControl(data)
		checkRefusal(t, data, maxControlBytes, err)
		if err == nil {
			again, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("accepted message does not encode: %v", err)
			}
			m2, err := decodeControl(again)
			if err != nil || !reflect.DeepEqual(m, m2) {
				t.Fatalf("round trip: %v\n%+v\n%+v", err, m, m2)
			}
		}

		if err == nil && m.Type == controlHangup {
			s := fuzzSession(t)
			s.onControl(data)
			// The call ends once its "bye" has left: at once here, with
			// no channel to send it on.
			select {
			case <-s.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the call did not end after hangup")
			}
			if err := s.Err(); !errors.Is(err, ErrPeerHungUp) {
				t.Fatalf("after hangup: %v", err)
			}
			if st := s.State(); st != StateEnded {
				t.Fatalf("after hangup the call is %v", st)
			}
			return
		}
		before, refused := shared.PeerMedia(), shared.controlRefused.total()
		shared.onControl(data)
		after := shared.PeerMedia()
		want := before
		switch {
		case err != nil:
			if shared.controlRefused.total() != refused+1 {
				t.Fatalf("refusal not counted")
			}
		case m.Type == controlMedia:
			want.Known = true
			if m.Audio != nil {
				want.AudioMuted = !*m.Audio
			}
			if m.Video != nil {
				want.CameraOff = !*m.Video
			}
		}
		if after != want {
			t.Fatalf("peer media %+v, want %+v", after, want)
		}
		if shared.State() == StateEnded {
			t.Fatalf("the call ended")
		}
	})
}

// checkRefusal asserts the size rule: over limit bytes always refused as
// too large, up to it never.
func checkRefusal(t *testing.T, data []byte, limit int, err error) {
	t.Helper()
	if len(data) > limit {
		if !errors.Is(err, errTooLarge) {
			t.Fatalf("%d bytes (limit %d): %v", len(data), limit, err)
		}
		return
	}
	if errors.Is(err, errTooLarge) {
		t.Fatalf("%d bytes refused as too large (limit %d)", len(data), limit)
	}
	if err != nil && !errors.Is(err, errUnreadable) && !errors.Is(err, errBadDescription) {
		t.Fatalf("refused for an unlisted reason: %v", err)
	}
}

// fuzzSession makes a session that never connects, closed when tb ends.
func fuzzSession(tb testing.TB) *Session {
	s, err := New(Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

var fuzzAPI = sync.OnceValues(func() (*webrtc.API, error) {
	return newAPI(webrtc.SettingEngine{}, func(cc.BandwidthEstimator) {})
})

// applyRemoteOffer does with an offer what the polite side does: applies
// it and makes an answer, on a fresh peer connection with Peercall's codecs
// and data channels. It may fail; it must not panic or hang.
func applyRemoteOffer(t *testing.T, d webrtc.SessionDescription) {
	api, err := fuzzAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := pc.SetRemoteDescription(d); err != nil {
		return
	}
	if st := pc.SignalingState(); st != webrtc.SignalingStateHaveRemoteOffer {
		t.Fatalf("offer applied, state %v", st)
	}
	_, _ = pc.CreateAnswer(nil)
}

// fullOffer is an offer as the inviter makes it once its tracks are added.
func fullOffer(t *testing.T) webrtc.SessionDescription {
	t.Helper()
	api, err := fuzzAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	negotiated, id := true, uint16(SignalID)
	if _, err := pc.CreateDataChannel(SignalLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []webrtc.RTPCodecCapability{{MimeType: webrtc.MimeTypeVP8}, {MimeType: webrtc.MimeTypeOpus}} {
		track, err := webrtc.NewTrackLocalStaticRTP(c, "x", "peercall")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTrack(track); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

func jsonEscape(s string) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(s)
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`)
}
