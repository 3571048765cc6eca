package rtc

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"

	"peercall/media"
	"peercall/media/mediatest"
)

// A shared screen that changes size mid-share (16:9 to 16:10) reaches the
// other side at its new shape, readable; when its X server dies, the
// share ends by itself: the sharing side is told why, the other side that
// the screen went, and the camera goes on.
func TestScreenSharingFollowsTheScreenAndEndsWhenItGoes(t *testing.T) {
	display, kill := mediatest.StartXvfbKillable(t, 1280, 720)
	want, err := mediatest.PaintPage(display, 1280, 720, 2)
	if err != nil {
		t.Fatal(err)
	}

	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(120 * time.Second).Stop()
	var camera, screen lastFrame
	inviter := h.screenCallPair(&camera, &screen)

	src, err := media.NewScreenSource(display, media.ScreenFPS)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var failure error
	failed := make(chan struct{})
	if err := inviter.ShareScreen(src, func(err error) {
		mu.Lock()
		failure = err
		mu.Unlock()
		close(failed)
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the screen readable at the joiner", func() bool {
		img := screen.last()
		return img != nil && readable(t, img, want) >= 30
	})

	if err := mediatest.ResizeScreen(display, 1024, 640); err != nil {
		t.Fatalf("resizing the screen: %v", err)
	}
	if want, err = mediatest.PaintPage(display, 1024, 640, 3); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the resized screen readable at the joiner, at its new shape", func() bool {
		img := screen.last()
		if img == nil {
			return false
		}
		w, h := img.Rect.Dx(), img.Rect.Dy()
		return w*10 == h*16 && readable(t, img, want) >= 30
	})
	img := screen.last()
	t.Logf("the resized screen arrives at %v, %.1f dB", img.Rect.Size(), readable(t, img, want))
	if !inviter.SharingScreen() {
		t.Fatal("the share stopped when the screen changed size")
	}

	kill()
	select {
	case <-failed:
	case <-time.After(30 * time.Second):
		t.Fatal("the share of a screen whose server died was not reported as ended")
	}
	mu.Lock()
	if !errors.Is(failure, media.ErrScreenLost) {
		t.Errorf("the share ended with %v, want ErrScreenLost", failure)
	}
	mu.Unlock()
	if inviter.SharingScreen() {
		t.Error("still sharing after the screen went")
	}
	eventually(t, 15*time.Second, "the joiner told the screen went", func() bool { return !screen.sharing.Load() })
	before := camera.frames.Load()
	eventually(t, 10*time.Second, "the camera after the screen went", func() bool { return camera.frames.Load() > before+10 })
	if err := inviter.StopScreen(); err != ErrNotSharing {
		t.Errorf("stopping after the screen went: %v, want ErrNotSharing", err)
	}
}
