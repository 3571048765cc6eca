package sound

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"peercall/media/sound/soundtest"
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

// The sound server dies while a microphone and a speaker are open: both
// streams report that they stopped, within a few seconds, though the
// server's client library says nothing.
func TestStreamsStopWhenTheServerDies(t *testing.T) {
	srv := soundtest.Start(t, soundtest.NullSink)
	srv.Use(t)
	sys, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	var captured atomic.Int64
	mic, err := sys.OpenCapture("", func([]int16) { captured.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer mic.Close()
	speaker, err := sys.OpenPlayback("", 1, func(pcm []int16) { clear(pcm) })
	if err != nil {
		t.Fatal(err)
	}
	defer speaker.Close()
	// Running: sound flows (the server takes a moment to start a stream)
	// and nothing has stopped.
	deadline := time.Now().Add(firstCallbackWithin)
	for captured.Load() < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("the microphone delivered %d frames in %v", captured.Load(), firstCallbackWithin)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, st := range []*Stream{mic, speaker} {
		select {
		case <-st.Stopped():
			t.Fatal("a stream stopped while its server runs")
		default:
		}
	}
	srv.Kill()
	killed := time.Now()
	for name, st := range map[string]*Stream{"microphone": mic, "speaker": speaker} {
		select {
		case <-st.Stopped():
			t.Logf("%s reported stopped %v after the server died", name, time.Since(killed).Round(10*time.Millisecond))
		case <-time.After(silentAfter + 10*time.Second):
			t.Errorf("the %s did not report that it stopped", name)
		}
	}
}
