package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"peercall/call"
	"peercall/media"
	"peercall/media/pattern"
	"peercall/rtc"
)

// TestGallery draws the main screens, as the window shows them with the
// default theme, into the folder PEERCALL_GALLERY names (make gallery
// writes docs/gallery/ for the README). Without it, it checks that each
// screen draws.
func TestGallery(t *testing.T) {
	dir := os.Getenv("PEERCALL_GALLERY")
	u := newTestUI(t)
	u.app.Settings().SetTheme(theme.DefaultTheme())
	u.win.Resize(fyne.NewSize(960, 640))
	shots := 0
	shot := func(name string) {
		t.Helper()
		pumpUI()
		img := u.win.Canvas().Capture()
		if img.Bounds().Dx() < 900 {
			t.Fatalf("%s: the capture is %v", name, img.Bounds())
		}
		shots++
		if dir == "" {
			return
		}
		f, err := os.Create(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
	u.showHome("")
	shot("home")

	d := u.openSettings()
	shot("settings")
	d.dlg.Hide()
	u.showHome("")

	u.showStart()
	waitFor(t, "invite code", func() bool { return u.parts.code.label.Text != "" })
	shot("start")

	u.showJoin()
	test.Type(u.parts.field.entry, "PC see you at eight")
	shot("join-bad-paste")

	c := handCall(t, u)
	c.now = time.Now
	// Pictures in both views: the other side's test pattern, and this
	// side's camera-off picture.
	remote := pattern.NewGenerator(640, 480).Next(time.Date(2026, 12, 6, 10, 42, 7, 0, time.UTC))
	c.att.remote.WriteFrame(remote)
	c.att.self.WriteFrame(media.OffPicture(640, 480))
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	c.quality.set(qualityGood)
	shot("call")

	// The other side's volume, and both sides' sound meters.
	c.safety.setOpen(false)
	c.sound.showLevels(call.Levels{Local: -20, Remote: -33})
	test.Tap(c.sound.button)
	c.sound.slider.SetValue(65)
	shot("call-volume")
	c.sound.popup.Hide()
	c.sound.showLevels(call.Levels{Local: -90, Remote: -90})

	c.toggleChat()
	at := time.Date(2026, 12, 6, 10, 40, 0, 0, time.UTC)
	for i, m := range []rtc.ChatMessage{
		{Text: "Can you see my screen now?"},
		{Text: "Yes. The link you wanted: https://example.org/notes?id=42 — I did not open it.", Mine: true},
		{Text: "Perfect, thanks!"},
	} {
		m.At = at.Add(time.Duration(i) * 50 * time.Second)
		c.chat.add(m)
	}
	shot("call-chat")
	c.toggleChat()

	c.files.showOffer("in", "holiday photos.zip", 52_428_800, func(string) error { return nil }, func() {})
	c.files.showWaiting("out", "notes.txt", 1834, func() {})
	c.files.showProgress("out", false, "notes.txt", 1024, 1834)
	shot("call-files")
	c.files.remove("in")
	c.files.remove("out")

	c.toggleMute()
	c.safety.setOpen(false)
	c.showState(rtc.StateConnected, rtc.PeerMedia{Known: true, AudioMuted: true})
	c.fade()
	shot("call-muted-faded")

	showReconnecting(c, rtc.PeerMedia{Known: true, AudioMuted: true}, 7400*time.Millisecond)
	shot("call-reconnecting")

	c.hangUp()
	u.showAfterCall("The other side hung up.", 12*time.Minute+9*time.Second)
	shot("after-call")
	_ = image.Rect
}
