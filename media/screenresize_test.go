//go:build !windows

package media

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"peercall/media/mediatest"
	"peercall/media/quality"
	"peercall/media/yuv"
)

// A screen whose size changes mid-share (display settings, a monitor
// plugged in) is captured at its new size from the next pictures on,
// smaller and then larger again, with what the screen shows.
func TestScreenSourceFollowsTheScreenSize(t *testing.T) {
	display := mediatest.StartXvfb(t, 1280, 720)
	src, err := NewScreenSource(display, 15)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, size := range []image.Point{{1280, 720}, {1024, 600}, {800, 601}, {1280, 720}} {
		if err := mediatest.ResizeScreen(display, size.X, size.Y); err != nil {
			t.Fatalf("resizing the screen to %v: %v", size, err)
		}
		w, h := size.X&^1, size.Y&^1
		want, err := mediatest.PaintPage(display, w, h, size.X)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("after the screen became %v: %v", size, err)
		}
		if img.Rect.Dx() != w || img.Rect.Dy() != h {
			t.Fatalf("screen %v: picture %v, want %d×%d", size, img.Rect.Size(), w, h)
		}
		if gw, gh := src.Size(); gw != w || gh != h {
			t.Errorf("screen %v: Size says %d×%d", size, gw, gh)
		}
		if p := quality.PSNR(img, want, 0); p < 50 {
			t.Errorf("screen %v: the picture against the page on it: %.1f dB, want the same picture", size, p)
		}
	}
}

// A screen whose X server goes away mid-share ends the source with
// ErrScreenLost (not the quiet end of a file), and at once.
func TestScreenSourceEndsWhenTheServerGoes(t *testing.T) {
	display, kill := mediatest.StartXvfbKillable(t, 640, 480)
	src, err := NewScreenSource(display, 15)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := src.ReadFrame(ctx); err != nil {
		t.Fatal(err)
	}
	kill()
	for i := 0; ; i++ {
		_, _, err := src.ReadFrame(ctx)
		if err == nil {
			if i > 15 {
				t.Fatal("a screen whose server was killed still delivers pictures a second later")
			}
			continue // a picture captured before the server went
		}
		if !errors.Is(err, ErrScreenLost) || errors.Is(err, errEOF) {
			t.Fatalf("read after the server went: %v, want ErrScreenLost", err)
		}
		break
	}
}

// BenchmarkScreenCapture1920x1080 is the cost of one picture of a
// 1920×1080 Xvfb screen: its size asked, its pixels read through shared
// memory, and converted to 4:2:0.
func BenchmarkScreenCapture1920x1080(b *testing.B) {
	display := mediatest.StartXvfb(b, 1920, 1080)
	if err := mediatest.PaintRoot(display, mediatest.TextPage(1920, 1080, 1)); err != nil {
		b.Fatal(err)
	}
	src, err := NewScreenSource(display, 60)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	b.ResetTimer()
	for range b.N {
		src.mu.Lock()
		pix, err := src.capture()
		if err == nil {
			err = yuv.FromRGB(src.img, pix, src.stride, src.w, src.h, src.order)
		}
		src.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
}
