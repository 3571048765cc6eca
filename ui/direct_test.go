//go:build linux

package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/dialog"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"peercall/media/mediatest"
	"peercall/media/pattern"
	"peercall/rtc"
	"peercall/ui/xdirect"
)

// xWindow makes an 800×600 window on its own X server, standing for the
// app's window (the test's window has none), and returns a connection to
// that server and the window.
func xWindow(t *testing.T) (*xgb.Conn, xproto.Window) {
	t.Helper()
	t.Setenv("DISPLAY", mediatest.StartXvfb(t, 1024, 768))
	conn, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	scr := xproto.Setup(conn).DefaultScreen(conn)
	win, _ := xproto.NewWindowId(conn)
	if err := xproto.CreateWindowChecked(conn, scr.RootDepth, win, scr.Root, 0, 0, 800, 600, 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel, []uint32{0}).Check(); err != nil {
		t.Fatal(err)
	}
	xproto.MapWindow(conn, win)
	return conn, win
}

// mappedChildren counts win's children on the screen, and all of them.
func mappedChildren(t *testing.T, conn *xgb.Conn, win xproto.Window) (mapped, all int) {
	t.Helper()
	tree, err := xproto.QueryTree(conn, win).Reply()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range tree.Children {
		if a, err := xproto.GetWindowAttributes(conn, c).Reply(); err == nil && a.MapState != xproto.MapStateUnmapped {
			mapped++
		}
	}
	return mapped, len(tree.Children)
}

// The call screen sends the pictures straight to the X server only where
// nothing of the toolkit's covers them: the self-view whenever no dialog
// is open, the other side's picture once the controls have faded. A view
// whose pictures go straight drops the toolkit's copy, and gets it back
// when they stop; the other side's camera moved to the small box while
// they share their screen is the toolkit's again; the call screen going
// takes the surfaces with it.
func TestPicturesGoStraightWhereNothingCoversThem(t *testing.T) {
	conn, win := xWindow(t)
	d, err := xdirect.Open(uintptr(win))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	u := newTestUI(t)
	u.xDisp, u.xTried = d, true
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{})
	c.safetyUntil = time.Time{}
	remote, self := c.att.remote, c.att.self
	gen := pattern.NewGenerator(640, 480)
	frames := func() {
		pic := gen.Next(time.Now())
		remote.WriteFrame(pic)
		self.WriteFrame(pic)
		pumpUI()
	}
	straight := func(v *VideoView) bool {
		s := c.direct.surfaces[v]
		return s != nil && s.On() && v.imageHidden
	}
	mapped := func() int {
		n, _ := mappedChildren(t, conn, win)
		return n
	}

	frames() // the toolkit shows the first pictures
	c.syncDirect()
	frames()
	if !straight(self) || straight(remote) {
		t.Fatalf("controls shown: self-view straight %v, the other side's %v; want the self-view's alone", straight(self), straight(remote))
	}
	if n := mapped(); n != 1 {
		t.Errorf("%d pictures' windows on the screen, want 1", n)
	}

	c.fade()
	frames()
	if !straight(self) || !straight(remote) {
		t.Fatalf("controls faded: self-view straight %v, the other side's %v; want both", straight(self), straight(remote))
	}
	if n := mapped(); n != 2 {
		t.Errorf("%d pictures' windows on the screen, want 2", n)
	}
	if remote.image.Image != nil || self.image.Image != nil {
		t.Error("the toolkit keeps its copies of pictures that go straight")
	}

	// A dialog would lie under the pictures' windows: the toolkit draws
	// them while it is open.
	info := dialog.NewInformation("A file", "for you", u.win)
	info.Show()
	c.syncDirect()
	frames()
	if straight(self) || straight(remote) {
		t.Fatalf("a dialog open: self-view straight %v, the other side's %v; want neither", straight(self), straight(remote))
	}
	if remote.image.Image == nil || self.image.Image == nil || !remote.image.Visible() {
		t.Error("the toolkit does not draw the pictures while a dialog is open")
	}
	waitFor(t, "the pictures' windows off the screen", func() bool { return mapped() == 0 })
	info.Hide()
	c.syncDirect()
	frames()
	if !straight(self) || !straight(remote) {
		t.Fatal("the dialog closed: the pictures do not go straight again")
	}

	// Their screen fills the window, their camera goes to the small box,
	// drawn by the toolkit.
	c.showRemoteScreen(true)
	frames()
	if straight(remote) || remote.image.Image == nil || !remote.image.Visible() {
		t.Error("the other side's camera, small beside their screen, is not the toolkit's")
	}

	c.cancel()
	if _, all := mappedChildren(t, conn, win); all != 0 {
		t.Errorf("%d pictures' windows left after the call screen went", all)
	}
}
