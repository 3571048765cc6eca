package rtc

import (
	"context"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"

	"peercall/rtc/invite"
)

// forgeReply makes, for inviteText, a reply that names the certificate of
// meant but comes from impostor (which joins the invite to make it): what
// a third party who saw the invite could paste in the genuine reply's
// place.
func forgeReply(t *testing.T, inviteText string, meant, impostor *Session) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := impostor.Join(ctx, inviteText)
	if err != nil {
		t.Fatal(err)
	}
	code, err := invite.Decode(reply)
	if err != nil {
		t.Fatal(err)
	}
	code.Fingerprint = meant.fp // keeps the impostor's ICE credentials
	forged, err := invite.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	return forged
}

// A picture added while a refused reply has the invite made ready again
// (the session's connection is replaced under the call) is sent once the
// genuine reply connects, and taken away again when asked: the other side
// sees it come and go, and the call goes on.
func TestTrackAddedWhileInviteRearms(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	na, nb := h.vnetPair()
	inviter := h.newSession(Config{Net: na, Video: patternSource(t), FPS: 15, Logger: testLogger("inviter")})
	meant := h.newSession(Config{Net: nb, Video: patternSource(t), FPS: 15, Logger: testLogger("meant")})
	impostor := h.newSession(Config{Net: nb, Video: patternSource(t), FPS: 15, Logger: testLogger("impostor")})
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
	if err := inviter.AcceptReply(forged); err != nil {
		t.Fatal(err)
	}

	// The picture is added now, while the forged reply is being refused.
	type added struct {
		track *localTrack
		err   error
	}
	result := make(chan added, 1)
	go func() {
		tr, err := inviter.addVideo(patternSource(t))
		result <- added{tr, err}
	}()

	eventually(t, 30*time.Second, "the forged reply refused and the invite ready again", func() bool {
		return inviter.RefusedReply() != nil && inviter.State() == StateWaiting
	})
	if err := inviter.AcceptReply(genuine); err != nil {
		t.Fatalf("the genuine reply after a refused one: %v", err)
	}
	waitConnected(t, inviter, meant)

	var extra added
	select {
	case extra = <-result:
	case <-time.After(20 * time.Second):
		t.Fatal("the picture added during the re-arm was never sent")
	}
	if extra.err != nil {
		t.Fatalf("adding a picture during the re-arm: %v", extra.err)
	}
	eventually(t, 20*time.Second, "both pictures at the other side", func() bool {
		n := 0
		for _, r := range meant.RemoteTracks() {
			if r.Kind == "video" && !r.Ended && r.Video.FramesDecoded > 5 {
				n++
			}
		}
		return n == 2
	})
	if err := inviter.removeTrack(extra.track); err != nil {
		t.Fatalf("taking the picture away: %v", err)
	}
	eventually(t, 15*time.Second, "the added picture gone at the other side", func() bool {
		n, _ := liveVideoFrames(meant)
		return n == 1
	})
	_, before := liveVideoFrames(meant)
	eventually(t, 10*time.Second, "video keeps flowing", func() bool {
		_, f := liveVideoFrames(meant)
		return f > before+5
	})
}
