package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"peercall/media"
	"peercall/media/tone"
)

// A tone sent by one side is played by the other, continuous, at 440 Hz.
func TestToneArrivesContinuous(t *testing.T) {
	const seconds = 12
	dir := t.TempDir()
	wav := filepath.Join(dir, "heard.wav")
	_, joiner := twoProcessCallWith(t, nil, seconds,
		[]string{"--audio-source", "tone", "--audio-out", "none"},
		[]string{"--audio-source", "none", "--audio-out", wav})
	pcm, err := media.ReadWAV(wav)
	if err != nil {
		t.Fatal(err)
	}
	const rate = 48000
	if len(pcm) < (seconds-1)*rate {
		t.Fatalf("recording is %.1f s long, want about %d s", float64(len(pcm))/rate, seconds)
	}
	// Ten seconds from the middle of the call.
	window := pcm[len(pcm)-11*rate : len(pcm)-rate]
	if f := tone.DominantFrequency(window, rate); math.Abs(f-440) > 5 {
		t.Errorf("strongest frequency %.1f Hz, want 440", f)
	}
	if g := tone.LongestQuiet(window, rate, 200); g > 60*time.Millisecond {
		t.Errorf("a gap of %v in the recording, want none over 60 ms", g)
	}
	if joiner.AudioLatencyMs <= 0 || joiner.AudioLatencyMs > 500 {
		t.Errorf("mouth-to-ear latency %.1f ms: not measured", joiner.AudioLatencyMs)
	}
	t.Logf("joiner: mouth to ear %.1f ms, concealed %.0f ms", joiner.AudioLatencyMs, joiner.AudioConcealedMs)
}

// The joiner's speaker is looped into its own microphone (the null sink's
// monitor): the inviter's tone comes back to it as echo, unless the echo
// canceller removes it.
func TestEchoCancellation(t *testing.T) {
	if os.Getenv("PEERCALL_REQUIRE_SOUND") == "" {
		t.Skip("needs the sound server make test starts")
	}
	const seconds = 16
	echoLevel := func(aec string) float64 {
		wav := filepath.Join(t.TempDir(), "back.wav")
		twoProcessCallWith(t, nil, seconds,
			[]string{"--audio-source", "tone", "--audio-out", wav},
			[]string{"--audio-source", "mic", "--audio-out", "default", "--aec", aec})
		pcm, err := media.ReadWAV(wav)
		if err != nil {
			t.Fatal(err)
		}
		// The last six seconds: the canceller has long converged.
		if len(pcm) < 8*48000 {
			t.Fatalf("recording too short: %d samples", len(pcm))
		}
		return toneLevel(pcm[len(pcm)-7*48000:len(pcm)-48000], 440)
	}
	off := echoLevel("off")
	on := echoLevel("on")
	t.Logf("440 Hz returning to its sender: %.1f dB with echo cancellation off, %.1f dB on (re full-scale sine): %.1f dB weaker", off, on, off-on)
	if off < -40 {
		t.Fatalf("without cancellation the echo is only %.1f dBFS: the loop is not working", off)
	}
	if off-on < 20 {
		t.Errorf("echo cancellation removes %.1f dB, want at least 20", off-on)
	}
}

// The sound server dies in the middle of a call that uses the microphone
// and the speaker: nothing crashes, and the call goes on (video keeps
// flowing, the call ends normally).
func TestSoundServerDiesMidCall(t *testing.T) {
	if _, err := exec.LookPath("pulseaudio"); err != nil {
		t.Skip("needs pulseaudio (make test installs it)")
	}
	// A sound server of this test's own, so the others keep theirs.
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	start := exec.Command("pulseaudio", "--start", "--exit-idle-time=-1", "-n",
		"--load=module-native-protocol-unix", "--load=module-null-sink sink_name=nullsink", "--load=module-always-sink")
	start.Env = append(os.Environ(), env...)
	if out, err := start.CombinedOutput(); err != nil {
		t.Skipf("pulseaudio did not start: %v %s", err, out)
	}
	kill := func() {
		k := exec.Command("pulseaudio", "--kill")
		k.Env = append(os.Environ(), env...)
		k.Run()
	}
	defer kill()
	callEnv = env
	defer func() { callEnv = nil }()
	go func() {
		time.Sleep(5 * time.Second)
		kill()
	}()
	const seconds = 10
	_, joiner := twoProcessCallWith(t, nil, seconds,
		[]string{"--audio-source", "tone"},
		[]string{"--audio-source", "mic", "--audio-out", "default"})
	if min := uint64(25 * seconds * 9 / 10); joiner.FramesDecoded < min {
		t.Errorf("the joiner decoded %d frames, want at least %d: the call did not go on", joiner.FramesDecoded, min)
	}
}

// toneLevel is the level of one frequency in pcm, in dB relative to a
// full-scale sine: the tone's own share, whatever noise lies around it.
func toneLevel(pcm []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / 48000
	var re, im float64
	for i, v := range pcm {
		x := float64(v) / 32768
		re += x * math.Cos(w*float64(i))
		im -= x * math.Sin(w*float64(i))
	}
	amp := 2 * math.Hypot(re, im) / float64(len(pcm))
	if amp <= 0 {
		return -200
	}
	return 20 * math.Log10(amp)
}
