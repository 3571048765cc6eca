package rtc

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
	"github.com/pion/transport/v5/vnet"
)

// The chat lives as long as the call: while the call is lost nothing can
// be sent, and once new codes resume it, the new connection's chat
// channel carries messages both ways again.
func TestChatAfterALostCallResumes(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	na, nb := h.vnetPair()
	var dead atomic.Bool
	h.routers[0].AddChunkFilter(func(vnet.Chunk) bool { return !dead.Load() })
	cfg := func(n *vnet.Net, name string) Config {
		return Config{Net: n, Logger: testLogger(name), Resumable: true, LostAfter: 2 * time.Second}
	}
	inviter, joiner := h.callPair(cfg(na, "inviter"), cfg(nb, "joiner"))
	chatBothWays := func(when string) {
		t.Helper()
		eventually(t, 15*time.Second, when+": the chat open", func() bool { return inviter.ChatOpen() && joiner.ChatOpen() })
		for _, p := range []struct {
			from, to *Session
			text     string
		}{{inviter, joiner, when + ", from the inviter"}, {joiner, inviter, when + ", from the joiner"}} {
			if _, err := p.from.SendChat(p.text); err != nil {
				t.Fatalf("%s: %v", p.text, err)
			}
			select {
			case m := <-p.to.Chat():
				if m.Text != p.text {
					t.Errorf("received %q, want %q", m.Text, p.text)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: not received", p.text)
			}
		}
	}
	chatBothWays("before")

	dead.Store(true)
	for _, s := range []*Session{inviter, joiner} {
		faultWaitState(t, s, StateLost, 20*time.Second)
		if _, err := s.SendChat("while lost"); !errors.Is(err, ErrChatNotOpen) {
			t.Errorf("sending while lost: %v", err)
		}
	}
	dead.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, err := inviter.Resume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := joiner.Rejoin(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := inviter.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	chatBothWays("after resuming")
	for _, s := range []*Session{inviter, joiner} {
		select {
		case m := <-s.Chat():
			t.Errorf("an extra message %q", m.Text)
		default:
		}
	}
}
