//go:build linux

package xdirect

import (
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"peercall/media/mediatest"
)

// screen reads the colour of the root window's pixel at p.
func screen(t *testing.T, c *xgb.Conn, p image.Point) color.RGBA {
	t.Helper()
	root := xproto.Setup(c).DefaultScreen(c).Root
	img, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(root), int16(p.X), int16(p.Y), 1, 1, 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return color.RGBA{img.Data[2], img.Data[1], img.Data[0], 255}
}

// eventually waits up to 5 s for the pixel at p to be want.
func eventually(t *testing.T, c *xgb.Conn, what string, p image.Point, want color.RGBA) {
	t.Helper()
	var got color.RGBA
	for range 250 {
		if got = screen(t, c, p); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: pixel %v is %v, want %v", what, p, got, want)
}

// A picture put on a surface is on the screen, centred in its box, with
// the window behind it showing through its holes and around it; it goes
// when the surface is turned off, and a surface placed again shows the
// next picture where the box now is.
func TestPicturesGoOnTheScreenAroundHoles(t *testing.T) {
	t.Setenv("DISPLAY", mediatest.StartXvfb(t, 640, 480))
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	scr := xproto.Setup(c).DefaultScreen(c)
	parent, _ := xproto.NewWindowId(c)
	grey := uint32(0x404040)
	if err := xproto.CreateWindowChecked(c, scr.RootDepth, parent, scr.Root, 20, 10, 600, 400, 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel, []uint32{grey}).Check(); err != nil {
		t.Fatal(err)
	}
	xproto.MapWindow(c, parent)
	greyPx := color.RGBA{0x40, 0x40, 0x40, 255}
	eventually(t, c, "the window", image.Pt(300, 200), greyPx)

	d, err := Open(uintptr(parent))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.NewSurface()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.Put(10, 10, nil); ok || err != nil {
		t.Fatalf("a surface not placed took a picture: %v %v", ok, err)
	}
	box := image.Rect(100, 50, 500, 350) // in the window
	hole := image.Rect(120, 80, 180, 120)
	s.Place(true, box, []image.Rectangle{hole})
	orange := color.RGBA{250, 120, 10, 255}
	var asked image.Point // the size the last fill was asked for
	fill := func(c color.RGBA) func([]byte, int, int, int) error {
		return func(pix []byte, stride, w, h int) error {
			asked = image.Pt(w, h)
			for i := 0; i+3 < len(pix); i += 4 {
				pix[i], pix[i+1], pix[i+2], pix[i+3] = c.B, c.G, c.R, 0
			}
			return nil
		}
	}
	// An 800×400 picture fits the 400×300 box at 400×200: rows 100–300
	// of the window.
	if ok, err := s.Put(800, 400, fill(orange)); !ok || err != nil {
		t.Fatalf("put: %v %v", ok, err)
	}
	if asked != image.Pt(400, 200) {
		t.Errorf("an 800x400 picture in a 400x300 box was asked at %v, want 400x200", asked)
	}
	win := func(x, y int) image.Point { return image.Pt(20+x, 10+y) }
	if got := screen(t, c, win(300, 200)); got != orange {
		t.Errorf("the picture's middle is %v once put, want %v", got, orange)
	}
	if got := screen(t, c, win(150, 130)); got != orange {
		t.Errorf("%v: the picture's pixel is %v, want %v", win(150, 130), got, orange)
	}
	if got := screen(t, c, win(150, 110)); got != greyPx {
		t.Errorf("the hole shows %v, want the window's %v", got, greyPx)
	}
	if got := screen(t, c, win(300, 80)); got != greyPx {
		t.Errorf("above the picture, in its box: %v, want the window's %v", got, greyPx)
	}
	// A box that shrank after the picture was made (the window resized)
	// takes it at the size that fits now.
	s.Place(true, image.Rect(100, 50, 300, 350), []image.Rectangle{hole})
	if ok, err := s.Put(800, 400, fill(orange)); !ok || err != nil || asked != image.Pt(200, 100) {
		t.Errorf("after the box shrank to 200x300: put %v %v, asked at %v, want 200x100", ok, err, asked)
	}

	s.Place(false, box, nil)
	if s.On() {
		t.Error("on after Place(false)")
	}
	if ok, _ := s.Put(400, 200, fill(orange)); ok {
		t.Error("a surface turned off took a picture")
	}
	eventually(t, c, "the surface turned off", win(300, 200), greyPx)

	// Placed again elsewhere, without holes.
	blue := color.RGBA{20, 60, 240, 255}
	s.Place(true, image.Rect(0, 0, 200, 100), nil)
	if ok, err := s.Put(200, 100, fill(blue)); !ok || err != nil {
		t.Fatalf("put: %v %v", ok, err)
	}
	for _, p := range []image.Point{win(1, 1), win(150, 90), win(199, 99)} {
		if got := screen(t, c, p); got != blue {
			t.Errorf("%v is %v, want %v", p, got, blue)
		}
	}
	if got := screen(t, c, win(300, 200)); got != greyPx {
		t.Errorf("the old place shows %v, want the window's %v", got, greyPx)
	}
}

// Open refuses what it cannot put pictures on.
func TestOpenRefuses(t *testing.T) {
	if _, err := Open(0); err == nil {
		t.Error("Open of no window succeeded")
	}
	t.Setenv("DISPLAY", "")
	if _, err := Open(1); err == nil {
		t.Error("Open without a display succeeded")
	}
}
