package sound

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"peercall/media/tone"
)

// openOrSkip opens the sound system; without one the test is skipped,
// unless PEERCALL_REQUIRE_SOUND is set (make test starts PulseAudio and
// sets it).
func openOrSkip(t *testing.T) *System {
	t.Helper()
	sys, err := Open()
	skipWithout(t, err)
	t.Cleanup(func() { sys.Close() })
	return sys
}

func skipWithout(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("PEERCALL_REQUIRE_SOUND") != "" {
		t.Fatalf("no sound although make test started a sound server: %v", err)
	}
	t.Skipf("no usable sound device here: %v", err)
}

// What the speaker plays comes back through the sound server's monitor
// source (make test's null sink): the loop a real room makes.
func TestSpeakerToMicrophoneLoop(t *testing.T) {
	sys := openOrSkip(t)
	speakers, err := sys.Speakers()
	if err == nil && len(speakers) == 0 {
		err = ErrNoSpeaker
	}
	skipWithout(t, err)
	mics, err := sys.Microphones()
	if err == nil && len(mics) == 0 {
		err = ErrNoMicrophone
	}
	skipWithout(t, err)
	gen := tone.NewGenerator(440, 0.3, 1)
	out, err := sys.OpenPlayback("", 1, gen.Fill)
	skipWithout(t, err)
	defer out.Close()
	var mu sync.Mutex
	var heard []int16
	in, err := sys.OpenCapture("", func(frame []int16) {
		mu.Lock()
		if len(heard) < SampleRate*3 {
			heard = append(heard, frame...)
		}
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(heard)
		mu.Unlock()
		if n >= SampleRate*3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the microphone gave %d samples in 10 s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	last := heard[SampleRate*2:]
	mu.Unlock()
	if f := tone.DominantFrequency(last, SampleRate); f < 430 || f > 450 {
		t.Errorf("heard %.0f Hz, want 440", f)
	}
	if l := tone.Level(last); l < -30 {
		t.Errorf("heard the tone at %.1f dBFS: the loop is broken", l)
	}
}

func TestBadDeviceIsAnErrorNotACrash(t *testing.T) {
	sys := openOrSkip(t)
	if _, err := sys.OpenCapture("zz-not-hex", func([]int16) {}); !errors.Is(err, ErrNoMicrophone) {
		t.Errorf("bad id: %v", err)
	}
	sys.Close()
	if _, err := sys.OpenPlayback("", 1, func([]int16) {}); !errors.Is(err, ErrNoSpeaker) {
		t.Errorf("closed system: %v", err)
	}
}
