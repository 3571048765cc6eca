package e2e

import (
	"fmt"
	"image"
	"io"
	"log"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
)

// xconn connects to the window's display and returns its X window.
func (w *window) xconn() (*xgb.Conn, xproto.Window) {
	w.t.Helper()
	display := ""
	for _, e := range w.env {
		if v, ok := strings.CutPrefix(e, "DISPLAY="); ok {
			display = v
		}
	}
	xgb.Logger = log.New(io.Discard, "", 0) // no authority file: Xvfb needs none
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		w.t.Fatalf("the display: %v", err)
	}
	id, err := strconv.ParseUint(w.win, 10, 32)
	if err != nil {
		conn.Close()
		w.t.Fatalf("window id %q: %v", w.win, err)
	}
	return conn, xproto.Window(id)
}

// surfaces counts the child windows of the app's window that are on the
// screen (where the pictures go straight to the X server), and all of them.
func (w *window) surfaces() (mapped, all int) {
	w.t.Helper()
	conn, win := w.xconn()
	defer conn.Close()
	tree, err := xproto.QueryTree(conn, win).Reply()
	if err != nil {
		w.t.Fatalf("the window's children: %v", err)
	}
	for _, c := range tree.Children {
		if a, err := xproto.GetWindowAttributes(conn, c).Reply(); err == nil && a.MapState == xproto.MapStateViewable {
			mapped++
		}
	}
	return mapped, len(tree.Children)
}

// straight is how many pictures go straight to the screen now.
func (w *window) straight() int {
	n, _ := w.surfaces()
	return n
}

// drawings counts how often the app draws all of its own window over d,
// as the X server's damage reports tell: the toolkit's repaints, each of
// which reaches the window's top left corner (the letterbox, in this
// test's window), where no picture's window lies.
func (w *window) drawings(d time.Duration) int {
	w.t.Helper()
	conn, win := w.xconn()
	defer conn.Close()
	if err := xfixes.Init(conn); err != nil {
		w.t.Skipf("no XFIXES: %v", err)
	}
	if err := damage.Init(conn); err != nil {
		w.t.Skipf("no DAMAGE: %v", err)
	}
	xfixes.QueryVersion(conn, 5, 0).Reply()
	damage.QueryVersion(conn, 1, 1).Reply()
	id, err := damage.NewDamageId(conn)
	if err == nil {
		err = damage.CreateChecked(conn, id, xproto.Drawable(win), damage.ReportLevelRawRectangles).Check()
	}
	if err != nil {
		w.t.Fatalf("damage: %v", err)
	}
	var n atomic.Int32
	counting := make(chan struct{})
	go func() {
		defer close(counting)
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil && err == nil {
				return // closed
			}
			if e, ok := ev.(damage.NotifyEvent); ok && e.Area.X == 0 && e.Area.Y == 0 && e.Area.Width > 0 && e.Area.Height > 0 {
				n.Add(1)
			}
		}
	}()
	time.Sleep(d)
	conn.Close()
	<-counting
	return int(n.Load())
}

// moving says whether the picture in r changes within a second: a
// picture that goes on reaching the screen, not one left behind.
func (w *window) moving(r image.Rectangle) bool {
	first := w.screenshot()
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		if next := w.screenshot(); first != nil && next != nil && differs(first, next, r) {
			return true
		}
	}
	return false
}

func differs(a, b image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb {
				return true
			}
		}
	}
	return false
}

// A call puts the pictures straight on the screen: the self-view from the
// start, the other side's picture once the controls over it have faded
// (after the safety code's first 20 s), each in a window of its own over
// the app's, and they are the right pictures, the self-view mirrored,
// still moving. The pointer moving brings the controls back and the
// toolkit draws the other side's picture again; left alone, it goes
// straight again, and when the other side ends the call the pictures'
// windows go with it. With --toolkit-drawing the toolkit draws them all.
func TestWindowStillCallDrawsStraightToTheScreen(t *testing.T) {
	pat := referencePattern(640, 480)
	both := onScreen{remote: pat, self: pat, notSelf: pat, notMirrored: true}
	t.Run("straight", func(t *testing.T) {
		w := startWindow(t, "--source", "pattern")
		// No sound from the peer: the meters stand still, and what the
		// window draws of itself is its own doing.
		p, _ := w.startCall("--seconds", "60", "--audio-source", "none")
		w.showsPictures(both)
		if n := w.straight(); n != 1 {
			t.Errorf("%d pictures straight on the screen while the controls show, want the self-view's", n)
		}
		waitUntil(t, "both pictures straight on the screen", 45*time.Second, func() bool { return w.straight() == 2 })
		w.showsPictures(both)
		// Only the call's timer changes the window itself, once a second
		// (a field left focused blinking its cursor made it 46; the
		// meters of a peer's beeping tone, 22).
		if n := w.drawings(5 * time.Second); n > 10 {
			t.Errorf("the window drew itself %d times in 5 s of a still call", n)
		} else {
			t.Logf("the window drew itself %d times in 5 s of a still call", n)
		}
		g := w.geometry()
		if mid := image.Rect(g.Min.X+g.Dx()/4, g.Min.Y+g.Dy()/4, g.Min.X+g.Dx()/2, g.Min.Y+g.Dy()/2); !w.moving(mid) {
			t.Error("the other side's picture stands still on the screen")
		}
		cx, cy := g.Min.X+g.Dx()/2, g.Min.Y+g.Dy()/2
		w.run("xdotool", "mousemove", fmt.Sprint(cx), fmt.Sprint(cy))
		w.run("xdotool", "mousemove", fmt.Sprint(cx+30), fmt.Sprint(cy+20))
		waitUntil(t, "the toolkit drawing the other side's picture after the pointer moved", 5*time.Second, func() bool { return w.straight() == 1 })
		w.showsPictures(both)
		waitUntil(t, "both pictures straight on the screen again", 15*time.Second, func() bool { return w.straight() == 2 })
		if err := p.wait(45 * time.Second); err != nil {
			t.Fatalf("the peer's call: %v", err)
		}
		waitUntil(t, "the pictures' windows gone with the call", 10*time.Second, func() bool {
			_, all := w.surfaces()
			return all == 0
		})
		w.quiet()
	})
	t.Run("toolkit", func(t *testing.T) {
		w := startWindow(t, "--source", "pattern", "--toolkit-drawing")
		p, _ := w.startCall("--seconds", "60")
		w.showsPictures(both)
		// The controls fade after the safety code's 20 s and 3 s still.
		time.Sleep(28 * time.Second)
		if n := w.straight(); n != 0 {
			t.Errorf("%d pictures straight on the screen with --toolkit-drawing", n)
		}
		w.showsPictures(both)
		w.hangUp(p)
	})
}
