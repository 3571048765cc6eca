package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"peercall/call"
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
// machine there is none, yet the setting is not shown as something else),
// "No camera" and the test pattern as choices, and a camera chosen once
// but unplugged now by its id. What is chosen is what the next call opens.
func TestCameraSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	for _, tc := range []struct {
		saved, shown string
		video        call.VideoSource
		off          bool
	}{
		{"", "First camera found", call.VideoCamera, false},
		{noCamera, "No camera", call.VideoCamera, true},
		{patternCamera, "Test pattern", call.VideoPattern, false},
		{"/dev/video7", "Not connected now (/dev/video7)", call.VideoCamera, false},
	} {
		s := loadSettings(p)
		s.Camera = tc.saved
		s.save(p)
		cur := loadSettings(p)
		sel, id := choiceSelect(cameraChoices(cur.Camera), cur.Camera)
		if sel.Selected != tc.shown || id() != tc.saved {
			t.Errorf("saved %q: shown %q (id %q), want %q", tc.saved, sel.Selected, id(), tc.shown)
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
// they are.
func TestSTUNSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	if o := loadSettings(p).callOptions(Options{}); o.STUN != nil {
		t.Errorf("fresh settings: STUN %q, want the default", o.STUN)
	}
	s := loadSettings(p)
	s.STUN = splitLines("stun:198.51.100.1:3478\n198.51.100.2:3478")
	s.save(p)
	if got := call.ICEServers(loadSettings(p).callOptions(Options{}).STUN, nil, "", ""); len(got) != 2 || got[1].URLs[0] != "stun:198.51.100.2:3478" {
		t.Errorf("servers %+v", got)
	}
}
