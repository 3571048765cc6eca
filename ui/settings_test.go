package ui

import (
	"fmt"
	"image"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"peercall/call"
	"peercall/media"
	"peercall/media/sound"
)

// The picture size chosen in the settings is kept and used by the next
// call; the command line's --size wins over it.
func TestPictureSizeSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	if w, h := pictureSize(Options{}, loadSettings(p)); w != 640 || h != 480 {
		t.Errorf("default picture %dx%d, want 640x480", w, h)
	}
	s := loadSettings(p)
	s.Picture = "1280x720"
	s.save(p)
	if w, h := pictureSize(Options{}, loadSettings(p)); w != 1280 || h != 720 {
		t.Errorf("after choosing HD: %dx%d, want 1280x720", w, h)
	}
	if w, h := pictureSize(Options{Width: 320, Height: 240}, loadSettings(p)); w != 320 || h != 240 {
		t.Errorf("with --size 320x240: %dx%d", w, h)
	}
	// A value from elsewhere (an older or edited preferences file) falls
	// back to the default.
	p.SetString(prefPicture, "99x99")
	if w, h := pictureSize(Options{}, loadSettings(p)); w != 640 || h != 480 {
		t.Errorf("unknown setting: %dx%d, want 640x480", w, h)
	}
}

// Settings show what is saved: the first camera by default (on this
// machine there is none, and the list says so), "No camera" and the test
// pattern as choices, and a camera chosen once but unplugged now as not
// connected. What is chosen is what the next call opens.
func TestCameraSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	for _, tc := range []struct {
		saved, shown string
		video        call.VideoSource
		off          bool
	}{
		{"", "First camera found (none connected now)", call.VideoCamera, false},
		{noCamera, "No camera", call.VideoCamera, true},
		{patternCamera, "Test pattern", call.VideoPattern, false},
		{"/dev/video7", "Not connected now (/dev/video7)", call.VideoCamera, false},
	} {
		s := loadSettings(p)
		s.Camera = tc.saved
		s.save(p)
		cur := loadSettings(p)
		sel := newPicker(cameraChoices(cur.Camera), cur.Camera)
		if sel.Selected() != tc.shown || sel.ID() != tc.saved {
			t.Errorf("saved %q: shown %q (id %q), want %q", tc.saved, sel.Selected(), sel.ID(), tc.shown)
		}
		o := cur.callOptions(Options{})
		if o.Video != tc.video || o.CameraOff != tc.off {
			t.Errorf("saved %q: the call opens video %q, camera off %v; want %q, %v", tc.saved, o.Video, o.CameraOff, tc.video, tc.off)
		}
	}
	// The command line's --source pattern wins over the setting.
	if o := loadSettings(p).callOptions(Options{Source: "pattern"}); o.Video != call.VideoPattern {
		t.Errorf("--source pattern: video %q", o.Video)
	}
}

// Fresh settings use the default STUN server; servers entered are used as
// they are, one a line or separated by commas.
func TestSTUNSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	if o := loadSettings(p).callOptions(Options{}); o.STUN != nil {
		t.Errorf("fresh settings: STUN %q, want the default", o.STUN)
	}
	s := loadSettings(p)
	s.STUN, _ = checkServers("stun:198.51.100.1:3478\n198.51.100.2:3478, 198.51.100.3", "", "", "")
	s.save(p)
	got := call.ICEServers(loadSettings(p).callOptions(Options{}).STUN, nil, "", "")
	if len(got) != 3 || got[1].URLs[0] != "stun:198.51.100.2:3478" || got[2].URLs[0] != "stun:198.51.100.3:3478" {
		t.Errorf("servers %+v", got)
	}
	// The default server typed in (or put back by Restore defaults) is
	// kept as "the default".
	if stun, errs := checkServers("stun.l.google.com:19302", "", "", ""); stun != nil || !errs.ok() {
		t.Errorf("the default typed in: %q, %+v", stun, errs)
	}
}

// What Save refuses, it refuses in a sentence naming the entry; what it
// accepts, the call hands to WebRTC, which accepts it too: a saved entry
// never ends in WebRTC's jargon at the next Start.
func TestServerEntriesCheckedOnSave(t *testing.T) {
	for _, tc := range []struct {
		stun, turn, user, pass string
		want                   serverErrors
	}{
		{stun: "my stun server please", want: serverErrors{STUN: `"my stun server please" is not a server address: an address has no spaces (give one server a line).`}},
		{turn: "hello world", want: serverErrors{TURN: `"hello world" is not a server address: an address has no spaces (give one server a line).`}},
		{turn: "turn:turn.example.org", want: serverErrors{Credentials: "A TURN server needs a user name and a password."}},
		{turn: "turn:turn.example.org", user: "alice", want: serverErrors{Credentials: "A TURN server needs a password as well as the user name."}},
		{stun: "stun.example.org:99999\nok.example.org, what?", want: serverErrors{STUN: `"stun.example.org:99999" is not a server address: the port must be a number from 1 to 65535.` + "\n" +
			`"what?" is not a server address: a STUN address takes nothing after "?".`}},
		{stun: "turn:turn.example.org", want: serverErrors{STUN: `"turn:turn.example.org" is a TURN server: put it in the TURN server field.`}},
		{stun: "stuns:stun.example.org", want: serverErrors{STUN: `"stuns:stun.example.org" is STUN over TLS, which calls do not use: write stun:stun.example.org instead.`}},
	} {
		if _, errs := checkServers(tc.stun, tc.turn, tc.user, tc.pass); errs != tc.want {
			t.Errorf("STUN %q, TURN %q: %+v\nwant %+v", tc.stun, tc.turn, errs, tc.want)
		}
	}
	api := webrtc.NewAPI()
	for _, tc := range []struct{ stun, turn string }{
		{"", ""},
		{"none", "turn:turn.example.org?transport=tcp"},
		{"stun.example.org\n203.0.113.7:3479, [2001:db8::1]", "turns:turn.example.org:443"},
		{"stun://STUN.example.org", "turn.example.org:80"},
	} {
		stun, errs := checkServers(tc.stun, tc.turn, "alice", "secret")
		if !errs.ok() {
			t.Errorf("%q, %q refused: %+v", tc.stun, tc.turn, errs)
			continue
		}
		s := settings{STUN: stun, TURN: tc.turn, TURNUser: "alice", TURNPass: "secret"}
		o := s.callOptions(Options{})
		pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: call.ICEServers(o.STUN, o.TURN, o.TURNUser, o.TURNPass)})
		if err != nil {
			t.Errorf("%q, %q accepted by the settings, refused by WebRTC: %v", tc.stun, tc.turn, err)
			continue
		}
		pc.Close()
	}
}

// The device lists on this machine's names: no plugins, the default
// named first, a device that is gone shown as gone.
func TestSoundChoices(t *testing.T) {
	hex := func(name string) string {
		return fmt.Sprintf("%x", append([]byte(name), make([]byte, 256-len(name))...))
	}
	plugins := []sound.Device{
		{ID: hex("null"), Name: "Discard all samples (playback) or generate zero samples (capture)"},
		{ID: hex("lavrate"), Name: "Rate Converter Plugin Using Libav/FFmpeg Library"},
		{ID: hex("jack"), Name: "JACK Audio Connection Kit"},
		{ID: hex("pulse"), Name: "PulseAudio Sound Server"},
		{ID: hex("upmix"), Name: "Plugin for channel upmix (4,6,8)"},
	}
	labels := func(cs []deviceChoice) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.label)
		}
		return out
	}
	if got := labels(soundChoicesFrom(plugins, true, "")); strings.Join(got, "|") != "System default" {
		t.Errorf("no sound server: %q", got)
	}
	null := []sound.Device{{ID: hex("nullsink.monitor"), Name: "Monitor of Null Output", Default: true}}
	if got := labels(soundChoicesFrom(null, true, "")); strings.Join(got, "|") != "System default (Monitor of Null Output)|Monitor of Null Output" {
		t.Errorf("null sink: %q", got)
	}
	gone := soundChoicesFrom(null, true, hex("alsa_input.usb-Logitech_H390-00.mono"))
	sel := newPicker(gone, hex("alsa_input.usb-Logitech_H390-00.mono"))
	if sel.Selected() != "Not connected now (alsa_input.usb-Logitech_…)" {
		t.Errorf("a headset that is gone: shown as %q", sel.Selected())
	}
	// A plugin chosen before is what is saved: it shows by its name.
	sel = newPicker(soundChoicesFrom(plugins, false, hex("jack")), hex("jack"))
	if sel.Selected() != "JACK Audio Connection Kit" || sel.ID() != hex("jack") {
		t.Errorf("saved plugin: shown as %q", sel.Selected())
	}
}

// Window sizes the settings are drawn at: the smallest the window is laid
// out for (the call screen's minimum), the size it opens at, and a full HD
// screen.
var settingsSizes = []fyne.Size{minCallSize, fyne.NewSize(960, 640), fyne.NewSize(1920, 1080)}

func sizeName(s fyne.Size) string {
	if s.Width == 960 || s.Width == 1920 {
		return fmt.Sprintf("%.0fx%.0f", s.Width, s.Height)
	}
	return "min"
}

// settingsUI is a window of the given size with the settings open, the
// sound devices those of make test's null sink, and the camera preview
// settled (this machine has no camera).
func settingsUI(t *testing.T, size fyne.Size) (*UI, *settingsDialog) {
	t.Helper()
	saved := soundDevices
	soundDevices = func(microphones bool) []sound.Device {
		hex := func(name string) string {
			return fmt.Sprintf("%x", append([]byte(name), make([]byte, 256-len(name))...))
		}
		if microphones {
			return []sound.Device{{ID: hex("nullsink.monitor"), Name: "Monitor of Null Output", Default: true}}
		}
		return []sound.Device{{ID: hex("nullsink"), Name: "Null Output", Default: true}}
	}
	t.Cleanup(func() { soundDevices = saved })
	u := newTestUI(t)
	u.win.Resize(size)
	u.showHome("")
	d := u.openSettings()
	t.Cleanup(func() { d.dlg.Hide(); d.prev.wait() })
	d.prev.wait()
	pumpUI()
	return u, d
}

// testTURN is a STUN/TURN server at 127.88.0.1:3478, the default port, so
// that what the settings show is the same every run. It knows one user.
func testTURN(t *testing.T, user, pass string) {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.88.0.1:3478")
	if err != nil {
		t.Skipf("127.88.0.1:3478 is taken here: %v", err)
	}
	s, err := turn.NewServer(turn.ServerConfig{
		Realm: "peercall.test",
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return user, turn.GenerateAuthKey(user, "peercall.test", pass), ra.Username == user
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
			RelayAddress: net.IPv4(127, 88, 0, 1), Address: "127.88.0.1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
}

// waitTest waits for every server of a test to answer.
func waitTest(t *testing.T, d *settingsDialog) {
	t.Helper()
	waitFor(t, "the servers' answers", func() bool { return d.asking == 0 })
}

// The settings at three window sizes: as opened, with garbage refused on
// Save, after testing the servers, and with the defaults restored.
func TestSettingsDialogStates(t *testing.T) {
	for _, size := range settingsSizes {
		t.Run(sizeName(size), func(t *testing.T) {
			testTURN(t, "alice", "secret")
			u, d := settingsUI(t, size)
			name := func(state string) string { return "settings_" + sizeName(size) + "_" + state + ".png" }
			dialogFits(t, u)
			test.AssertRendersToImage(t, name("open"), u.win.Canvas())

			// Garbage is refused, named, next to its field; nothing is saved.
			d.stun.SetText("my stun server please")
			d.turn.SetText("hello world")
			test.Tap(findButton(t, u, "Save"))
			if !d.stunErr.Visible() || !d.turnErr.Visible() || !strings.Contains(d.stunErr.Text, `"my stun server please" is not a server address`) {
				t.Errorf("errors shown: STUN %q, TURN %q", d.stunErr.Text, d.turnErr.Text)
			}
			if p := u.app.Preferences(); p.String(prefSTUN) != "" || p.String(prefTURN) != "" {
				t.Errorf("garbage saved: %q, %q", p.String(prefSTUN), p.String(prefTURN))
			}
			if len(u.win.Canvas().Overlays().List()) == 0 {
				t.Error("the dialog closed on a refused Save")
			}
			dialogFits(t, u)
			test.AssertRendersToImage(t, name("errors"), u.win.Canvas())

			// Fixing an entry takes its mark away as it is typed.
			d.stun.SetText("none")
			d.turn.SetText("turn:127.88.0.1")
			if d.stunErr.Visible() || d.turnErr.Visible() || d.credErr.Text != "A TURN server needs a user name and a password." {
				t.Errorf("after fixing: STUN %q, TURN %q, credentials %q", d.stunErr.Text, d.turnErr.Text, d.credErr.Text)
			}
			// The wrong password: the TURN server says so.
			d.user.SetText("alice")
			d.pass.SetText("wrong")
			test.Tap(d.test)
			waitTest(t, d)
			if d.testResult.Text != "The TURN server refused the user name or password." {
				t.Errorf("wrong password: %q", d.testResult.Text)
			}
			dialogFits(t, u)
			test.AssertRendersToImage(t, name("tested"), u.win.Canvas())

			// Defaults restored: shown, not saved until Save; Undo puts
			// the fields back.
			test.Tap(d.restore)
			if d.stun.Text != "stun.l.google.com:19302" || d.turn.Text != "" || d.pass.Text != "" || d.camera.ID() != "" {
				t.Errorf("defaults: STUN %q, TURN %q", d.stun.Text, d.turn.Text)
			}
			dialogFits(t, u)
			test.AssertRendersToImage(t, name("defaults"), u.win.Canvas())
			test.Tap(d.restore)
			if d.stun.Text != "none" || d.turn.Text != "turn:127.88.0.1" || d.pass.Text != "wrong" {
				t.Errorf("undo: STUN %q, TURN %q, password %q", d.stun.Text, d.turn.Text, d.pass.Text)
			}
		})
	}
}

// The TURN server, asked with the right password, answers with the
// address it sees and a relay; STUN servers with the address; a port
// nobody listens on is said not to answer.
func TestSettingsTestButton(t *testing.T) {
	testTURN(t, "alice", "secret")
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := silent.LocalAddr().(*net.UDPAddr).Port
	silent.Close()
	u, d := settingsUI(t, fyne.NewSize(960, 640))
	d.stun.SetText("127.88.0.1\n127.0.0.1:" + strconv.Itoa(port))
	d.turn.SetText("turn:127.88.0.1")
	d.user.SetText("alice")
	d.pass.SetText("secret")
	test.Tap(d.test)
	if !strings.HasPrefix(d.testResult.Text, "Asking 127.88.0.1…") || d.test.Disabled() == false {
		t.Errorf("while asking: %q", d.testResult.Text)
	}
	waitTest(t, d)
	lines := strings.Split(d.testResult.Text, "\n")
	if len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "127.88.0.1 answered: you are seen as 127.0.0.1:") ||
		lines[1] != "127.0.0.1:"+strconv.Itoa(port)+" did not answer in 3 s." ||
		!strings.HasPrefix(lines[2], "127.88.0.1 answered: you are seen as 127.0.0.1:") || !strings.Contains(lines[2], "gave a relay at 127.88.0.1:") {
		t.Errorf("answers:\n%s", d.testResult.Text)
	}
	// Saved as typed, and used by the next call.
	test.Tap(findButton(t, u, "Save"))
	o := loadSettings(u.app.Preferences()).callOptions(Options{})
	if len(o.STUN) != 2 || len(o.TURN) != 1 || o.TURNUser != "alice" || o.TURNPass != "secret" {
		t.Errorf("saved %+v", o)
	}
}

// The settings fit even a window as small as the home screen lets it be
// made, whether it is smaller than the call screen's minimum or not.
func TestSettingsFitSmallestHome(t *testing.T) {
	u := newTestUI(t)
	u.showHome("")
	size := u.win.Content().MinSize()
	u, d := settingsUI(t, size)
	dialogFits(t, u)
	d.turn.SetText("hello world")
	test.Tap(findButton(t, u, "Save"))
	dialogFits(t, u)
	if !d.turnErr.Visible() {
		t.Error("no mark on the TURN field")
	}
}

// Escape cancels the settings, and gives Escape and the screen's shortcuts
// back to the screen; while they are open, the screen's shortcuts wait and
// the settings' own does not open them twice.
func TestSettingsEscape(t *testing.T) {
	u, d := settingsUI(t, fyne.NewSize(960, 640))
	homeEscape := d.escape != nil
	if again := u.openSettings(); again != d || len(u.win.Canvas().Overlays().List()) != 1 {
		t.Errorf("opened twice: %d overlays", len(u.win.Canvas().Overlays().List()))
	}
	// The screen's shortcuts wait while the settings are open.
	u.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutJoin)
	if u.parts.field != nil || len(u.win.Canvas().Overlays().List()) != 1 {
		t.Error("Ctrl+J with the settings open left them")
	}
	d.turn.SetText("turn:turn.example.org")
	u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if len(u.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("Escape left the settings open")
	}
	if u.app.Preferences().String(prefTURN) != "" {
		t.Error("Escape saved the settings")
	}
	if (u.escape != nil) != homeEscape {
		t.Error("the home screen's Escape was not given back")
	}
	// The screen's shortcuts are back: Ctrl+J opens the join screen.
	u.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutJoin)
	if u.parts.field == nil {
		t.Error("Ctrl+J after closing the settings: no join screen")
	}
	u.showHome("")
	if d2 := u.openSettings(); d2 == d {
		t.Error("closed settings opened again as they were")
	} else {
		d2.dlg.Hide()
		d2.prev.wait()
	}
}

// The device list's pop-up fits the smallest window, however long the
// list: it scrolls inside, and opens upwards when there is no room below.
func TestSettingsPopupFitsWindow(t *testing.T) {
	size := settingsSizes[0]
	hex := func(name string) string {
		return fmt.Sprintf("%x", append([]byte(name), make([]byte, 256-len(name))...))
	}
	u, d := settingsUI(t, size)
	var many []deviceChoice
	for i := range 40 {
		many = append(many, deviceChoice{label: fmt.Sprintf("USB Audio Device %d Analog Stereo", i+1), id: hex(fmt.Sprint("usb", i))})
	}
	d.speaker.choices = many
	d.speaker.setID("")
	test.Tap(d.speaker)
	if d.speaker.popup == nil || !d.speaker.popup.Visible() {
		t.Fatal("no pop-up")
	}
	pos, sz, c := d.speaker.popup.Content.Position(), d.speaker.popup.Content.Size(), u.win.Canvas().Size()
	if pos.X < 0 || pos.Y < 0 || pos.X+sz.Width > c.Width || pos.Y+sz.Height > c.Height || sz.Height < 100 {
		t.Errorf("pop-up at %v size %v in a window of %v", pos, sz, c)
	}
	test.AssertRendersToImage(t, "settings_min_popup.png", u.win.Canvas())
	// Choosing from it closes it and shows the choice.
	list := d.speaker.popup.Content.(*widget.List)
	list.Select(39)
	if d.speaker.popup != nil || d.speaker.Selected() != "USB Audio Device 40 Analog Stereo" {
		t.Errorf("chosen: %q", d.speaker.Selected())
	}
}

// dialogFits checks that the dialog lies inside the window.
func dialogFits(t *testing.T, u *UI) {
	t.Helper()
	c := u.win.Canvas().Size()
	for _, o := range u.win.Canvas().Overlays().List() {
		pos, sz := o.Position(), o.Size()
		if pos.X < 0 || pos.Y < 0 || pos.X+sz.Width > c.Width+0.5 || pos.Y+sz.Height > c.Height+0.5 {
			t.Errorf("overlay at %v size %v in a window of %v", pos, sz, c)
		}
	}
}

// findButton finds the dialog's button labelled text.
func findButton(t *testing.T, u *UI, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, o := range c.Objects {
				walk(o)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, o := range test.WidgetRenderer(w).Objects() {
				walk(o)
			}
		}
	}
	for _, o := range u.win.Canvas().Overlays().List() {
		walk(o)
	}
	if found == nil {
		t.Fatalf("no %q button", text)
	}
	return found
}

// countingSource tells when it is closed.
type countingSource struct {
	media.VideoSource
	closed chan struct{}
}

func (c *countingSource) Close() error {
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	return c.VideoSource.Close()
}

// The preview shows the chosen camera live (here the test pattern, as this
// machine has none), and lets it go when the choice changes or the
// settings close: no device left open, no goroutine left running.
func TestSettingsPreview(t *testing.T) {
	var opened []*countingSource
	saved := openPreview
	openPreview = func(choice string) (media.VideoSource, error) {
		src, err := saved(choice)
		if err != nil {
			return nil, err
		}
		c := &countingSource{VideoSource: src, closed: make(chan struct{})}
		uiQueue <- func() { opened = append(opened, c) }
		return c, nil
	}
	t.Cleanup(func() { openPreview = saved })
	_, d := settingsUI(t, fyne.NewSize(960, 640))
	if got := d.view.placeholder.Text; got != previewMissing {
		t.Errorf("no camera here: the preview says %q", got)
	}
	before := runtime.NumGoroutine()
	choose := func(id string) {
		for i, c := range d.camera.choices {
			if c.id == id {
				d.camera.choose(i)
				return
			}
		}
		t.Fatalf("no choice %q", id)
	}
	choose(patternCamera)
	first := d.prev
	waitFor(t, "the pattern in the preview", func() bool { return d.view.Frames() >= 3 })
	if img, ok := d.view.image.Image.(*image.RGBA); !ok || float32(img.Bounds().Dx()) < previewSize.Width/2 {
		t.Errorf("preview picture %T", d.view.image.Image)
	}
	choose(noCamera)
	first.wait()
	if d.prev != nil || d.view.placeholder.Text != previewNoCamera {
		t.Errorf("no camera: preview %v, placeholder %q", d.prev, d.view.placeholder.Text)
	}
	choose(patternCamera)
	second := d.prev
	waitFor(t, "the pattern again", func() bool { return d.view.Frames() >= 1 })
	d.dlg.Hide()
	second.wait()
	pumpUI()
	if len(opened) != 2 {
		t.Errorf("%d sources opened, want 2", len(opened))
	}
	for i, c := range opened {
		select {
		case <-c.closed:
		default:
			t.Errorf("source %d left open", i)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		pumpUI()
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after closing the settings, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
