package ui

import (
	"errors"
	"image"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"peercall/media"
	"peercall/rtc"
)

// shortcutShare starts and stops sharing the screen.
var shortcutShare = &desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}

var iconScreen = icon("screen.svg")

// remoteScreen receives the screen the other side shares: its pictures
// go to view, and its starts and stops to the call screen showing it,
// on the UI goroutine. It is the call's rtc.ScreenWatcher.
type remoteScreen struct {
	u       *UI
	view    *VideoView
	sharing atomic.Bool
}

var _ rtc.ScreenWatcher = (*remoteScreen)(nil)

func newRemoteScreen(u *UI) *remoteScreen {
	return &remoteScreen{u: u, view: NewVideoView("", false)}
}

// WriteFrame implements media.VideoSink, on the media goroutine.
func (r *remoteScreen) WriteFrame(img *image.YCbCr) { r.view.WriteFrame(img) }

// ScreenShared implements rtc.ScreenWatcher, on a session goroutine.
func (r *remoteScreen) ScreenShared(on bool) {
	r.sharing.Store(on)
	onUI(func() {
		if c := r.u.call; c != nil && c.att.screen == r {
			c.showRemoteScreen(on)
		}
	})
}

// screenShare is the call screen's part in screen sharing.
type screenShare struct {
	share         *tipButton
	peerCam       fyne.CanvasObject // the view in the small box: their camera while they share
	sharing       bool              // this side shares its screen
	remoteSharing bool              // the other side shares theirs
	shareNote     string            // why this side's screen is not shared
	shareDone     chan struct{}     // closed when the last start or stop asked for is done
}

// inOrder runs f off the UI goroutine once the starts and stops asked for
// before it are done, so that a quick start-stop-start is carried out as
// pressed. It is called on the UI goroutine.
func (c *callScreen) inOrder(f func()) {
	prev, done := c.shareDone, make(chan struct{})
	c.shareDone = done
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		f()
	}()
}

// setUpScreenShare makes the share button and the place the other side's
// camera takes while their screen fills the window.
func (c *callScreen) setUpScreenShare() {
	if c.att.screen == nil {
		c.att.screen = newRemoteScreen(c.u)
	}
	c.share = newTipButton(iconScreen, "", c.toggleShare)
	c.showSharing(false)
	c.peerCam = c.att.screen.view
	c.peerCam.Hide()
}

// toggleShare starts or stops sharing this side's screen. Starting is
// refused in words where it cannot work (Wayland, no display); the
// negotiation runs off the UI goroutine.
func (c *callScreen) toggleShare() {
	if c.sharing {
		c.showSharing(false)
		call := c.att.call
		c.inOrder(func() { _ = call.StopScreen() })
		return
	}
	if err := media.ScreenSharingAvailable(); err != nil {
		c.showShareProblem(err)
		return
	}
	c.showSharing(true)
	call := c.att.call
	c.inOrder(func() {
		err := call.ShareScreen(func(error) {
			onUI(func() {
				if c.u.call == c && c.sharing {
					c.showSharing(false)
					c.shareNote = screenLostNote
					c.refreshNotice()
				}
			})
		})
		if err == nil || errors.Is(err, rtc.ErrAlreadySharing) {
			return
		}
		onUI(func() {
			if c.u.call == c {
				c.showSharing(false)
				c.showShareProblem(err)
			}
		})
	})
}

// showSharing sets the share button for this side sharing or not.
func (c *callScreen) showSharing(on bool) {
	c.sharing = on
	if on {
		c.share.Importance = widget.HighImportance
		c.share.setTip("Stop sharing your screen (Ctrl+S)")
		c.shareNote = ""
	} else {
		c.share.Importance = widget.MediumImportance
		c.share.setTip("Share your screen (Ctrl+S)")
	}
	c.share.Refresh()
	if c.content != nil {
		c.refreshNotice()
	}
}

// screenLostNote is the notice when a share ends by itself: the screen
// could no longer be read (its X server went away or refused the
// capture).
const screenLostNote = "Your screen is no longer shared: it could not be read any more. Press the share button to share it again."

// showShareProblem says why the screen is not shared, with the notices.
func (c *callScreen) showShareProblem(err error) {
	switch {
	case errors.Is(err, media.ErrScreenWayland):
		c.shareNote = "Screen sharing is not supported on Wayland yet."
	case errors.Is(err, media.ErrNoScreen):
		c.shareNote = "Your screen cannot be shared: no X display was found."
	case errors.Is(err, media.ErrScreenUnsupported):
		c.shareNote = "Screen sharing is not available on this system yet."
	default:
		c.shareNote = "Your screen could not be shared. Run peercall --verbose from a terminal to see why."
	}
	c.refreshNotice()
}

// showRemoteScreen shows the other side's screen over the whole window
// and their camera in a small box (on), or their camera large again.
func (c *callScreen) showRemoteScreen(on bool) {
	if on == c.remoteSharing {
		return
	}
	c.remoteSharing = on
	objs := c.content.Objects
	large, small := c.att.remote, c.att.screen.view
	if on {
		large, small = small, large
	}
	objs[slotRemote], objs[slotPeerCam] = large, small
	c.peerCam = small
	large.Show()
	c.arrange()
	c.content.Refresh()
}

// withShareNote adds the screen sharing's note to the notices.
func (c *callScreen) withShareNote(text string) string {
	switch {
	case c.shareNote == "":
		return text
	case text == "":
		return c.shareNote
	}
	return text + "\n" + c.shareNote
}

// placePeerCam puts the other side's camera, while their screen fills the
// window, in the first free place along the bottom edge, then up the
// sides, as large as the self-view where it fits and down to 96 points
// wide; it hides it where there is no room at all.
func (l *callLayout) placePeerCam(o fyne.CanvasObject, size fyne.Size, free func(box) bool, put func(fyne.CanvasObject, fyne.Position, fyne.Size) box) {
	if !l.peerCamShown {
		o.Hide()
		return
	}
	m := float32(callMargin)
	const aspect = 0.75 // a camera's usual shape; the view letterboxes others
	// The self-view's corner last: the camera goes beside it otherwise.
	xs := []float32{m, size.Width - m}
	if !l.corner.right() {
		xs[0], xs[1] = xs[1], xs[0]
	}
	for w := min(max(size.Width/5, 160), 320); w >= 96; w -= 16 {
		s := fyne.NewSize(w, w*aspect)
		for y := size.Height - m - s.Height; y >= m; y -= 4 {
			for _, x := range xs {
				if x > m {
					x -= s.Width
				}
				if at := fyne.NewPos(x, y); free(rectOf(at, s)) {
					o.Show()
					put(o, at, s)
					return
				}
			}
		}
	}
	o.Hide()
}
