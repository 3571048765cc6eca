// Package rtctest makes real Peercall sessions, limited to the loopback
// interface, for other packages' tests: an invite to paste, a reply to it.
package rtctest

import (
	"context"
	"testing"

	"peercall/rtc"
	"peercall/rtc/invite"
)

// Session makes a session that gathers only on lo and is closed when the
// test ends.
func Session(t testing.TB) *rtc.Session {
	t.Helper()
	s, err := rtc.New(rtc.Config{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Invite makes an invite code from a new session.
func Invite(t testing.TB) (string, *rtc.Session) {
	t.Helper()
	s := Session(t)
	text, err := s.Invite(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return text, s
}

// Join answers an invite code from a new session and returns the reply.
func Join(t testing.TB, invite string) (string, *rtc.Session) {
	t.Helper()
	s := Session(t)
	reply, err := s.Join(context.Background(), invite)
	if err != nil {
		t.Fatal(err)
	}
	return reply, s
}

// OtherInvite makes an invite from a new session whose reply the session
// that made own tells apart by the code alone. A reply carries one byte
// of its invite's session id: a reply to another invite that has the same
// byte (1 in 256) is taken for a reply to own, and refused only when it
// connects.
func OtherInvite(t testing.TB, own string) (string, *rtc.Session) {
	t.Helper()
	ours, err := invite.Decode(own)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		text, s := Invite(t)
		c, err := invite.Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		if c.ReplyTag() != ours.ReplyTag() {
			return text, s
		}
	}
	t.Fatal("20 invites in a row with the same reply tag")
	return "", nil
}
