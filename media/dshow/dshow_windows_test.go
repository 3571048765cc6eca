package dshow

import "testing"

// DirectShow lists the video inputs (under Wine, none) and every camera it
// lists has a name.
func TestFriendlyNamesListed(t *testing.T) {
	names := friendlyNames()
	if names == nil {
		t.Fatal("DirectShow did not list the video inputs")
	}
	for display, name := range names {
		if name == "" {
			t.Errorf("%q has no name", display)
		}
		t.Logf("%s: %s", name, display)
	}
}
