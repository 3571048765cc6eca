package rtc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"peercall/rtc"
	"peercall/rtc/rtctest"
)

// A peer that sends oversize and unreadable messages on both data channels
// gets them refused, one by one, and the call goes on: both channels still
// carry what comes after, and a hangup still ends the call normally.
func TestHostileMessagesAreRefusedAndTheCallGoesOn(t *testing.T) {
	invite, a := rtctest.Invite(t)
	reply, b := rtctest.Join(t, invite)
	if err := a.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*rtc.Session{a, b} {
		select {
		case <-s.Connected():
		case <-time.After(15 * time.Second):
			t.Fatal("the call did not connect")
		}
	}
	a.SetLocalMedia(true, true)
	waitFor(t, "the control channel", func() bool { return b.PeerMedia() == rtc.PeerMedia{Known: true} })

	media := `{"type":"media","audio":false,"video":false}`
	offer := `{"description":{"type":"offer","sdp":"v=0\r\n"}}`
	hostile := []struct {
		label string
		data  string
	}{
		// Readable, but over the limit: refused without being read.
		{rtc.ControlLabel, media + strings.Repeat(" ", 4<<10)},
		{rtc.ControlLabel, "\x00not json"},
		{rtc.ControlLabel, `{"type":"media","audio":"no"}`},
		{rtc.SignalLabel, offer + strings.Repeat(" ", 64<<10)},
		{rtc.SignalLabel, offer + strings.Repeat(" ", 200<<10)},
		{rtc.SignalLabel, `{"description":{"type":"offer","sdp":"nonsense"}}`},
		{rtc.SignalLabel, "]]]"},
	}
	for _, h := range hostile {
		if err := rtc.SendRaw(a, h.label, []byte(h.data)); err != nil {
			t.Fatalf("sending %d bytes on %s: %v", len(h.data), h.label, err)
		}
	}
	// Each channel is ordered, so once the last message on it is counted,
	// all before it were refused and the channel still delivers.
	waitFor(t, "the refusals", func() bool {
		return rtc.Refused(b, rtc.ControlLabel) == 3 && rtc.Refused(b, rtc.SignalLabel) == 4
	})
	if got := b.PeerMedia(); got != (rtc.PeerMedia{Known: true}) {
		t.Fatalf("a refused media message changed the peer's state: %+v", got)
	}

	a.SetLocalMedia(false, true)
	waitFor(t, "the media state after the refusals", func() bool { return b.PeerMedia().AudioMuted })
	for _, s := range []*rtc.Session{a, b} {
		if st := s.State(); st != rtc.StateConnected {
			t.Fatalf("call state %v after the hostile messages", st)
		}
	}
	if rtc.Refused(a, rtc.ControlLabel)+rtc.Refused(a, rtc.SignalLabel) != 0 {
		t.Fatal("the sender refused messages of its own")
	}

	a.Hangup()
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the hangup did not end the call on the other side")
	}
	if err := b.Err(); !errors.Is(err, rtc.ErrPeerHungUp) {
		t.Fatalf("the call ended with %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
