//go:build linux

// Package xdirect puts pictures straight on an X server: each picture goes
// into a child window of the app's window through memory shared with the
// server (MIT-SHM), without the toolkit's repaint of the whole window. A
// picture is on the screen as soon as the server has copied it, well under
// a millisecond for a 720p picture, where a repaint in software GL takes
// about ten, and waits for the toolkit's next 60 Hz tick before that.
//
// A surface covers one picture. Other things drawn over the picture by the
// toolkit (a sound meter, a badge) are cut out of it as holes, through
// which the app's window shows. A surface takes no input: the pointer and
// the keys go to the app's window as if it were not there.
package xdirect

import (
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"

	"peercall/media/xshm"
	"peercall/media/yuv"
)

// Display is a connection to the X server the app's window is on.
type Display struct {
	conn   *xgb.Conn
	parent xproto.Window
	depth  byte
	visual xproto.Visualid
}

// Open connects to $DISPLAY for pictures in children of the window parent
// (an X window id). It fails where pictures cannot go straight to the
// server: no X display, a server without shared memory or shapes, a remote
// display, a screen whose pixels are not 32-bit B,G,R,X words.
func Open(parent uintptr) (*Display, error) {
	if parent == 0 {
		return nil, errors.New("xdirect: the window has no X window")
	}
	if os.Getenv("DISPLAY") == "" {
		return nil, errors.New("xdirect: no X display")
	}
	conn, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("xdirect: %w", err)
	}
	d := &Display{conn: conn, parent: xproto.Window(parent)}
	if err := d.check(); err != nil {
		conn.Close()
		return nil, err
	}
	// The surfaces ask for no events, but the errors of requests not
	// waited for come as events, and a connection whose events are never
	// read stops reading replies once its queue is full.
	go func() {
		for {
			if ev, err := conn.WaitForEvent(); ev == nil && err == nil {
				return // closed
			}
		}
	}()
	return d, nil
}

func (d *Display) check() error {
	if err := shm.Init(d.conn); err != nil {
		return fmt.Errorf("xdirect: no shared memory: %w", err)
	}
	if err := shape.Init(d.conn); err != nil {
		return fmt.Errorf("xdirect: no shapes: %w", err)
	}
	setup := xproto.Setup(d.conn)
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return errors.New("xdirect: the server stores pixels most significant byte first")
	}
	geom, err := xproto.GetGeometry(d.conn, xproto.Drawable(d.parent)).Reply()
	if err != nil {
		return fmt.Errorf("xdirect: the window: %w", err)
	}
	attrs, err := xproto.GetWindowAttributes(d.conn, d.parent).Reply()
	if err != nil {
		return fmt.Errorf("xdirect: the window: %w", err)
	}
	if geom.Depth != 24 {
		return fmt.Errorf("xdirect: the window is %d bits deep", geom.Depth)
	}
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == 24 {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return fmt.Errorf("xdirect: 24-bit pixels are stored in %d bits", bpp)
	}
	var vt *xproto.VisualInfo
	for _, s := range setup.Roots {
		for _, dep := range s.AllowedDepths {
			for i, v := range dep.Visuals {
				if v.VisualId == attrs.Visual {
					vt = &dep.Visuals[i]
				}
			}
		}
	}
	if vt == nil || vt.Class != xproto.VisualClassTrueColor || vt.RedMask != 0xff0000 || vt.GreenMask != 0xff00 || vt.BlueMask != 0xff {
		return errors.New("xdirect: the window's pixels are not 8-bit R,G,B")
	}
	d.depth, d.visual = geom.Depth, attrs.Visual
	// A remote display accepts the extension but cannot attach this
	// machine's memory.
	seg, err := xshm.Attach(d.conn, 4096)
	if err != nil {
		return fmt.Errorf("xdirect: no memory shared with the server: %w", err)
	}
	seg.Detach(d.conn)
	return nil
}

// Close closes the connection; the server destroys the surfaces with it.
func (d *Display) Close() { d.conn.Close() }

// hideAfter is how long a surface turned off stays on the screen: long
// enough for the toolkit to have drawn the picture it takes over (the next
// frame, the next tick, a repaint), so that nothing flashes in between.
const hideAfter = 100 * time.Millisecond

// Surface is a child window of the app's window showing one picture.
type Surface struct {
	d   *Display
	win xproto.Window
	gc  xproto.Gcontext

	mu      sync.Mutex
	on      bool
	box     image.Rectangle   // where the picture may go, in the parent
	holes   []image.Rectangle // what the toolkit draws over it, in the parent
	at      image.Rectangle   // where the window is now
	shaped  bool              // holes are cut in it now
	reshape bool              // holes or place changed since the last shape
	mapped  bool
	hide    *time.Timer
	seg     *xshm.Segment
	closed  bool
}

// NewSurface makes a surface, off until it is placed.
func (d *Display) NewSurface() (*Surface, error) {
	win, err := xproto.NewWindowId(d.conn)
	if err != nil {
		return nil, err
	}
	// No background: a window mapped, moved or uncovered keeps what was on
	// the screen until the next picture, rather than flashing a colour.
	// Children of a window with another visual would need a colormap of
	// their own; this one shares the parent's.
	err = xproto.CreateWindowChecked(d.conn, d.depth, win, d.parent, 0, 0, 1, 1, 0,
		xproto.WindowClassInputOutput, d.visual,
		xproto.CwBackPixmap|xproto.CwBorderPixel|xproto.CwBitGravity, []uint32{xproto.BackPixmapNone, 0, xproto.GravityNorthWest}).Check()
	if err != nil {
		return nil, fmt.Errorf("xdirect: a window: %w", err)
	}
	// It takes no input: the pointer over it is over the app's window.
	shape.Rectangles(d.conn, shape.SoSet, shape.SkInput, xproto.ClipOrderingUnsorted, win, 0, 0, nil)
	gc, err := xproto.NewGcontextId(d.conn)
	if err != nil {
		xproto.DestroyWindow(d.conn, win)
		return nil, err
	}
	xproto.CreateGC(d.conn, gc, xproto.Drawable(win), xproto.GcGraphicsExposures, []uint32{0})
	return &Surface{d: d, win: win, gc: gc}, nil
}

// Place says where the picture may go (box, in the parent's pixels) and
// what lies over it there (holes); off hides the surface, hideAfter later.
// A surface placed on shows at its next picture. It runs on the UI's
// goroutine.
func (s *Surface) Place(on bool, box image.Rectangle, holes []image.Rectangle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	on = on && box.Dx() >= 2 && box.Dy() >= 2
	if !slices.Equal(holes, s.holes) || box != s.box {
		s.holes = append(s.holes[:0], holes...)
		s.box = box
		s.reshape = true
	}
	if on == s.on {
		return
	}
	s.on = on
	if on {
		if s.hide != nil {
			s.hide.Stop()
			s.hide = nil
		}
		return
	}
	if s.mapped && s.hide == nil {
		s.hide = time.AfterFunc(hideAfter, s.hideNow)
	}
}

func (s *Surface) hideNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hide = nil
	if s.on || s.closed || !s.mapped {
		return
	}
	xproto.UnmapWindow(s.d.conn, s.win)
	s.mapped = false
}

// On says whether pictures go to this surface now.
func (s *Surface) On() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.on && !s.closed
}

// Put shows a picture of srcW×srcH pixels, scaled to fit the box (its
// aspect kept) and in its middle: fill writes it, w×h 32-bit B,G,R,X
// pixels, stride bytes a row. The fit is taken under the surface's lock,
// so a box that changes meanwhile (the window resized) only changes the
// size asked of fill. It reports false when the surface is off (the
// picture is for the toolkit to draw). It runs on the goroutine that makes
// the pictures, and returns once the server has the picture on the screen.
func (s *Surface) Put(srcW, srcH int, fill func(pix []byte, stride, w, h int) error) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on || s.closed {
		return false, nil
	}
	w, h := yuv.Fit(srcW, srcH, s.box.Dx(), s.box.Dy())
	if w < 1 || h < 1 || w > 1<<15 || h > 1<<15 {
		return false, nil
	}
	stride := 4 * w
	if s.seg == nil || len(s.seg.Buf) < stride*h {
		if s.seg != nil {
			s.seg.Detach(s.d.conn)
			s.seg = nil
		}
		seg, err := xshm.Attach(s.d.conn, stride*h)
		if err != nil {
			return false, fmt.Errorf("xdirect: %w", err)
		}
		s.seg = seg
	}
	if err := fill(s.seg.Buf, stride, w, h); err != nil {
		return false, err
	}
	at := image.Rect(0, 0, w, h).Add(s.box.Min).Add(image.Pt((s.box.Dx()-w)/2, (s.box.Dy()-h)/2))
	if at != s.at {
		xproto.ConfigureWindow(s.d.conn, s.win,
			xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
			[]uint32{uint32(int32(at.Min.X)), uint32(int32(at.Min.Y)), uint32(w), uint32(h)})
		s.at = at
		s.reshape = true
	}
	if s.reshape {
		s.cutHoles()
		s.reshape = false
	}
	err := shm.PutImageChecked(s.d.conn, xproto.Drawable(s.win), s.gc, uint16(w), uint16(h), 0, 0, uint16(w), uint16(h), 0, 0,
		s.d.depth, xproto.ImageFormatZPixmap, 0, s.seg.Seg, 0).Check()
	if err != nil {
		return false, fmt.Errorf("xdirect: put: %w", err)
	}
	if !s.mapped {
		// Mapped after its first picture is in it: a window without a
		// background shows what its picture replaces until then.
		xproto.MapWindow(s.d.conn, s.win)
		s.mapped = true
		// The map may have come before the picture was drawn, or the
		// server may have dropped it as unseen: put it again.
		err = shm.PutImageChecked(s.d.conn, xproto.Drawable(s.win), s.gc, uint16(w), uint16(h), 0, 0, uint16(w), uint16(h), 0, 0,
			s.d.depth, xproto.ImageFormatZPixmap, 0, s.seg.Seg, 0).Check()
		if err != nil {
			return false, fmt.Errorf("xdirect: put: %w", err)
		}
	}
	return true, nil
}

// cutHoles shapes the window to its rectangle less the holes.
func (s *Surface) cutHoles() {
	var rects []xproto.Rectangle
	for _, h := range s.holes {
		h = h.Intersect(s.at)
		if h.Empty() {
			continue
		}
		h = h.Sub(s.at.Min)
		rects = append(rects, xproto.Rectangle{X: int16(h.Min.X), Y: int16(h.Min.Y), Width: uint16(h.Dx()), Height: uint16(h.Dy())})
	}
	if len(rects) == 0 {
		if s.shaped {
			shape.Mask(s.d.conn, shape.SoSet, shape.SkBounding, s.win, 0, 0, xproto.PixmapNone)
			s.shaped = false
		}
		return
	}
	whole := []xproto.Rectangle{{Width: uint16(s.at.Dx()), Height: uint16(s.at.Dy())}}
	shape.Rectangles(s.d.conn, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted, s.win, 0, 0, whole)
	shape.Rectangles(s.d.conn, shape.SoSubtract, shape.SkBounding, xproto.ClipOrderingUnsorted, s.win, 0, 0, rects)
	s.shaped = true
}

// Raise puts the surface above its siblings: the self-view over the other
// side's picture.
func (s *Surface) Raise() {
	xproto.ConfigureWindow(s.d.conn, s.win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
}

// Close takes the surface off the screen for good.
func (s *Surface) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.hide != nil {
		s.hide.Stop()
	}
	xproto.FreeGC(s.d.conn, s.gc)
	// Waited for: the window is gone before the next screen is drawn.
	xproto.DestroyWindowChecked(s.d.conn, s.win).Check()
	if s.seg != nil {
		s.seg.Detach(s.d.conn)
		s.seg = nil
	}
}
