package e2e

import (
	"context"
	"testing"
	"time"

	"peercall/e2e/linkemu"
	"peercall/media/mediatest"
)

// A 1920×1080 screen of text shared over a narrow link (1.5 Mbit/s each
// way, a second's queue, 10 ms), its page changing every 3 s: each page
// is a burst larger than the link's queue, whose tail the link drops.
// What was lost is resent within the sender's rate, so no storm of
// resends fills the link (there was one: some 35 000 packets a second
// met the queue, and the camera froze for good), and the camera beside
// the screen keeps arriving to the end. (As root: network namespaces.)
func TestScreenShareOverANarrowLink(t *testing.T) {
	display := mediatest.StartXvfb(t, 1920, 1080)
	if err := mediatest.PaintRoot(display, mediatest.TextPage(1920, 1080, 0)); err != nil {
		t.Fatal(err)
	}
	narrow := func(seed uint64) linkemu.Config {
		return linkemu.Config{RateBps: 1_500_000, QueueBytes: 1_500_000 / 8, Delay: 10 * time.Millisecond, Seed: seed}
	}
	n := impNetwork(t, "scrnarrow", narrow(1501), narrow(1502))
	ctx, cancel := context.WithCancel(context.Background())
	painted := make(chan struct{})
	go func() {
		defer close(painted)
		for i := 1; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(3 * time.Second):
			}
			if err := mediatest.PaintRoot(display, mediatest.TextPage(1920, 1080, i)); err != nil {
				t.Errorf("painting page %d: %v", i, err)
				return
			}
		}
	}()
	const seconds = 25
	inviter, joiner := twoProcessCall(t, callOptions{seconds: seconds,
		flags:         []string{"--source", "pattern", "--size", "640x480", "--fps", "30", "--stun", "none", "--interface", "imp0"},
		env:           []string{"DISPLAY=" + display},
		inviterFlags:  []string{"--share-screen"},
		inviterPrefix: nsExec(n.nsA), joinerPrefix: nsExec(n.nsB)})
	cancel()
	<-painted
	ab := n.link.AB()
	t.Logf("link A→B (the screen's way): %v", ab)
	if ab.In > 3*ab.Out+1000 {
		t.Errorf("%d packets met the link for %d it carried: a storm of resends", ab.In, ab.Out)
	}
	impTimeline(t, "joiner (receives A→B)", joiner.statsLines())
	s := impSummarize(joiner.statsLines())
	t.Logf("joiner: %v", s)
	if s.LastTenSeconds == 0 {
		t.Error("the camera beside the screen stopped: no picture decoded over the last 10 s")
	}
	for _, p := range []*peer{inviter, joiner} {
		if end := p.final().End; end == "" {
			t.Errorf("%s's call has no end recorded", p.name)
		}
	}
}
