package rtc

import (
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"

	"peercall/media"
	"peercall/media/mediatest"
	"peercall/media/quality"
	"peercall/media/yuv"
)

// lastFrame keeps a copy of the last picture it was given and counts them;
// as a ScreenWatcher it follows the sharing.
type lastFrame struct {
	frames  atomic.Uint64
	sharing atomic.Bool
	events  atomic.Int32
	mu      sync.Mutex
	img     *image.YCbCr
}

func (l *lastFrame) WriteFrame(img *image.YCbCr) {
	l.frames.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	c := image.NewYCbCr(img.Rect, img.SubsampleRatio)
	for y := range img.Rect.Dy() {
		copy(c.Y[y*c.YStride:], img.Y[y*img.YStride:y*img.YStride+img.Rect.Dx()])
	}
	cw, ch := (img.Rect.Dx()+1)/2, (img.Rect.Dy()+1)/2
	for y := range ch {
		copy(c.Cb[y*c.CStride:], img.Cb[y*img.CStride:y*img.CStride+cw])
		copy(c.Cr[y*c.CStride:], img.Cr[y*img.CStride:y*img.CStride+cw])
	}
	l.img = c
}

func (l *lastFrame) ScreenShared(on bool) {
	l.sharing.Store(on)
	l.events.Add(1)
}

func (l *lastFrame) last() *image.YCbCr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.img
}

// readable is the PSNR of got against want scaled to got's size.
func readable(t *testing.T, got, want *image.YCbCr) float64 {
	t.Helper()
	ref := want
	if got.Rect.Dx() != want.Rect.Dx() || got.Rect.Dy() != want.Rect.Dy() {
		var sc yuv.Scaler
		var err error
		if ref, err = sc.Scale(want, got.Rect.Dx(), got.Rect.Dy()); err != nil {
			t.Fatal(err)
		}
	}
	return quality.PSNR(got, ref, 0)
}

// screenCallPair connects two sessions on lo whose joiner hands the
// inviter's camera to camera and its screen to screen, and waits for the
// camera's pictures; it returns the inviter.
func (h *harness) screenCallPair(camera, screen *lastFrame) *Session {
	h.t.Helper()
	lo := []string{"lo"}
	inviter, _ := h.callPair(
		Config{Interfaces: lo, Video: patternSource(h.t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("inviter")},
		Config{Interfaces: lo, Video: patternSource(h.t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("joiner"),
			VideoSink: camera, ScreenSink: screen})
	eventually(h.t, 15*time.Second, "the camera at the joiner", func() bool { return camera.frames.Load() > 5 })
	return inviter
}

// Two sessions on loopback: one shares an Xvfb screen showing a page of
// text beside its camera; the other gets both pictures apart, the screen
// readable; sharing stops and starts again mid-call.
func TestScreenSharingStopsAndStartsMidCall(t *testing.T) {
	display := mediatest.StartXvfb(t, 1280, 720)
	want, err := mediatest.PaintPage(display, 1280, 720, 1)
	if err != nil {
		t.Fatal(err)
	}

	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(120 * time.Second).Stop()
	var camera, screen lastFrame
	inviter := h.screenCallPair(&camera, &screen)

	for round := range 2 {
		src, err := media.NewScreenSource(display, media.ScreenFPS)
		if err != nil {
			t.Fatal(err)
		}
		if err := inviter.ShareScreen(src, nil); err != nil {
			t.Fatalf("round %d: sharing: %v", round, err)
		}
		if !inviter.SharingScreen() {
			t.Errorf("round %d: the sharing side does not say it shares", round)
		}
		eventually(t, 15*time.Second, "the joiner told of the screen", screen.sharing.Load)
		eventually(t, 30*time.Second, "the screen readable at the joiner", func() bool {
			img := screen.last()
			return img != nil && readable(t, img, want) >= 30
		})
		img := screen.last()
		t.Logf("round %d: screen received at %v, %.1f dB", round, img.Rect.Size(), readable(t, img, want))
		if round == 0 {
			// Every line of the page changes: the new page arrives
			// readable (1 s on a machine with room to spare).
			page2 := mediatest.TextPage(1280, 720, 7)
			want2 := image.NewYCbCr(page2.Rect, image.YCbCrSubsampleRatio420)
			if err := yuv.FromRGB(want2, page2.Pix, page2.Stride, 1280, 720, yuv.RGBX); err != nil {
				t.Fatal(err)
			}
			changed := time.Now()
			if err := mediatest.PaintRoot(display, page2); err != nil {
				t.Fatal(err)
			}
			eventually(t, 30*time.Second, "the changed page readable", func() bool {
				img := screen.last()
				return img != nil && readable(t, img, want2) >= 30
			})
			t.Logf("a changed page readable after %v", time.Since(changed).Round(time.Millisecond))
			want = want2
		}
		cam := camera.last()
		if cam == nil || cam.Rect.Dx() != 160 {
			t.Fatalf("round %d: the camera's pictures went elsewhere: %v", round, cam)
		}
		// The camera flows beside the screen.
		before := camera.frames.Load()
		eventually(t, 10*time.Second, "the camera beside the screen", func() bool { return camera.frames.Load() > before+10 })

		if err := inviter.StopScreen(); err != nil {
			t.Fatalf("round %d: stopping: %v", round, err)
		}
		if inviter.SharingScreen() {
			t.Errorf("round %d: still sharing after StopScreen", round)
		}
		eventually(t, 15*time.Second, "the joiner told the screen went", func() bool { return !screen.sharing.Load() })
		before = camera.frames.Load()
		eventually(t, 10*time.Second, "the camera after the screen", func() bool { return camera.frames.Load() > before+10 })
	}
	if n := screen.events.Load(); n != 4 {
		t.Errorf("%d screen events, want 4 (on, off, on, off)", n)
	}
	if err := inviter.StopScreen(); err != ErrNotSharing {
		t.Errorf("stopping twice: %v, want ErrNotSharing", err)
	}
}
