package cli

import (
	"strings"
	"testing"
)

// --share-screen in a Wayland session, or with no display, is refused at
// once with a sentence; --screen-picture wants a PNG file name.
func TestShareScreenFlags(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	_, errOut, code := run(t, Invite, []string{"--source", "pattern", "--share-screen"}, "")
	if code == 0 || !strings.Contains(errOut, "Screen sharing is not supported on Wayland yet.") {
		t.Errorf("on Wayland: exit %d, stderr %q", code, errOut)
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	_, errOut, code = run(t, Invite, []string{"--source", "pattern", "--share-screen"}, "")
	if code == 0 || !strings.Contains(errOut, "no X display") {
		t.Errorf("without a display: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = run(t, Join, []string{"--source", "pattern", "--screen-picture", "screen.jpg", "PC"}, "")
	if code == 0 || !strings.Contains(errOut, "--screen-picture") {
		t.Errorf("a JPEG name: exit %d, stderr %q", code, errOut)
	}
}
