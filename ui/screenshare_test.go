package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/media/mediatest"
	"peercall/rtc"
)

// The share button says what it will do; in a Wayland session it
// refuses in words and stays as it was.
func TestShareButtonOnWayland(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	if c.share.text != "Share your screen (Ctrl+S)" || c.share.Importance != widget.MediumImportance {
		t.Errorf("before sharing: tip %q, importance %v", c.share.text, c.share.Importance)
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	test.Tap(c.share)
	if c.sharing || c.share.Importance != widget.MediumImportance {
		t.Error("the button shows sharing on Wayland")
	}
	if !c.notice.Visible() || !strings.Contains(c.notice.Text, "Screen sharing is not supported on Wayland yet.") {
		t.Errorf("notice %q (shown %v), want the Wayland sentence", c.notice.Text, c.notice.Visible())
	}
}

// With an X display the button turns to "stop sharing" at once; a share
// that fails (here: a call that never connected) turns it back and says
// so. The shortcut does what the button does.
func TestShareButtonFollowsTheShare(t *testing.T) {
	display := mediatest.StartXvfb(t, 640, 480)
	t.Setenv("DISPLAY", display)
	t.Setenv("WAYLAND_DISPLAY", "")
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	u.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutShare)
	if !c.sharing || c.share.Importance != widget.HighImportance || c.share.text != "Stop sharing your screen (Ctrl+S)" {
		t.Errorf("after Ctrl+S: sharing %v, importance %v, tip %q", c.sharing, c.share.Importance, c.share.text)
	}
	waitFor(t, "the failed share shown", func() bool { return !c.sharing })
	if !strings.Contains(c.notice.Text, "could not be shared") || c.share.text != "Share your screen (Ctrl+S)" {
		t.Errorf("after a failed share: notice %q, tip %q", c.notice.Text, c.share.text)
	}
}

// When the other side shares its screen, the screen fills the window and
// their camera moves to a small box that overlaps nothing; when they stop,
// their camera fills the window again.
func TestRemoteScreenTakesTheWindow(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, size fyne.Size) {
		c := handCall(t, u)
		connectedWithCode(c, rtc.PeerMedia{Known: true})
		// As the session tells it, from a goroutine of its own.
		done := make(chan struct{})
		go func() { c.att.screen.ScreenShared(true); close(done) }()
		<-done
		waitFor(t, "the screen shown", func() bool { return c.remoteSharing })
		objs := c.content.Objects
		if objs[slotRemote] != c.att.screen.view || objs[slotPeerCam] != c.att.remote {
			t.Fatal("the screen is not the large picture")
		}
		cam := objs[slotPeerCam]
		if !cam.Visible() || cam.Size().Width >= size.Width/2 {
			t.Errorf("their camera: shown %v at %v, want a small box", cam.Visible(), cam.Size())
		}
		test.AssertRendersToMarkup(t, "call/screen_shared_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "screen shared", c)

		c.att.screen.ScreenShared(false)
		waitFor(t, "the camera back", func() bool { return !c.remoteSharing })
		if objs[slotRemote] != c.att.remote || objs[slotPeerCam].Visible() {
			t.Error("their camera did not fill the window again")
		}
	})
}

// With their screen shown and every overlay up, from the smallest window
// up and in every corner: nothing overlaps their camera's box.
func TestRemoteScreenOverlaysNeverOverlap(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true, AudioMuted: true})
	c.toggleMute()
	c.showStats(rtc.Stats{}, rtc.Stats{}, "Round trip  12 ms\nIn / out    812 / 790 kbit/s\nLoss        0.0 % of packets")
	c.toggleStats()
	c.showRemoteScreen(true)
	shown := 0
	for _, corner := range []corner{bottomRight, bottomLeft, topRight, topLeft} {
		c.layout.corner = corner
		for w := minCallSize.Width; w <= 2000; w += 97 {
			for h := minCallSize.Height; h <= 1200; h += 83 {
				u.win.Resize(fyne.NewSize(w, h))
				checkNoOverlap(t, fmt.Sprintf("screen shared, corner %d", corner), c)
				if c.content.Objects[slotPeerCam].Visible() {
					shown++
				}
			}
		}
	}
	if shown == 0 {
		t.Error("their camera never found room")
	}
}
