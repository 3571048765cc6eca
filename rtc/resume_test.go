package rtc

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
	"github.com/pion/transport/v5/vnet"

	"peercall/media"
)

// A call whose network dies for longer than LostAfter is not ended when it
// is resumable: both sides wait, lost, for a new pair of codes. When the
// network is back, the inviting side's new invite and the other side's
// reply resume the same call: the same safety code, pictures and sound
// both ways again. A code from anyone else is refused on both sides.
func TestLostCallResumesWithNewCodes(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(120 * time.Second).Stop()
	na, nb := h.vnetPair()
	var dead atomic.Bool
	h.routers[0].AddChunkFilter(func(vnet.Chunk) bool { return !dead.Load() })
	cfg := func(n *vnet.Net, name string) Config {
		return Config{Net: n, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger(name),
			Resumable: true, LostAfter: 2 * time.Second}
	}
	inviter, joiner := h.callPair(cfg(na, "inviter"), cfg(nb, "joiner"))
	eventually(t, 15*time.Second, "video both ways", func() bool {
		return inviter.Stats().FramesDecoded > 5 && joiner.Stats().FramesDecoded > 5
	})
	safety := inviter.SafetyCode()
	if safety == "" || safety != joiner.SafetyCode() {
		t.Fatalf("safety codes %q and %q", safety, joiner.SafetyCode())
	}

	dead.Store(true)
	for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
		faultWaitState(t, s, StateLost, 20*time.Second)
		select {
		case <-s.Done():
			t.Fatalf("%s: the call ended: %v", name, s.Err())
		default:
		}
	}
	// The joiner cannot start the resumption; the inviter cannot join.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := joiner.Resume(ctx); !errors.Is(err, ErrWrongStep) {
		t.Errorf("the joiner made a new invite: %v", err)
	}
	dead.Store(false)
	code, err := inviter.Resume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's invite, and a reply from someone else, are refused.
	stranger := h.newSession(Config{Net: nb, Logger: testLogger("stranger")})
	strangerInvite, err := stranger.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := joiner.Rejoin(ctx, strangerInvite); !errors.Is(err, ErrNotThePeer) {
		t.Errorf("the joiner took a stranger's invite: %v", err)
	}
	other := h.newSession(Config{Net: nb, Logger: testLogger("other")})
	otherReply, err := other.Join(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := inviter.AcceptReply(otherReply); !errors.Is(err, ErrNotThePeer) {
		t.Errorf("the inviter took a stranger's reply: %v", err)
	}
	reply, err := joiner.Rejoin(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := inviter.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
		faultWaitState(t, s, StateConnected, 20*time.Second)
		eventually(t, 20*time.Second, name+": pictures and sound again", func() bool {
			tracks, frames := liveVideoFrames(s)
			return tracks == 1 && frames > 5 && s.Stats().AudioPacketsReceived > 0
		})
		if got := s.SafetyCode(); got != safety {
			t.Errorf("%s: safety code %q after resuming, want %q", name, got, safety)
		}
	}
}

// A call that is not resumable ends when its connection is lost, as
// before (TestPeerVanishingShowsAndEnds); one that is resumable ends when
// nobody resumes it within ResumeWait.
func TestLostCallEndsWhenNobodyResumesIt(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	na, nb := h.vnetPair()
	var dead atomic.Bool
	h.routers[0].AddChunkFilter(func(vnet.Chunk) bool { return !dead.Load() })
	cfg := func(n *vnet.Net, name string) Config {
		return Config{Net: n, Video: patternSource(t), FPS: 15, Logger: testLogger(name),
			Resumable: true, LostAfter: time.Second, ResumeWait: 5 * time.Second}
	}
	inviter, joiner := h.callPair(cfg(na, "inviter"), cfg(nb, "joiner"))
	eventually(t, 15*time.Second, "video", func() bool { return joiner.Stats().FramesDecoded > 5 })
	dead.Store(true)
	eventually(t, 20*time.Second, "both sides lost", func() bool {
		return inviter.State() == StateLost && joiner.State() == StateLost
	})
	for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
		select {
		case <-s.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the lost call did not end", name)
		}
		if !errors.Is(s.Err(), ErrConnectionLost) {
			t.Errorf("%s ended with %v, want %v", name, s.Err(), ErrConnectionLost)
		}
	}
}
