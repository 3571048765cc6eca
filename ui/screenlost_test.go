package ui

import (
	"image"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
	"peercall/media/mediatest"
)

// peerScreen is the other side's screen sink in a test: it follows the
// share.
type peerScreen struct {
	sharing atomic.Bool
	frames  atomic.Int64
}

func (p *peerScreen) WriteFrame(*image.YCbCr) { p.frames.Add(1) }
func (p *peerScreen) ScreenShared(on bool)    { p.sharing.Store(on) }

// A screen being shared whose X server dies mid-share: the button goes
// back to "share", the notice says so in a sentence a person can act on,
// and the other side is told the screen went (their window shows the
// camera again).
func TestShareEndsWhenTheScreenGoes(t *testing.T) {
	display, kill := mediatest.StartXvfbKillable(t, 640, 480)
	t.Setenv("DISPLAY", display)
	t.Setenv("WAYLAND_DISPLAY", "")
	u := newTestUI(t)
	quiet := func(o call.Options) call.Options {
		o.Width, o.Height, o.FPS = 160, 120, 15
		o.Video, o.Audio, o.Output = call.VideoPattern, call.AudioNone, call.OutputNone
		o.STUN, o.Interfaces = []string{call.NoSTUN}, []string{"lo"}
		return o
	}
	mine, err := call.Open(quiet(call.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	theirs := &peerScreen{}
	peer, err := call.Open(quiet(call.Options{ScreenSink: theirs}))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	showConnectedCall(t, u, mine, peer)
	c := u.call

	test.Tap(c.share)
	waitFor(t, "the screen at the other side", func() bool { return theirs.sharing.Load() && theirs.frames.Load() > 0 })
	if !c.sharing || c.share.Importance != widget.HighImportance {
		t.Fatalf("sharing: button shows sharing %v, importance %v", c.sharing, c.share.Importance)
	}

	kill()
	waitFor(t, "the button back to sharing nothing", func() bool { return !c.sharing })
	if c.share.Importance != widget.MediumImportance || c.share.text != "Share your screen (Ctrl+S)" {
		t.Errorf("after the screen went: importance %v, tip %q", c.share.Importance, c.share.text)
	}
	if !c.notice.Visible() || !strings.Contains(c.notice.Text, "Your screen is no longer shared") {
		t.Errorf("notice %q (shown %v), want it to say the screen is no longer shared", c.notice.Text, c.notice.Visible())
	}
	waitFor(t, "the other side told the screen went", func() bool { return !theirs.sharing.Load() })
	if mine.SharingScreen() {
		t.Error("the call still shares a screen")
	}
}
