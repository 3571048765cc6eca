package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
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
