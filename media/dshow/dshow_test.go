package dshow

import "testing"

// A label DirectShow does not know (any camera on Linux) is shown as the
// driver gave it.
func TestLabelKeepsWhatItDoesNotKnow(t *testing.T) {
	for _, l := range []string{"", "video0;video0", "@device:pnp:\\\\?\\usb#vid_046d&pid_0825"} {
		if got := Label(l); got != l {
			t.Errorf("Label(%q) = %q", l, got)
		}
	}
}

func TestParseNames(t *testing.T) {
	got := parseNames("@device:pnp:a\tIntegrated Webcam\n@device:pnp:b\tLogitech HD Webcam C270\n")
	if len(got) != 2 || got["@device:pnp:a"] != "Integrated Webcam" || got["@device:pnp:b"] != "Logitech HD Webcam C270" {
		t.Errorf("parseNames: %q", got)
	}
	if got := parseNames(""); len(got) != 0 {
		t.Errorf("parseNames of nothing: %q", got)
	}
}
