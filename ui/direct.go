package ui

import (
	"context"
	"image"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"peercall/rtc"
	"peercall/ui/xdirect"
)

// Pictures straight to the screen. The toolkit draws only on its 60 Hz
// tick, and then the whole window: in software GL about ten milliseconds
// and a fifth of a core for each picture. So while no menu or dialog is
// open, the self-view goes straight to the X server, into a child window
// of the app's window (package xdirect), and once the controls have faded
// the other side's picture does too; the toolkit draws only what changes
// over them: the meters and badges, which are cut out of those windows.
// When anything else needs the screen, the toolkit draws the pictures
// again.

// directEvery is how often the call screen checks whether the pictures
// may go straight to the screen, for what it is not told about (a menu or
// a dialog opening).
const directEvery = 100 * time.Millisecond

// selfInset keeps the self-view's picture inside its white frame, in
// points.
const selfInset = 3

// directDrawing holds the call screen's surfaces, one for each view that
// has had one.
type directDrawing struct {
	surfaces map[*VideoView]*xdirect.Surface
	trimmed  bool // memory handed back after the first switch
}

// xDisplay is the connection pictures go straight to the screen on,
// opened the first time it is needed; nil where that cannot be done (not
// X, a remote display, the toolkit drawing asked for, a test window).
func (u *UI) xDisplay() *xdirect.Display {
	if u.xTried {
		return u.xDisp
	}
	u.xTried = true
	if u.opts.ToolkitDrawing {
		return nil
	}
	nw, ok := u.win.(driver.NativeWindow)
	if !ok {
		return nil
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			handle = x.WindowHandle
		}
	})
	if handle == 0 {
		return nil
	}
	d, err := xdirect.Open(handle)
	if log := u.opts.Logger; log != nil {
		if err != nil {
			log.Info("pictures are drawn by the toolkit", "why", err)
		} else {
			log.Info("pictures go straight to the X server while the call screen is still")
		}
	}
	if err != nil {
		return nil
	}
	u.xDisp = d
	return d
}

// followDirect checks every directEvery whether the pictures may go
// straight to the screen, until ctx ends.
func (c *callScreen) followDirect(ctx context.Context) {
	t := time.NewTicker(directEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			onUI(func() {
				if c.u.call == c {
					c.syncDirect()
				}
			})
		}
	}
}

// directAllowed says whether pictures may go straight to the screen at
// all now: nothing drawn by the toolkit lies over them but what is cut out
// of their windows (a menu, a dialog or a tooltip would be covered).
func (c *callScreen) directAllowed() bool {
	return c.state == rtc.StateConnected && !c.reconnect.box.Visible() &&
		!c.layout.dragging && c.u.win.Canvas().Overlays().Top() == nil
}

// syncDirect turns the surfaces on or off and places them over their
// views, with holes where the toolkit draws over the pictures. The
// self-view goes straight whenever it may; the other side's picture only
// once the controls and status over it have faded (cut out of it, their
// translucent panels would show no picture behind them). It runs on the
// UI goroutine after every layout and every directEvery.
func (c *callScreen) syncDirect() {
	allowed := c.directAllowed()
	if !allowed && c.direct.surfaces == nil {
		return // never drawn straight: nothing to turn off
	}
	if allowed && c.u.xDisplay() == nil {
		return
	}
	still := allowed && !c.chrome
	scale := c.u.win.Canvas().Scale()
	objs := c.content.Objects
	var holes []image.Rectangle
	for slot := slotRemote + 1; slot < slotCount; slot++ {
		if slot == slotActivity || slot == slotSelf {
			continue // the activity area draws nothing; the self-view has a surface
		}
		if o := objs[slot]; o.Visible() && !o.Size().IsZero() {
			holes = append(holes, pixelRect(o, 0, scale))
		}
	}
	selfHoles := holes // everything but the activity area lies over the self-view
	remoteHoles := holes
	if c.self.Visible() {
		// The self-view's frame is the toolkit's.
		remoteHoles = append(holes[:len(holes):len(holes)], pixelRect(c.self, 0, scale))
	}
	if remote, ok := objs[slotRemote].(*VideoView); ok {
		c.placeDirect(remote, still, pixelRect(remote, 0, scale), remoteHoles)
	}
	c.placeDirect(c.att.self, allowed && c.self.Visible(), pixelRect(c.att.self, selfInset, scale), selfHoles)
	if still && !c.direct.trimmed && len(c.direct.surfaces) > 0 {
		// The toolkit's copies of the pictures, and its textures, go
		// with the first switch: hand their memory back once they have.
		c.direct.trimmed = true
		c.after(2*time.Second, func() { go trimMemory() })
	}
	// A view moved out of the large place (the other side's camera, small
	// while they share their screen) keeps its surface, off, and the
	// toolkit draws it.
	for v, s := range c.direct.surfaces {
		if v != c.att.self && v != objs[slotRemote] {
			s.Place(false, image.Rectangle{}, nil)
			v.showOwnPicture()
		}
	}
}

// placeDirect places v's surface, making it the first time it is on.
func (c *callScreen) placeDirect(v *VideoView, on bool, box image.Rectangle, holes []image.Rectangle) {
	on = on && v.hasPicture()
	s := c.direct.surfaces[v]
	if s == nil {
		if !on || v.directFailed.Load() {
			return
		}
		var err error
		if s, err = c.u.xDisplay().NewSurface(); err != nil {
			if log := c.u.opts.Logger; log != nil {
				log.Info("pictures are drawn by the toolkit", "why", err)
			}
			v.directFailed.Store(true)
			return
		}
		if c.direct.surfaces == nil {
			c.direct.surfaces = map[*VideoView]*xdirect.Surface{}
		}
		c.direct.surfaces[v] = s
		v.direct.Store(s)
		// The self-view's surface lies over the other side's picture.
		if self := c.direct.surfaces[c.att.self]; self != nil {
			self.Raise()
		}
	}
	if v.directFailed.Load() {
		on = false
	}
	s.Place(on, box, holes)
	if !on {
		v.showOwnPicture()
	}
}

// closeDirect takes the surfaces off the screen for good: the call screen
// goes.
func (c *callScreen) closeDirect() {
	for v, s := range c.direct.surfaces {
		v.direct.Store(nil)
		s.Close()
		v.showOwnPicture()
	}
	c.direct.surfaces = nil
}

// pixelRect is o's place in the window in pixels, inset by inset points.
func pixelRect(o fyne.CanvasObject, inset, scale float32) image.Rectangle {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	size := o.Size()
	px := func(v float32) int { return int(math.Round(float64(v * scale))) }
	return image.Rect(px(pos.X+inset), px(pos.Y+inset), px(pos.X+size.Width-inset), px(pos.Y+size.Height-inset))
}
