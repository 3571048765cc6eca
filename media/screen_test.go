//go:build !windows

package media

import (
	"context"
	"errors"
	"image"
	"slices"
	"testing"
	"time"

	"peercall/media/mediatest"
	"peercall/media/quality"
	"peercall/media/yuv"
)

// The screen source under Xvfb delivers the screen as it is, at its
// size, at the frame rate asked for.
func TestScreenSourceCapturesTheScreen(t *testing.T) {
	display := mediatest.StartXvfb(t, 1280, 720)
	page := mediatest.TextPage(1280, 720, 3)
	if err := mediatest.PaintRoot(display, page); err != nil {
		t.Fatal(err)
	}
	want := image.NewYCbCr(page.Rect, image.YCbCrSubsampleRatio420)
	if err := yuv.FromRGB(want, page.Pix, page.Stride, 1280, 720, yuv.RGBX); err != nil {
		t.Fatal(err)
	}
	src, err := NewScreenSource(display, 15)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	t.Logf("shared memory: %v", src.shm != nil)
	if src.Name() != "screen" {
		t.Errorf("name %q, want screen", src.Name())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stamps []time.Time
	for i := range 20 {
		img, at, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if img.Rect.Dx() != 1280 || img.Rect.Dy() != 720 {
			t.Fatalf("frame %d is %v, want 1280×720", i, img.Rect)
		}
		if i == 0 {
			if p := quality.PSNR(img, want, 0); p < 50 {
				t.Errorf("captured screen against the page drawn on it: %.1f dB, want the same picture", p)
			}
		}
		stamps = append(stamps, at)
	}
	// Never faster than asked; the median interval is the ticker's
	// (a slow capture only delays one frame).
	var gaps []time.Duration
	for i := 1; i < len(stamps); i++ {
		gaps = append(gaps, stamps[i].Sub(stamps[i-1]))
	}
	if span, least := stamps[len(stamps)-1].Sub(stamps[0]), 19*time.Second/15*9/10; span < least {
		t.Errorf("20 frames in %v: faster than 15 a second", span)
	}
	slices.Sort(gaps)
	if med := gaps[len(gaps)/2]; med < 55*time.Millisecond || med > 80*time.Millisecond {
		t.Errorf("median interval %v, want about 67 ms (15 fps)", med)
	}

	// Closing while a read waits ends the read.
	done := make(chan error, 1)
	go func() {
		_, _, err := src.ReadFrame(ctx)
		done <- err
	}()
	src.Close()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, errEOF) {
			t.Errorf("read after close: %v, want the end of the source", err)
		}
	case <-ctx.Done():
		t.Fatal("a read waiting when the source closed never returned")
	}
}

// In a Wayland session without an X display, sharing is refused in words
// rather than sending a black picture.
func TestScreenSourceRefusesWayland(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	if _, err := NewScreenSource("", 15); !errors.Is(err, ErrScreenWayland) {
		t.Errorf("got %v, want ErrScreenWayland", err)
	}
	if err := ScreenSharingAvailable(); !errors.Is(err, ErrScreenWayland) {
		t.Errorf("ScreenSharingAvailable: %v, want ErrScreenWayland", err)
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	if _, err := NewScreenSource("", 15); !errors.Is(err, ErrNoScreen) {
		t.Errorf("no display: %v, want ErrNoScreen", err)
	}
}

// A shared screen's ceiling at its 15 fps is twice a camera's at full
// rate: a changed page needs the bits.
func TestScreenBitrateCeiling(t *testing.T) {
	_, camera := bitrateRangeFor("camera", 1920, 1080, 15)
	_, screen := bitrateRangeFor("screen", 1920, 1080, 15)
	_, full := BitrateRange(1920, 1080, 30)
	if screen != 2*full || camera >= screen {
		t.Errorf("ceiling at 15 fps: screen %d, camera %d; want the screen at twice the 30 fps ceiling %d", screen, camera, full)
	}
}

// A shared screen starts at the ladder level its first target allows,
// where a camera starts at full size and steps down later.
func TestScreenStartsAtTheLevelItsTargetAllows(t *testing.T) {
	for _, c := range []struct {
		bps  int
		want int
	}{{5_000_000, 0}, {800_000, 0}, {600_000, 1}, {300_000, 2}, {50_000, len(ladder) - 1}} {
		var l ladderClimber
		l.startLevel(c.bps, 1920, 1080, 15)
		if l.level != c.want {
			t.Errorf("at %d bit/s: level %d, want %d", c.bps, l.level, c.want)
		}
		// The ladder itself does not step down from there a second later.
		at := time.Now()
		l.update(c.bps, 1920, 1080, 15, at)
		if got := l.update(c.bps, 1920, 1080, 15, at.Add(2*time.Second)); got != c.want {
			t.Errorf("at %d bit/s: the ladder moved from %d to %d", c.bps, c.want, got)
		}
	}
}
