package rtc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"peercall/rtc"
	"peercall/rtc/rtctest"
)

// connectedPair makes two sessions on loopback and connects them.
func connectedPair(t *testing.T) (a, b *rtc.Session) {
	t.Helper()
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
	return a, b
}

// sendWhenOpen sends text once the chat channel has opened (it opens a
// moment after the connection).
func sendWhenOpen(t *testing.T, s *rtc.Session, text string) rtc.ChatMessage {
	t.Helper()
	var sent rtc.ChatMessage
	var err error
	waitFor(t, "the chat channel to open", func() bool {
		sent, err = s.SendChat(text)
		return !errors.Is(err, rtc.ErrChatNotOpen)
	})
	if err != nil {
		t.Fatalf("sending %q: %v", text, err)
	}
	return sent
}

// receive returns the next chat message s received.
func receive(t *testing.T, s *rtc.Session) rtc.ChatMessage {
	t.Helper()
	select {
	case m := <-s.Chat():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no chat message arrived")
	}
	return rtc.ChatMessage{}
}

// Messages go both ways whole, in order, with the time they arrived; text
// at the limit (in multi-byte characters) arrives whole.
func TestChatBothWays(t *testing.T) {
	a, b := connectedPair(t)
	before := time.Now()
	sent := sendWhenOpen(t, a, "Héllo 👋, see https://example.org/a?b=c")
	if !sent.Mine || sent.At.Before(before) {
		t.Errorf("as sent: %+v", sent)
	}
	got := receive(t, b)
	if got.Text != sent.Text || got.Mine || got.At.Before(before) || got.At.After(time.Now()) {
		t.Errorf("received %+v, sent %+v", got, sent)
	}
	if d := got.Sent.Sub(sent.At); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("the sender's time came as %v, it sent at %v", got.Sent, sent.At)
	}

	// From the other side, several in a row, one at the size limit and
	// one with lines.
	full := strings.Repeat("ü", rtc.MaxChatText/2) // 2 bytes each
	texts := []string{"one", full, "three\nlines\n\tand a tab", `"quotes" and \backslashes\ and <tags>`}
	for _, text := range texts {
		sendWhenOpen(t, b, text)
	}
	for _, want := range texts {
		if got := receive(t, a); got.Text != want {
			t.Errorf("received %q (%d bytes), want %q (%d bytes)", clip(got.Text), len(got.Text), clip(want), len(want))
		}
	}
	if n := rtc.ChatRefused(a) + rtc.ChatRefused(b); n != 0 {
		t.Errorf("%d messages refused", n)
	}
}

// Text that cannot be a message is refused before anything is sent, with
// an error a front-end can say in words.
func TestChatRefusesBadTextToSend(t *testing.T) {
	s := rtctest.Session(t)
	if _, err := s.SendChat("too early"); !errors.Is(err, rtc.ErrChatNotOpen) {
		t.Errorf("before any call: %v", err)
	}
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"empty", "", rtc.ErrChatEmpty},
		{"white space", " \n\t ", rtc.ErrChatEmpty},
		{"one byte over", strings.Repeat("a", rtc.MaxChatText+1), rtc.ErrChatTooLong},
		{"over in multi-byte characters", strings.Repeat("€", rtc.MaxChatText/3+1), rtc.ErrChatTooLong},
		{"not UTF-8", "caf\xe9", rtc.ErrChatNotText},
		{"binary", "\x00\xff\xfe\x01", rtc.ErrChatNotText},
	} {
		if _, err := s.SendChat(tc.text); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if err := rtc.CheckChat(tc.text); !errors.Is(err, tc.want) {
			t.Errorf("%s: CheckChat says %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := rtc.CheckChat(strings.Repeat("€", rtc.MaxChatText/3)); err != nil {
		t.Errorf("4095 bytes: %v", err)
	}
}

// A peer that sends what no Peercall would — binary, not UTF-8, empty,
// too long, not JSON — gets each message refused, and the chat and the
// call go on: the next good message arrives, and only it.
func TestChatRefusesBadMessagesAndGoesOn(t *testing.T) {
	a, b := connectedPair(t)
	sendWhenOpen(t, a, "first")
	if got := receive(t, b); got.Text != "first" {
		t.Fatalf("received %q", got.Text)
	}
	long := strings.Repeat("x", rtc.MaxChatText+1)
	bad := []struct {
		name   string
		data   string
		binary bool
	}{
		{"binary", `{"type":"text","text":"as binary"}`, true},
		{"binary garbage", "\x00\x01\x02\xff", true},
		{"not UTF-8", "{\"type\":\"text\",\"text\":\"caf\xe9\"}", false},
		{"empty text", `{"type":"text","text":""}`, false},
		{"white space", `{"type":"text","text":"  \n "}`, false},
		{"no text", `{"type":"text"}`, false},
		{"text not a string", `{"type":"text","text":42}`, false},
		{"text over the limit", `{"type":"text","text":"` + long + `"}`, false},
		{"message over the limit", `{"type":"text","text":"ok"}` + strings.Repeat(" ", 40<<10), false},
		{"not JSON", "hello", false},
	}
	for _, m := range bad {
		if err := rtc.SendChatRaw(a, []byte(m.data), m.binary); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	// Read but not understood: ignored, not refused.
	for _, m := range []string{`{"type":"typing"}`, `{"type":"text","text":"new fields","x":[1,2]}`} {
		if err := rtc.SendChatRaw(a, []byte(m), false); err != nil {
			t.Fatal(err)
		}
	}
	// A message in a browser's shape: no "at".
	if err := rtc.SendChatRaw(a, []byte(`{"type":"text","text":"from a page"}`), false); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, b); got.Text != "new fields" {
		t.Errorf("after the bad messages, received %q", clip(got.Text))
	}
	if got := receive(t, b); got.Text != "from a page" || !got.Sent.IsZero() || got.At.IsZero() {
		t.Errorf("received %+v", got)
	}
	if n := rtc.ChatRefused(b); n != len(bad) {
		t.Errorf("%d messages refused, want %d", n, len(bad))
	}
	// The chat still works both ways, and so does the call.
	sendWhenOpen(t, b, "still here")
	if got := receive(t, a); got.Text != "still here" {
		t.Errorf("received %q", got.Text)
	}
	if st := b.State(); st != rtc.StateConnected {
		t.Errorf("call state %v", st)
	}
	a.Hangup()
	<-b.Done()
	if _, err := a.SendChat("after the end"); !errors.Is(err, rtc.ErrChatNotOpen) {
		t.Errorf("after hang-up: %v", err)
	}
}

// clip shortens long text for a test's message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
