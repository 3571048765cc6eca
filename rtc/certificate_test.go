package rtc

import (
	"context"
	"net"
	"testing"
	"time"

	"peercall/rtc/invite"
)

// A session's codes leave out what the other side can work out: its
// fingerprint starts with a zero byte, and its host candidates are on the
// port the fingerprint stands for, so neither is written. Both sides'
// codes are the shorter for it, and the call connects through them.
func TestCodesLeaveOutTheHostPortAndAFingerprintByte(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.newSession(ca), h.newSession(cb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inviteText, err := inviter.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	replyText, err := joiner.Join(ctx, inviteText)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{inviteText, replyText} {
		code, err := invite.Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		if code.Fingerprint[0] != 0 {
			t.Errorf("%v: fingerprint starts with %#02x, want 0", code.Kind, code.Fingerprint[0])
		}
		if len(code.Candidates) == 0 {
			t.Fatalf("%v carries no candidate", code.Kind)
		}
		for _, c := range code.Candidates {
			if c.Type == invite.CandidateHost && c.Port != invite.HostPort(code.Fingerprint) {
				t.Errorf("%v: host candidate %s:%d, want port %d", code.Kind, c.Address, c.Port, invite.HostPort(code.Fingerprint))
			}
		}
		// A version-3 code with one IPv4 host candidate outside the
		// private ranges: header 2 (3 in a reply), 31 bytes of fingerprint,
		// the candidate's flags and address 5, checksum 2.
		want := 2 + 31 + 5 + 2
		if code.Kind == invite.KindReply {
			want++
		}
		if n := len(text); n != len(invite.Prefix)+want/8*11+[]int{0, 2, 3, 5, 6, 7, 9, 10}[want%8] {
			t.Errorf("%v is %d characters for a %d-byte payload: %s", code.Kind, n, want, text)
		}
	}
	if err := inviter.AcceptReply(replyText); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, inviter, joiner)
}

// When another program holds the port a session's fingerprint stands for,
// its host candidates take one the system picks, the code writes it, and
// the call connects all the same.
func TestHostPortTakenFallsBackToAnyPort(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.newSession(ca), h.newSession(cb)
	taken, err := ca.Net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP("198.51.100.10"), Port: int(invite.HostPort(inviter.fp))})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	inviteText := joinPairInvite(t, inviter)
	code, err := invite.Decode(inviteText)
	if err != nil {
		t.Fatal(err)
	}
	if len(code.Candidates) == 0 || code.Candidates[0].Port == invite.HostPort(code.Fingerprint) {
		t.Fatalf("the invite names the taken port: %+v", code.Candidates)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	replyText, err := joiner.Join(ctx, inviteText)
	if err != nil {
		t.Fatal(err)
	}
	if err := inviter.AcceptReply(replyText); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, inviter, joiner)
}

func joinPairInvite(t *testing.T, inviter *Session) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text, err := inviter.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return text
}
