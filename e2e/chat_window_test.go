package e2e

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The window chats with a headless peer, with the window's real pixels and
// keys: a line the peer types puts a red badge on the window's chat
// button; Ctrl+T opens the panel (the badge goes), and a line typed in the
// window and sent with Enter is printed on the peer's stdout.
func TestWindowChat(t *testing.T) {
	w := startWindow(t)
	p, _ := w.startCall("--seconds", "60")
	w.showsPictures(noCamera)
	p.waitStats(20*time.Second, "connected", func(l statsLine) bool { return l.State == "connected" })

	g := w.geometry()
	// The chat button, eighth of the eleven controls centred at the bottom
	// (36-point buttons, 4 apart, on a panel padded by 4, 12 from the
	// edge); its badge, 16 across, on its top right corner.
	button := image.Pt(g.Min.X+(g.Dx()-444)/2+4+7*40, g.Max.Y-12-44+4)
	badge := image.Rect(0, 0, 16, 16).Add(button.Add(image.Pt(36-16+2, -2)))
	red := func(c color.RGBA) bool { return c.R > 160 && c.G < 90 && c.B < 90 }
	// badgeShown: a good part of the badge's square is red (its digit is
	// white, the button under it grey).
	badgeShown := func(shot image.Image) bool {
		n := 0
		for y := badge.Min.Y; y < badge.Max.Y; y++ {
			for x := badge.Min.X; x < badge.Max.X; x++ {
				if red(color.RGBAModel.Convert(shot.At(x, y)).(color.RGBA)) {
					n++
				}
			}
		}
		return n > 60
	}
	// The pointer rests on the picture, moving now and then, so the
	// controls stay.
	cx, cy := g.Min.X+g.Dx()/3, g.Min.Y+g.Dy()/2
	wiggle := 0
	look := func(what string, ok func(image.Image) bool) {
		t.Helper()
		var shot image.Image
		defer func() {
			// The last screenshot, to see what the window showed.
			if shot != nil && t.Failed() {
				if f, err := os.Create(filepath.Join(os.TempDir(), "peercall-window-chat.png")); err == nil {
					png.Encode(f, shot)
					f.Close()
					t.Logf("the last screenshot is in %s; the badge looked for in %v", f.Name(), badge)
				}
			}
		}()
		waitUntil(t, what, 15*time.Second, func() bool {
			wiggle = 1 - wiggle
			w.run("xdotool", "mousemove", fmt.Sprint(cx+10*wiggle), fmt.Sprint(cy))
			shot = w.screenshot()
			return shot != nil && ok(shot)
		})
	}
	look("the controls without a badge", func(s image.Image) bool {
		return !badgeShown(s)
	})

	p.say("Hello, window")
	look("the unread badge on the chat button", func(s image.Image) bool { return badgeShown(s) })

	w.key("ctrl+t")
	look("the badge gone with the panel open", func(s image.Image) bool { return !badgeShown(s) })
	// The line has the keyboard: type and send with Enter.
	w.run("xdotool", "type", "--window", w.win, "--delay", "20", "Hello, peer: see https://example.org")
	w.key("Return")
	got, _ := p.nextChat(15 * time.Second)
	if got != "Hello, peer: see https://example.org" {
		t.Errorf("the peer printed %q", got)
	}
	// Ctrl+T while writing closes the panel; a message then shows the
	// badge again.
	w.key("ctrl+t")
	p.say("And again")
	look("the badge after the panel closed", func(s image.Image) bool { return badgeShown(s) })

	w.hangUp(p)
	if strings.Contains(w.appErr.String(), "message refused") {
		t.Errorf("the window refused a message:\n%s", w.appErr.String())
	}
	w.quiet()
}
