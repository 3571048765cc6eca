package locale

import "testing"

func TestIsPlainC(t *testing.T) {
	for loc, want := range map[string]bool{
		"C": true, "C.UTF-8": true, "C.utf8": true, "POSIX": true,
		"": false, "en_US.UTF-8": false, "de_DE": false, "Ca_ES": false,
	} {
		if got := isPlainC(loc); got != want {
			t.Errorf("isPlainC(%q) = %v, want %v", loc, got, want)
		}
	}
}
