package ui

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"peercall/call"
	"peercall/media/mediatest"
	"peercall/rtc"
)

// lit counts the lit segments of a meter as drawn.
func lit(m *levelMeter) int {
	n := 0
	for _, s := range m.segs {
		if s.FillColor != dimColour {
			n++
		}
	}
	return n
}

func TestSoundGoldens(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, _ fyne.Size) {
		c := handCall(t, u)
		golden := func(state string) {
			t.Helper()
			test.AssertRendersToMarkup(t, "call/"+state+"_"+name+".xml", u.win.Canvas())
			checkNoOverlap(t, state, c)
		}
		connectedWithCode(c, rtc.PeerMedia{Known: true})
		c.safety.setOpen(false)
		c.sound.showLevels(call.Levels{Local: -20, Remote: -33})
		golden("levels")

		test.Tap(c.sound.button)
		c.sound.slider.SetValue(65)
		golden("volume")

		c.sound.popup.Hide()
		c.toggleMute()
		c.sound.showLevels(call.Levels{Local: -18, Remote: -60, Speaking: true})
		c.fade()
		golden("muted_talking")
	})
}

func TestVolumePopup(t *testing.T) {
	u := newTestUI(t)
	u.win.Resize(fyne.NewSize(960, 640))
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	s := c.sound
	if v := c.att.call.Volume(); v != 1 || s.slider.Value != 100 {
		t.Fatalf("a first call plays at %.2f, the slider at %.0f; want 1 and 100", v, s.slider.Value)
	}
	test.Tap(s.button)
	if !s.popupOpen() {
		t.Fatal("the speaker button opened no popup")
	}
	// Above the button, inside the window.
	pos, btn := s.popup.Content.Position(), fyne.CurrentApp().Driver().AbsolutePositionForObject(s.button)
	if pos.Y+s.popup.Content.Size().Height > btn.Y || pos.X < 0 || pos.X+s.popup.Content.Size().Width > 960 {
		t.Errorf("the popup at %v %v, the button at %v", pos, s.popup.Content.Size(), btn)
	}
	// The controls stay while it is open.
	c.fade()
	if !c.controls.Visible() {
		t.Error("the controls faded with the volume popup open")
	}

	s.slider.SetValue(40)
	if v := c.att.call.Volume(); v != 0.4 {
		t.Errorf("the slider at 40 %% plays at %.2f", v)
	}
	if s.value.Text != "40 %" || s.button.text != "Their volume: 40 %" || s.button.Icon != theme.VolumeDownIcon() {
		t.Errorf("at 40 %%: figure %q, tip %q, icon %s", s.value.Text, s.button.text, s.button.Icon.Name())
	}
	// The arrow keys move it: the slider has the focus.
	if u.win.Canvas().Focused() != s.slider {
		t.Fatal("the slider does not have the keyboard's focus")
	}
	u.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	if v := c.att.call.Volume(); v != 0.35 {
		t.Errorf("← from 40 %%: volume %.2f, want 0.35", v)
	}
	// A tap at the slider's far end: the loudest.
	test.TapAt(s.slider, fyne.NewPos(s.slider.Size().Width-1, s.slider.Size().Height/2))
	if v := c.att.call.Volume(); v != 2 || s.button.Icon != theme.VolumeUpIcon() {
		t.Errorf("at the far end: volume %.2f, icon %s; want 2 and the loud icon", v, s.button.Icon.Name())
	}
	s.slider.SetValue(0)
	if c.att.call.Volume() != 0 || s.button.Icon != theme.VolumeMuteIcon() {
		t.Errorf("at 0: volume %.2f, icon %s", c.att.call.Volume(), s.button.Icon.Name())
	}
	s.slider.SetValue(35)
	// A tap beside the popup closes it.
	s.popup.Tapped(&fyne.PointEvent{Position: fyne.NewPos(5, 5)})
	if s.popupOpen() {
		t.Error("a tap beside the popup left it open")
	}
	test.Tap(s.button)
	// Esc closes it too.
	u.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.popupOpen() {
		t.Error("Esc left the popup open")
	}
	// Hanging up with it open takes it away with the call screen.
	test.Tap(s.button)
	if !s.popupOpen() || len(u.win.Canvas().Overlays().List()) == 0 {
		t.Fatal("the speaker button did not open the popup again")
	}
	// The next call starts where this one was left.
	if p := u.app.Preferences().Float(prefVolume); p != 35 {
		t.Errorf("the volume remembered is %.0f, want 35", p)
	}
	c.hangUp()
	if s.popupOpen() || len(u.win.Canvas().Overlays().List()) != 0 {
		t.Error("the volume popup stayed over the window after the hang-up")
	}
	c2 := handCall(t, u)
	if v := c2.att.call.Volume(); v != 0.35 || c2.sound.slider.Value != 35 || c2.sound.button.text != "Their volume: 35 %" {
		t.Errorf("the next call plays at %.2f with the slider at %.0f (%q), want 0.35", v, c2.sound.slider.Value, c2.sound.button.text)
	}
	// A volume out of range in the preferences file is not taken.
	u.app.Preferences().SetFloat(prefVolume, 900)
	if v := loadVolume(u.app.Preferences()); v != volumeDefault {
		t.Errorf("a remembered 900 %% gives %.0f", v)
	}
}

func TestLevelMetersAndTheMutedHint(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	s := c.sound
	s.showLevels(call.Levels{Local: -20, Remote: -20})
	if s.own.Visible() || s.peer.Visible() {
		t.Error("meters before the call connected")
	}
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	if !s.own.Visible() || !s.peer.Visible() {
		t.Fatalf("connected: own meter shown %v, theirs %v", s.own.Visible(), s.peer.Visible())
	}
	for _, c := range []struct {
		dbfs float64
		lit  int
	}{{-100, 0}, {-54, 0}, {-53, 1}, {-30, 3}, {-20, 5}, {-7, 6}, {0, 6}} {
		s.showLevels(call.Levels{Local: c.dbfs, Remote: c.dbfs - 12})
		if got := lit(s.own); got != c.lit {
			t.Errorf("%.0f dBFS lights %d segments, want %d", c.dbfs, got, c.lit)
		}
		if got, want := lit(s.peer), litFor(c.dbfs-12); got != want {
			t.Errorf("their %.0f dBFS lights %d segments, want %d", c.dbfs-12, got, want)
		}
	}
	// A change within a segment redraws nothing.
	s.own.set(-29)
	if s.own.set(-25) || !s.own.set(-20) {
		t.Error("the meter redraws within a segment, or not across one")
	}
	s.own.set(0)
	if s.own.segs[levelSegments-1].FillColor != fairColour || s.own.segs[0].FillColor != goodColour {
		t.Error("a full meter is not green with an amber top")
	}

	// Faded, the meters stay on the pictures.
	c.fade()
	if c.controls.Visible() || !s.own.Visible() || !s.peer.Visible() {
		t.Errorf("faded: controls %v, own meter %v, theirs %v", c.controls.Visible(), s.own.Visible(), s.peer.Visible())
	}
	// Talking, not muted: no hint.
	s.showLevels(call.Levels{Local: -15, Speaking: true})
	if s.hint.box.Visible() {
		t.Error("a hint while not muted")
	}
	// Muted and talking: the hint in place of the badge, and the controls
	// back with the mute button.
	c.toggleMute()
	c.fade()
	s.showLevels(call.Levels{Local: -15, Speaking: false})
	s.showLevels(call.Levels{Local: -15, Speaking: true})
	if !s.hint.box.Visible() || s.own.Visible() || c.mutedBadge.box.Visible() {
		t.Errorf("muted and talking: hint %v, own meter %v, badge %v", s.hint.box.Visible(), s.own.Visible(), c.mutedBadge.box.Visible())
	}
	if !c.controls.Visible() {
		t.Error("the hint did not bring the controls back")
	}
	if s.hint.label.Text != mutedHintText {
		t.Errorf("the hint says %q", s.hint.label.Text)
	}
	// Quiet again: the badge is back.
	s.showLevels(call.Levels{Local: -60})
	if s.hint.box.Visible() || !c.mutedBadge.box.Visible() || !s.own.Visible() {
		t.Errorf("quiet: hint %v, badge %v, own meter %v", s.hint.box.Visible(), c.mutedBadge.box.Visible(), s.own.Visible())
	}
	// Unmuting ends the hint too.
	s.showLevels(call.Levels{Local: -15, Speaking: true})
	c.toggleMute()
	if s.hint.box.Visible() {
		t.Error("the hint stayed after unmuting")
	}
	// The self-view hidden: its meter goes with it; theirs stays.
	c.toggleSelf()
	if s.own.Visible() || !s.peer.Visible() {
		t.Errorf("self-view hidden: own meter %v, theirs %v", s.own.Visible(), s.peer.Visible())
	}
	c.toggleSelf()
	// A lost call shows neither.
	c.showState(rtc.StateLost, rtc.PeerMedia{})
	if s.own.Visible() || s.peer.Visible() {
		t.Error("meters on a lost call")
	}
}

// A real call: the other side's tone lights their meter, this side's
// voice (a speech-like sound file in place of the microphone) lights its
// own, and talking while muted brings the hint, which goes on unmuting.
func TestMetersAndHintInARealCall(t *testing.T) {
	u := newTestUI(t)
	talk := filepath.Join(t.TempDir(), "talk.wav")
	if err := mediatest.WriteWAV(talk, append(mediatest.Noise(1, -65, 1), mediatest.Speech(4, -6, 1)...)); err != nil {
		t.Fatal(err)
	}
	quiet := func(o call.Options) call.Options {
		o.Video, o.Width, o.Height, o.FPS = call.VideoPattern, 320, 240, 15
		o.Output = call.OutputNone
		o.STUN, o.Interfaces = []string{call.NoSTUN}, []string{"lo"}
		return o
	}
	mine, err := call.Open(quiet(call.Options{Audio: call.AudioWAV, WAVFile: talk}))
	if err != nil {
		t.Fatal(err)
	}
	peer, err := call.Open(quiet(call.Options{Audio: call.AudioTone}))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	showConnectedCall(t, u, mine, peer)
	s := u.call.sound
	waitFor(t, "their tone on their meter", func() bool { return s.peer.Visible() && lit(s.peer) >= litFor(-20) })
	waitFor(t, "this side's voice on its meter", func() bool { return s.own.Visible() && lit(s.own) >= litFor(-35) })
	test.Tap(u.call.mute)
	waitFor(t, "the hint while muted and talking", func() bool { return s.hint.box.Visible() })
	test.Tap(u.call.mute)
	if s.hint.box.Visible() {
		t.Error("the hint stayed after unmuting")
	}
	u.call.hangUp()
}
