// Package rtctest makes real Peercall sessions, limited to the loopback
// interface, for other packages' tests: an invite to paste, a reply to it.
package rtctest

import (
	"context"
	"testing"

	"peercall/rtc"
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
