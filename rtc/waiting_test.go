package rtc

import (
	"context"
	"testing"
	"time"

	"peercall/media"
)

// Slow hands, the other way round: the invite sits in a chat for ten
// minutes before the other person opens it, joins and sends the reply; the
// call still connects. (The reply pasted five minutes late is
// TestReplyPastedFiveMinutesLaterConnects.)
func TestInviteJoinedTenMinutesLaterConnects(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ten minutes")
	}
	t.Parallel()
	// Runs beside other tests, so no goroutine count: the others check that.
	// Real sockets on lo, not pion's virtual network: building two of
	// those at once (beside the five-minute test) races inside vnet.
	h := &harness{t: t}
	defer h.close()
	lo := []string{"lo"}
	inviter := h.newSession(Config{Interfaces: lo, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("inviter")})
	joiner := h.newSession(Config{Interfaces: lo, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("joiner")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inviteText, err := inviter.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-inviter.Done():
		t.Fatalf("the inviter gave up while waiting: %v", inviter.Err())
	case <-time.After(10 * time.Minute):
	}
	if st := inviter.State(); st != StateWaiting {
		t.Fatalf("after ten minutes the inviter is %v, want waiting", st)
	}
	joinCtx, cancelJoin := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelJoin()
	reply, err := joiner.Join(joinCtx, inviteText)
	if err != nil {
		t.Fatalf("joining a ten-minute-old invite: %v", err)
	}
	pasted := time.Now()
	if err := inviter.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, inviter, joiner)
	t.Logf("connected %v after the reply to a ten-minute-old invite", time.Since(pasted))
	eventually(t, 15*time.Second, "video both ways", func() bool {
		return inviter.Stats().FramesDecoded > 0 && joiner.Stats().FramesDecoded > 0
	})
}
