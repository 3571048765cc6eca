package rtc

import (
	"slices"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestStateNamesRoundTrip(t *testing.T) {
	for st := StateNew; st <= StateEnded; st++ {
		if got := ParseState(st.String()); got != st {
			t.Errorf("%v parses back as %v", st, got)
		}
	}
	if ParseState("dancing") != StateUnknown || State(99).String() != "unknown" {
		t.Error("unknown names and values must map to unknown")
	}
}

// pion calls each connection state callback on a goroutine of its own: a
// "connecting" delivered after the "connected" that followed it is read
// as the state the connection is in, and a state already handled is not
// handled again.
func TestLateConnectionStateCallbacksReadTheStateNow(t *testing.T) {
	var now webrtc.PeerConnectionState
	var handled []webrtc.PeerConnectionState
	cb := stateNow(func() webrtc.PeerConnectionState { return now },
		func(st webrtc.PeerConnectionState) { handled = append(handled, st) })

	// Connecting, then connected; the callbacks come the other way round,
	// both after the connection is up.
	now = webrtc.PeerConnectionStateConnected
	cb(webrtc.PeerConnectionStateConnected)
	cb(webrtc.PeerConnectionStateConnecting)
	// A network change: connecting again, then failed, then closed; the
	// callback for connecting runs while the state is still that.
	now = webrtc.PeerConnectionStateConnecting
	cb(webrtc.PeerConnectionStateConnecting)
	now = webrtc.PeerConnectionStateFailed
	cb(webrtc.PeerConnectionStateFailed)
	now = webrtc.PeerConnectionStateClosed
	cb(webrtc.PeerConnectionStateClosed)
	cb(webrtc.PeerConnectionStateFailed) // late

	want := []webrtc.PeerConnectionState{
		webrtc.PeerConnectionStateConnected, webrtc.PeerConnectionStateConnecting,
		webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed,
	}
	if !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
}
