package mediatest

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"peercall/media/yuv"
)

// StartXvfb starts an X server of its own, w×h at 24 bits, on a display
// number it picks itself, and returns the display's name (":N"). The
// server stops with the test; the test is skipped where Xvfb is not
// installed.
func StartXvfb(t testing.TB, w, h int) string {
	t.Helper()
	display, _ := StartXvfbKillable(t, w, h)
	return display
}

// StartXvfbKillable is StartXvfb that also returns what kills the server
// at once (SIGKILL), as a crash would, for tests of what happens to those
// reading it.
func StartXvfbKillable(t testing.TB, w, h int) (display string, kill func()) {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (make deps installs it)")
		return "", nil
	}
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h),
		"-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		wr.Close()
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	// Xvfb writes its display number once it accepts connections.
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb stopped before it gave its display number")
		}
		return ":" + n, func() { cmd.Process.Kill() }
	case <-time.After(15 * time.Second):
		t.Fatal("Xvfb gave no display number within 15 s")
	}
	return "", nil
}

func init() {
	// xgb logs to stderr when there is no authority file: Xvfb needs none.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// PaintRoot draws img at the top left of display's root window (a
// 24-bit TrueColor screen, as Xvfb's), so that whoever captures the
// screen sees it.
func PaintRoot(display string, img *image.RGBA) error {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return err
	}
	defer conn.Close()
	scr := xproto.Setup(conn).DefaultScreen(conn)
	gc, err := xproto.NewGcontextId(conn)
	if err != nil {
		return err
	}
	if err := xproto.CreateGCChecked(conn, gc, xproto.Drawable(scr.Root), 0, nil).Check(); err != nil {
		return err
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// A request is at most 256 KiB without the big-requests extension:
	// the picture goes in bands of rows.
	rows := max(1, (200<<10)/(4*w))
	buf := make([]byte, 4*w*rows)
	for y0 := 0; y0 < h; y0 += rows {
		n := min(rows, h-y0)
		for y := range n {
			src := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y0+y):]
			dst := buf[4*w*y:]
			for x := range w {
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = src[4*x+2], src[4*x+1], src[4*x], 0
			}
		}
		if err := xproto.PutImageChecked(conn, xproto.ImageFormatZPixmap, xproto.Drawable(scr.Root), gc,
			uint16(w), uint16(n), 0, int16(y0), 0, scr.RootDepth, buf[:4*w*n]).Check(); err != nil {
			return err
		}
	}
	xproto.FreeGC(conn, gc)
	return nil
}

// PaintPage paints page n of TextPage at w×h on display's root window and
// returns it in 4:2:0, as a screen source delivers it.
func PaintPage(display string, w, h, n int) (*image.YCbCr, error) {
	page := TextPage(w, h, n)
	if err := PaintRoot(display, page); err != nil {
		return nil, err
	}
	want := image.NewYCbCr(page.Rect, image.YCbCrSubsampleRatio420)
	if err := yuv.FromRGB(want, page.Pix, page.Stride, w, h, yuv.RGBX); err != nil {
		return nil, err
	}
	return want, nil
}
