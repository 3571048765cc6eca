package rtc

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/test"
	"github.com/pion/transport/v5/vnet"

	"peercall/media"
)

// The other side vanishes mid-call without a word (its process killed, its
// cable pulled): nothing more arrives from it. This side shows it within
// 3 s, ends the call as lost within 15 s, and leaves nothing running.
func TestPeerVanishingShowsAndEnds(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	na, nb := h.vnetPair()
	var dead atomic.Bool
	h.routers[0].AddChunkFilter(func(vnet.Chunk) bool { return !dead.Load() })
	inviter, joiner := h.callPair(
		Config{Net: na, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("inviter")},
		Config{Net: nb, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("joiner")})
	eventually(t, 15*time.Second, "video both ways", func() bool {
		return inviter.Stats().FramesDecoded > 5 && joiner.Stats().FramesDecoded > 5
	})
	dead.Store(true)
	cut := time.Now()
	for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
		shown := faultWaitState(t, s, StateReconnecting, 10*time.Second)
		if d := shown.Sub(cut); d > 3*time.Second {
			t.Errorf("%s showed the loss %v after it happened, want within 3 s", name, d)
		} else {
			t.Logf("%s showed %q %v after the peer vanished", name, StateReconnecting, d.Round(time.Millisecond))
		}
		// The window counts down to when the call stops trying.
		if left := s.ReconnectDeadline().Sub(shown); left <= 0 || left > DefaultLostAfter {
			t.Errorf("%s: reconnecting, the deadline is %v away, want within the %v a call waits", name, left, DefaultLostAfter)
		}
	}
	for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
		select {
		case <-s.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the call did not end", name)
		}
		if d := time.Since(cut); d > 15*time.Second {
			t.Errorf("%s ended %v after the peer vanished, want within 15 s", name, d)
		} else {
			t.Logf("%s ended %v after the peer vanished", name, d.Round(time.Millisecond))
		}
		if !errors.Is(s.Err(), ErrConnectionLost) {
			t.Errorf("%s ended with %v, want %v", name, s.Err(), ErrConnectionLost)
		}
	}
	// done (deferred) closes everything and checks that no goroutine is
	// left, waiting up to 10 s for them to finish.
}

// faultWaitState polls until s is in state want and returns when it saw it.
func faultWaitState(t *testing.T, s *Session, want State, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if s.State() == want {
			return time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("state %v not reached within %v (now %v)", want, within, s.State())
	return time.Time{}
}

// faultTwoAddressPair makes a virtual network on which each side has two
// addresses, so every call has two independent paths; drop, when set,
// loses every datagram to or from that address.
func (h *harness) faultTwoAddressPair(drop *atomic.Value) (*vnet.Net, *vnet.Net) {
	t := h.t
	t.Helper()
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "198.51.100.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"198.51.100.10", "198.51.100.11"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"198.51.100.20", "198.51.100.21"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*vnet.Net{a, b} {
		if err := router.AddNet(n); err != nil {
			t.Fatal(err)
		}
	}
	router.AddChunkFilter(func(c vnet.Chunk) bool {
		ip, _ := drop.Load().(string)
		if ip == "" {
			return true
		}
		src, _ := c.SourceAddr().(*net.UDPAddr)
		dst, _ := c.DestinationAddr().(*net.UDPAddr)
		return (src == nil || src.IP.String() != ip) && (dst == nil || dst.IP.String() != ip)
	})
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	h.routers = append(h.routers, router)
	return a, b
}

// One path dies while the other still works: the call moves to the other
// path by itself, media and in-band messages included, within 5 s.
func TestCallMovesToTheOtherPathWhenOneDies(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	var drop atomic.Value
	na, nb := h.faultTwoAddressPair(&drop)
	inviter, joiner := h.callPair(
		Config{Net: na, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("inviter")},
		Config{Net: nb, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("joiner")})
	eventually(t, 15*time.Second, "video both ways", func() bool {
		return inviter.Stats().FramesDecoded > 5 && joiner.Stats().FramesDecoded > 5
	})
	pc, _ := inviter.current()
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected pair: %v", err)
	}
	t.Logf("path in use: %s -> %s; cutting %s", pair.Local.Address, pair.Remote.Address, pair.Local.Address)
	drop.Store(pair.Local.Address)
	cut := time.Now()
	before := [2]uint64{inviter.Stats().FramesDecoded, joiner.Stats().FramesDecoded}
	// Wait for the frames to stop, then to flow again on both sides.
	time.Sleep(500 * time.Millisecond)
	stalled := [2]uint64{inviter.Stats().FramesDecoded, joiner.Stats().FramesDecoded}
	t.Logf("frames before the cut %v, half a second after %v", before, stalled)
	eventually(t, 10*time.Second, "video again both ways", func() bool {
		return inviter.Stats().FramesDecoded > stalled[0]+10 && joiner.Stats().FramesDecoded > stalled[1]+10
	})
	restored := time.Since(cut)
	t.Logf("video flows again both ways %v after the path died", restored.Round(time.Millisecond))
	if restored > 5*time.Second {
		t.Errorf("the call took %v to move to the other path, want within 5 s", restored)
	}
	// The in-band channels work on the new path too.
	inviter.SetLocalMedia(false, true)
	eventually(t, 5*time.Second, "a control message on the new path", func() bool {
		m := joiner.PeerMedia()
		return m.Known && m.AudioMuted
	})
	if inviter.PathSwitches() == 0 || joiner.PathSwitches() == 0 {
		t.Errorf("path switches: inviter %d, joiner %d; want both at least 1", inviter.PathSwitches(), joiner.PathSwitches())
	}
	if st := inviter.State(); st != StateConnected {
		t.Errorf("inviter state %v, want connected", st)
	}
}

// A reply that names the joiner's certificate but comes from someone else
// (a third party answering the invite with a forged reply): ICE reaches the
// impostor and DTLS refuses it. The inviter shows no media from it, says
// why, and waits again on the same invite: the same reply is refused at
// once, and the genuine reply, made before the forged one was pasted,
// connects.
func TestForgedReplyIsRefused(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	na, nb := h.vnetPair()
	inviter := h.newSession(Config{Net: na, Video: patternSource(t), Logger: testLogger("inviter")})
	// The person the invite was meant for.
	meant := h.newSession(Config{Net: nb, Video: patternSource(t), Logger: testLogger("meant")})
	impostor := h.newSession(Config{Net: nb, Video: patternSource(t), Logger: testLogger("impostor")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inviteText, err := inviter.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := meant.Join(ctx, inviteText)
	if err != nil {
		t.Fatal(err)
	}
	forged := forgeReply(t, inviteText, meant, impostor)
	if err := inviter.CheckReply(forged); err != nil {
		t.Fatalf("the forged reply should pass as a code: %v", err)
	}
	if err := inviter.AcceptReply(forged); err != nil {
		t.Fatal(err)
	}
	pasted := time.Now()
	refuseBy := pasted.Add(30 * time.Second)
	for inviter.RefusedReply() == nil || inviter.State() != StateWaiting {
		select {
		case <-inviter.Done():
			t.Fatalf("the invite ended instead of refusing the reply: %v", inviter.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(refuseBy) {
			t.Fatalf("the forged reply was not refused within 30 s: state %v, refusal %v", inviter.State(), inviter.RefusedReply())
		}
	}
	if err := inviter.RefusedReply(); !errors.Is(err, ErrReplyNotVerified) {
		t.Errorf("refused with %v, want %v", err, ErrReplyNotVerified)
	}
	t.Logf("refused and waiting again %v after the paste; the inviter says: %v", time.Since(pasted).Round(time.Millisecond), inviter.RefusedReply())
	select {
	case <-inviter.Done():
		t.Fatalf("the invite ended: %v", inviter.Err())
	case <-inviter.Connected():
		t.Fatal("the call with the impostor counted as connected")
	default:
	}
	if n := inviter.Stats().FramesDecoded; n != 0 {
		t.Errorf("%d frames from the impostor were shown", n)
	}
	if err := inviter.CheckReply(forged); !errors.Is(err, ErrReplyNotVerified) {
		t.Errorf("the same forged reply checked as %v, want %v", err, ErrReplyNotVerified)
	}
	if err := inviter.AcceptReply(forged); !errors.Is(err, ErrReplyNotVerified) {
		t.Errorf("the same forged reply pasted again: %v, want %v", err, ErrReplyNotVerified)
	}

	// The genuine reply still connects to the same invite.
	pasted = time.Now()
	if err := inviter.AcceptReply(genuine); err != nil {
		t.Fatalf("the genuine reply after a refused one: %v", err)
	}
	if inviter.RefusedReply() != nil {
		t.Errorf("still reports the refusal after the genuine reply: %v", inviter.RefusedReply())
	}
	for _, s := range []struct {
		name string
		s    *Session
	}{{"inviter", inviter}, {"joiner", meant}} {
		select {
		case <-s.s.Connected():
		case <-s.s.Done():
			t.Fatalf("%s's call ended: %v", s.name, s.s.Err())
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not connect with the genuine reply (state %v)", s.name, s.s.State())
		}
	}
	t.Logf("connected %v after the genuine reply", time.Since(pasted).Round(time.Millisecond))
	eventually(t, 15*time.Second, "pictures both ways", func() bool {
		_, a := liveVideoFrames(inviter)
		_, b := liveVideoFrames(meant)
		return a >= 5 && b >= 5
	})
	if got := inviter.SafetyCode(); got == "" || got != meant.SafetyCode() {
		t.Errorf("safety codes %q and %q, want the same", got, meant.SafetyCode())
	}
}

// The other side's connection closes without the hang-up message (a
// browser page's tab closed, a peer that does not say "bye"): its DTLS
// goodbye and the end of the data channels' association reach this side,
// which ends the call within a couple of seconds, not after the 15 s a
// silent peer is waited for.
func TestPeerClosingWithoutAWordEndsTheCall(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	inviter, joiner := h.callPair(
		Config{Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("inviter")},
		Config{Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("joiner")})
	eventually(t, 15*time.Second, "video both ways", func() bool {
		return inviter.Stats().FramesDecoded > 5 && joiner.Stats().FramesDecoded > 5
	})
	inviter.mu.Lock()
	pc := inviter.pc
	inviter.mu.Unlock()
	closed := time.Now()
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-joiner.Done():
		t.Logf("the joiner ended the call %v after the other side's connection closed: %v", time.Since(closed).Round(time.Millisecond), joiner.Err())
	case <-time.After(5 * time.Second):
		t.Fatalf("the joiner's call did not end within 5 s of the other side's connection closing (state %v)", joiner.State())
	}
}
