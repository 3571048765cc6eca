//go:build cgo

package aec2

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{SampleRate: 44100},
		{SampleRate: 8000},
		{FrameSamples: 960},
		{SampleRate: 16000, FrameSamples: 480},
		{DelayMs: -1},
		{DelayMs: 501},
		{Suppression: -1},
		{Suppression: HighSuppression + 1},
		{Noise: -1},
		{Noise: NoiseHigh + 1},
	} {
		if c, err := New(cfg); !errors.Is(err, ErrConfig) {
			if c != nil {
				c.Close()
			}
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
		if l := cfg.Latency(); l != 0 {
			t.Errorf("%+v: Latency %d, want 0 for an invalid Config", cfg, l)
		}
	}
}

func TestDefaults(t *testing.T) {
	for _, rate := range []int{16000, 32000, 48000} {
		for _, s := range []Suppression{DefaultSuppression, LowSuppression, ModerateSuppression, HighSuppression} {
			for _, n := range []NoiseSuppression{NoiseOff, NoiseLow, NoiseModerate, NoiseHigh} {
				c, err := New(Config{SampleRate: rate, Suppression: s, Noise: n, NoHighPassFilter: n == NoiseLow})
				if err != nil {
					t.Fatalf("%d Hz, suppression %v, noise %v: %v", rate, s, n, err)
				}
				got := c.Config()
				c.Close()
				if got.FrameSamples != rate/100 {
					t.Errorf("%d Hz: %d-sample frames", rate, got.FrameSamples)
				}
				want := s
				if want == DefaultSuppression {
					want = HighSuppression
				}
				if got.Suppression != want {
					t.Errorf("suppression %v became %v, want %v", s, got.Suppression, want)
				}
			}
		}
	}
	if got := (Config{}).Latency(); got != 862 {
		t.Errorf("zero Config: Latency %d, want 862", got)
	}
}

// echoScene is white noise played and heard 30 ms later at a quarter of
// its amplitude, with a little noise of the microphone's own.
func echoScene(seconds int) (far, mic []int16) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := seconds * 48000
	farF := make([]float64, n)
	for i := range farF {
		farF[i] = rng.NormFloat64() * 3000
	}
	far, mic = make([]int16, n), make([]int16, n)
	d := 30 * 48
	for i := range far {
		far[i] = int16(farF[i])
		v := rng.NormFloat64() * 3
		if i >= d {
			v += 0.25 * farF[i-d]
		}
		mic[i] = int16(math.Round(v))
	}
	return far, mic
}

func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e
}

// TestEcho: the far end plays white noise, the near end is silent; once
// the canceller has converged its output is well below the echo (about
// 17 dB: above 8 kHz AEC2 only suppresses, and noise never pauses), in
// place (out aliasing mic) as well.
func TestEcho(t *testing.T) {
	far, mic := echoScene(8)
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := append([]int16(nil), mic...)
	for i := 0; i+480 <= len(mic); i += 480 {
		c.Playback(far[i : i+480])
		c.Capture(mic[i:i+480], mic[i:i+480])
	}
	from := 4 * 48000
	erle := 10 * math.Log10(energy(in[from:])/max(energy(mic[from:]), 1))
	t.Logf("ERLE %.1f dB after 4 s", erle)
	if erle < 12 {
		t.Errorf("ERLE %.1f dB after 4 s, want ≥ 12 dB", erle)
	}
	if s := c.Stats(); s.Played != 800 || s.Captured != 800 || s.Errors != 0 || s.Underruns != 0 || s.Dropped != 0 || s.WrongLength != 0 {
		t.Errorf("stats %+v", s)
	}
	if _, _, ok := c.Delay(); !ok {
		t.Errorf("no delay estimate after 8 s of echo")
	}
}

func TestWrongLengthAndClose(t *testing.T) {
	c, err := New(Config{NoMicDelay: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 480)
	c.Playback(make([]int16, 479))
	c.Capture(make([]int16, 481), out)
	c.Capture(make([]int16, 480), out[:479])
	if s := c.Stats(); s.WrongLength != 3 || s.Played != 0 || s.Captured != 0 {
		t.Errorf("stats %+v", s)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	mic := make([]int16, 480)
	for i := range mic {
		mic[i] = int16(i)
	}
	c.Playback(mic)
	c.Capture(mic, out)
	for i := range out {
		if out[i] != mic[i] {
			t.Fatalf("after Close, out[%d] = %d, want the microphone's %d", i, out[i], mic[i])
		}
	}
	if _, _, ok := c.Delay(); ok {
		t.Errorf("a delay estimate after Close")
	}
}

// TestConcurrent drives Playback and Capture from two goroutines, as the
// two device threads do, with Stats read from a third, then closes the
// canceller while they still run. Run it with -race.
func TestConcurrent(t *testing.T) {
	far, mic := echoScene(2)
	c, err := New(Config{Noise: NoiseModerate})
	if err != nil {
		t.Fatal(err)
	}
	var devices, watcher sync.WaitGroup
	stop := make(chan struct{})
	firstCapture := make(chan struct{})
	devices.Go(func() {
		for i := 0; i+480 <= len(far); i += 480 {
			c.Playback(far[i : i+480])
		}
	})
	devices.Go(func() {
		out := make([]int16, 480)
		for i := 0; i+480 <= len(mic); i += 480 {
			c.Capture(mic[i:i+480], out)
			if i == 0 {
				close(firstCapture)
			}
		}
	})
	devices.Go(func() {
		// A second playout pass that closes the canceller when done,
		// possibly while Capture still runs (but never before it began,
		// on however loaded a machine).
		<-firstCapture
		for i := 0; i+480 <= len(far); i += 480 {
			c.Playback(far[i : i+480])
		}
		c.Close()
	})
	watcher.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				c.Stats()
				c.Delay()
			}
		}
	})
	devices.Wait()
	close(stop)
	watcher.Wait()
	c.Close()
	if s := c.Stats(); s.Captured == 0 || s.Errors != 0 {
		t.Errorf("stats %+v", s)
	}
}
