package sound

import (
	"os"
	"testing"
)

// On Windows the sound system is WASAPI: it opens with no sound server to
// start, and names its devices as Windows' sound settings do (under Wine
// with make test's PulseAudio server, its null sink).
func TestWindowsSoundSystem(t *testing.T) {
	sys, err := Open()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer sys.Close()
	mics, err := sys.Microphones()
	if err != nil {
		t.Fatal(err)
	}
	speakers, err := sys.Speakers()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(mics, speakers...) {
		t.Logf("%q default=%v virtual=%v monitor=%v", d.Name, d.Default, Virtual(d), Monitor(d))
		if d.Name == "" {
			t.Errorf("a device without a name: %+v", d)
		}
	}
	if os.Getenv("PEERCALL_REQUIRE_SOUND") != "" && (len(Choosable(speakers, false)) == 0 || len(Choosable(mics, true)) == 0) {
		t.Errorf("with a sound server running: %d microphones, %d speakers to choose from", len(Choosable(mics, true)), len(Choosable(speakers, false)))
	}
}
