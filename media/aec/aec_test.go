package aec

import (
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// The scenes: a low far-end voice, and the microphone hearing it through the
// room after delayMs, over -60 dBFS noise. The canceller converges during the
// first 4 s; echo return loss enhancement (ERLE: how far the output level is
// below the microphone level) is measured over the last 4 s.
const (
	sceneSeconds  = 12
	convergeSec   = 4
	measureFromS  = 8
	roomNoiseDBFS = -60
	nearFromS     = 4 // double talk: the local voice starts after convergence
)

var farVoice = sync.OnceValue(func() []float64 { return voice(1, sceneSeconds, 130, 0.5) })

// nearVoice is the local talker: a different, higher voice, silent until
// nearFromS, at roughly the echo's level.
var nearVoice = sync.OnceValue(func() []float64 {
	x := voice(9, sceneSeconds, 210, 0.3)
	clear(x[:nearFromS*testRate])
	return x
})

func newTest(t testing.TB, cfg Config) *Canceller {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// erle is the microphone level minus the output level over the measuring
// window, in dB.
func erle(mic, out []int16) float64 {
	a, b := measureFromS*testRate, sceneSeconds*testRate
	return levelDB(mic, a, b) - levelDB(out, a, b)
}

func TestEchoCancellation(t *testing.T) {
	for _, delay := range []float64{120, 250} {
		far := farVoice()
		fp := pcm(far)
		mic := pcm(room(far, delay, roomNoiseDBFS, 2))
		for _, ns := range []bool{false, true} {
			c := newTest(t, Config{NoiseSuppression: ns})
			got := erle(mic, runLockstep(c, fp, mic, nil))
			t.Logf("delay %v ms, noise suppression %v: ERLE %.1f dB", delay, ns, got)
			if got < 20 {
				t.Errorf("delay %v ms, noise suppression %v: ERLE %.1f dB, want ≥ 20 dB", delay, ns, got)
			}
			if st := c.Stats(); st.Underruns != 0 || st.Dropped != 0 || st.WrongLength != 0 {
				t.Errorf("lockstep run: %+v, want no underruns, drops or wrong lengths", st)
			}
		}

		c := newTest(t, Config{})
		c.SetEnabled(false)
		got := erle(mic, runLockstep(c, fp, mic, nil))
		t.Logf("delay %v ms, canceller disabled: ERLE %.1f dB", delay, got)
		if got >= 6 {
			t.Errorf("delay %v ms, canceller disabled: ERLE %.1f dB, want < 6 dB", delay, got)
		}
	}
}

// TestTailTooShort documents why Config.TailMs must cover the whole
// speaker-to-microphone delay: echo arriving after the tail is not
// cancelled at all.
func TestTailTooShort(t *testing.T) {
	far := farVoice()
	fp := pcm(far)
	mic := pcm(room(far, 250, roomNoiseDBFS, 2))
	c := newTest(t, Config{TailMs: 200})
	got := erle(mic, runLockstep(c, fp, mic, nil))
	t.Logf("200 ms tail, 250 ms delay: ERLE %.1f dB", got)
	if got >= 10 {
		t.Errorf("200 ms tail cancelled %.1f dB of echo delayed 250 ms; the test scene is not what it claims", got)
	}
}

// TestToggle turns the canceller off and on mid-call: while off the echo
// passes, and once back on it is cancelled again. The filter keeps what it
// learnt while off, so it re-converges faster than a new one.
func TestToggle(t *testing.T) {
	far := farVoice()
	fp := pcm(far)
	mic := pcm(room(far, 120, roomNoiseDBFS, 2))
	c := newTest(t, Config{})
	const offFrom, onFrom = 4 * 100, 6 * 100 // frames
	out := runLockstep(c, fp, mic, func(frame int) {
		switch frame {
		case offFrom:
			c.SetEnabled(false)
			if c.Enabled() {
				t.Error("Enabled() = true after SetEnabled(false)")
			}
		case onFrom:
			c.SetEnabled(true)
		}
	})
	a, b := offFrom*testFrame, onFrom*testFrame
	off := levelDB(mic, a, b) - levelDB(out, a, b)
	on := erle(mic, out)
	t.Logf("disabled 4–6 s: ERLE %.1f dB; enabled again at 6 s, 8–12 s: %.1f dB", off, on)
	if off >= 6 || on < 20 {
		t.Errorf("ERLE %.1f dB while disabled (want < 6), %.1f dB after re-enabling (want ≥ 20)", off, on)
	}
}

// TestDoubleTalk checks the canceller does not eat the local voice while the
// far end is talking: the scene is run with echo only and with echo plus
// the local voice, and the local voice must come out within 6 dB of its
// input level, measured by correlating the output with it and by the level
// of the difference between the two runs.
func TestDoubleTalk(t *testing.T) {
	far := farVoice()
	near := nearVoice()
	fp, np := pcm(far), pcm(near)
	echo := room(far, 120, roomNoiseDBFS, 2)
	echoOnly, both := pcm(echo), pcm(add(echo, near))
	a, b := (nearFromS+1)*testRate, (sceneSeconds-1)*testRate
	for _, ns := range []bool{false, true} {
		cfg := Config{NoiseSuppression: ns}
		outEcho := runLockstep(newTest(t, cfg), fp, echoOnly, nil)
		outBoth := runLockstep(newTest(t, cfg), fp, both, nil)

		gain, lag := gainAt(outBoth, np, a, b, 4*testFrame)
		diff := make([]int16, len(outBoth))
		for i := range diff {
			diff[i] = outBoth[i] - outEcho[i]
		}
		diffGain := levelDB(diff, a+lag, b+lag) - levelDB(np, a, b)
		t.Logf("noise suppression %v: local voice %.1f dBFS in; in the output %+.1f dB by correlation (lag %d samples), %+.1f dB by difference; echo-only ERLE %.1f dB",
			ns, levelDB(np, a, b), gain, lag, diffGain, erle(echoOnly, outEcho))
		if math.Abs(gain) > 6 || math.Abs(diffGain) > 6 {
			t.Errorf("noise suppression %v: local voice changed by %+.1f dB (correlation), %+.1f dB (difference); want within 6 dB", ns, gain, diffGain)
		}
	}
}

func TestNoiseSuppression(t *testing.T) {
	n := 8 * testRate
	noise := pcm(whiteNoise(n, -40, 4))
	silence := make([]int16, n)
	from := 4 * testRate
	for _, tc := range []struct {
		ns, aec bool
		min     float64 // least reduction wanted, dB
		max     float64 // most reduction allowed, dB
	}{
		{ns: true, aec: true, min: 10, max: 100},
		{ns: true, aec: false, min: 10, max: 100},
		// Without noise suppression the preprocessor still runs (as the
		// canceller's residual echo suppressor) but must leave noise alone.
		{ns: false, aec: true, min: -1, max: 1},
		{ns: false, aec: false, min: -0.01, max: 0.01},
	} {
		c := newTest(t, Config{NoiseSuppression: tc.ns})
		c.SetEnabled(tc.aec)
		out := runLockstep(c, silence, noise, nil)
		got := levelDB(noise, from, n) - levelDB(out, from, n)
		t.Logf("noise suppression %v, canceller %v: -40 dBFS white noise lowered by %.1f dB", tc.ns, tc.aec, got)
		if got < tc.min || got > tc.max {
			t.Errorf("noise suppression %v, canceller %v: noise lowered by %.1f dB, want %.1f to %.1f", tc.ns, tc.aec, got, tc.min, tc.max)
		}
	}
}

// TestAutoGain feeds a quiet tone, pulsed on and off four times a second
// like syllables, at -40 dBFS while on. speexdsp's gain control adapts only
// while it thinks someone is speaking, so a steady tone, which it soon takes
// for background noise, is barely raised (logged, not asserted).
func TestAutoGain(t *testing.T) {
	n := 8 * testRate
	steady := tone(n, 440, -40)
	pulsed := tone(n, 440, -40)
	for i := range pulsed {
		if (i/(testRate/8))%2 == 1 {
			pulsed[i] = 0
		}
	}
	silence := make([]int16, n)
	from := 4 * testRate
	for _, agc := range []bool{true, false} {
		for _, aec := range []bool{true, false} {
			c := newTest(t, Config{AutoGain: agc})
			c.SetEnabled(aec)
			p := pcm(pulsed)
			got := levelDB(runLockstep(c, silence, p, nil), from, n) - levelDB(p, from, n)
			t.Logf("gain control %v, canceller %v: pulsed -40 dBFS tone raised by %.1f dB", agc, aec, got)
			switch {
			case agc && got < 6:
				t.Errorf("gain control on, canceller %v: pulsed tone raised by %.1f dB, want ≥ 6 dB", aec, got)
			case !agc && math.Abs(got) > 1:
				t.Errorf("gain control off, canceller %v: pulsed tone changed by %.1f dB, want none", aec, got)
			}
		}
	}
	c := newTest(t, Config{AutoGain: true})
	s := pcm(steady)
	got := levelDB(runLockstep(c, silence, s, nil), from, n) - levelDB(s, from, n)
	t.Logf("gain control on: steady -40 dBFS tone raised by %.1f dB", got)
}

// TestBursts delivers frames the way sound servers do: the speaker asks for
// 20 ms at a time and the microphone hands over 30 ms at a time, so the two
// sides never alternate frame by frame. The queue between them must absorb
// that without dropping frames or losing the echo alignment.
func TestBursts(t *testing.T) {
	far := farVoice()
	fp := pcm(far)
	mic := pcm(room(far, 120, roomNoiseDBFS, 2))
	c := newTest(t, Config{})
	out := make([]int16, len(mic))
	frames := len(mic) / testFrame
	played, captured := 0, 0
	for ms := 0; captured < frames; ms += 10 {
		if ms%20 == 0 {
			for k := 0; k < 2 && played < frames; k++ {
				c.Playback(fp[played*testFrame : (played+1)*testFrame])
				played++
			}
		}
		if ms%30 == 0 && ms > 0 {
			for k := 0; k < 3 && captured < frames; k++ {
				i := captured * testFrame
				c.Capture(mic[i:i+testFrame], out[i:i+testFrame])
				captured++
			}
		}
	}
	got := erle(mic, out)
	st := c.Stats()
	t.Logf("bursty callbacks: ERLE %.1f dB, %+v", got, st)
	if got < 20 {
		t.Errorf("bursty callbacks: ERLE %.1f dB, want ≥ 20 dB", got)
	}
	if st.Dropped > 2 || st.Underruns > 2 {
		t.Errorf("bursty callbacks: %d frames dropped, %d underruns; the queue should absorb the bursts", st.Dropped, st.Underruns)
	}
}

// TestInPlace checks that out may be the microphone slice itself.
func TestInPlace(t *testing.T) {
	far := farVoice()[:2*testRate]
	fp := pcm(far)
	mic := pcm(room(far, 120, roomNoiseDBFS, 2))
	cfg := Config{NoiseSuppression: true, AutoGain: true}
	want := runLockstep(newTest(t, cfg), fp, mic, nil)
	c := newTest(t, cfg)
	for i := 0; i+testFrame <= len(mic); i += testFrame {
		c.Playback(fp[i : i+testFrame])
		c.Capture(mic[i:i+testFrame], mic[i:i+testFrame])
	}
	for i := range want {
		if mic[i] != want[i] {
			t.Fatalf("in-place output differs from separate output at sample %d: %d vs %d", i, mic[i], want[i])
		}
	}
}

func TestWrongLength(t *testing.T) {
	c := newTest(t, Config{})
	frame := make([]int16, testFrame)
	out := make([]int16, testFrame)
	for i := range out {
		out[i] = 7
	}
	c.Playback(nil)
	c.Playback(frame[:testFrame-1])
	c.Playback(make([]int16, testFrame+1))
	c.Capture(nil, out)
	c.Capture(frame[:100], out)
	c.Capture(frame, out[:testFrame-1])
	c.Capture(frame, nil)
	for i, v := range out {
		if v != 7 {
			t.Fatalf("ignored Capture wrote out[%d]", i)
		}
	}
	st := c.Stats()
	if st.WrongLength != 7 || st.Played != 0 || st.Captured != 0 {
		t.Errorf("stats %+v, want 7 wrong lengths and nothing played or captured", st)
	}
	// A longer out is fine: only the first FrameSamples are written.
	long := make([]int16, 2*testFrame)
	long[testFrame] = 9
	c.Capture(frame, long)
	if long[testFrame] != 9 || c.Stats().Captured != 1 {
		t.Errorf("Capture into a longer out: wrote past the frame or was not counted")
	}
}

func TestClose(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	frame := make([]int16, testFrame)
	for i := range frame {
		frame[i] = int16(i)
	}
	out := make([]int16, testFrame)
	c.Playback(frame)
	c.Capture(frame, out)
	c.SetEnabled(false)
	c.Reset()
	for i := range out {
		if out[i] != frame[i] {
			t.Fatal("Capture after Close does not pass the microphone through")
		}
	}
	_ = c.Stats()
}

// TestLinearOnly: without the preprocessor the output has no latency and
// CaptureEcho's estimate accounts for the rest of the microphone signal.
// With nothing played the filter has nothing to subtract: the estimate is
// zero and the output is the microphone signal (minus its DC). With the
// far end played back into the microphone 5 ms later the estimate
// converges to the microphone signal. Each reference handed out is the
// frame played just before.
func TestLinearOnly(t *testing.T) {
	for _, played := range []bool{false, true} {
		c := newTest(t, Config{LinearOnly: true})
		n := c.Config().FrameSamples
		rng := rand.New(rand.NewPCG(3, 4))
		far := make([]int16, 300*n)
		for i := range far {
			far[i] = int16(3000 * rng.NormFloat64())
		}
		ref := make([]int16, n)
		mic := make([]int16, n)
		out := make([]int16, n)
		echo := make([]float32, n)
		used := make([]int16, n)
		var sig, residue, est float64
		for f := range 300 {
			if played {
				copy(ref, far[f*n:(f+1)*n])
				copy(mic, far[max(0, f*n-240):max(0, f*n-240)+n]) // 5 ms later
			} else {
				copy(mic, far[f*n:(f+1)*n])
			}
			c.Playback(ref)
			c.CaptureEcho(mic, out, echo, used)
			if !slices.Equal(used, ref) {
				t.Fatalf("frame %d: CaptureEcho handed out a reference other than the frame just played", f)
			}
			if f < 200 {
				continue
			}
			for i := range mic {
				m := float64(mic[i])
				d := m - float64(out[i]) - float64(echo[i]) // the notch's share
				sig += m * m
				residue += d * d
				est += float64(echo[i]) * float64(echo[i])
			}
		}
		if r := 10 * math.Log10(sig/max(residue, 1)); r < 15 {
			t.Errorf("played %v: output plus echo estimate is %.1f dB below the microphone signal away from it, want ≥ 15 dB (white noise loses about 20 dB to the DC notch)", played, r)
		}
		switch r := 10 * math.Log10(sig/max(est, 1e-9)); {
		case !played && r < 60:
			t.Errorf("nothing played: echo estimate %.1f dB below the microphone, want ≥ 60 dB", r)
		case played && math.Abs(r) > 1:
			t.Errorf("echo alone: echo estimate %.1f dB below the microphone, want within 1 dB", r)
		}
	}
}

// TestNotchResponse: a sine through the filter with nothing played comes
// out scaled and turned by NotchResponse.
func TestNotchResponse(t *testing.T) {
	for _, hz := range []float64{100, 250, 1000, 5000} {
		c := newTest(t, Config{LinearOnly: true})
		n := c.Config().FrameSamples
		h := NotchResponse(48000, hz)
		mic, out, silence := make([]int16, n), make([]int16, n), make([]int16, n)
		var e, s float64
		for f := range 100 {
			for i := range mic {
				mic[i] = int16(math.Round(8000 * math.Sin(2*math.Pi*hz*float64(f*n+i)/48000)))
			}
			c.Playback(silence)
			c.Capture(mic, out)
			for i := range mic {
				want := 8000 * cmplx.Abs(h) * math.Sin(2*math.Pi*hz*float64(f*n+i)/48000+cmplx.Phase(h))
				if f >= 50 {
					e += (float64(out[i]) - want) * (float64(out[i]) - want)
					s += want * want
				}
			}
		}
		if r := 10 * math.Log10(s/e); r < 50 {
			t.Errorf("%.0f Hz: output differs from NotchResponse's prediction by %.1f dB below it, want ≥ 50 dB", hz, r)
		}
	}
}

func TestConfig(t *testing.T) {
	c := newTest(t, Config{})
	want := Config{SampleRate: 48000, FrameSamples: 480, TailMs: 300}
	if got := c.Config(); got != want {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}
	c16 := newTest(t, Config{SampleRate: 16000, NoiseSuppression: true, AutoGain: true})
	if got := c16.Config().FrameSamples; got != 160 {
		t.Errorf("16 kHz default frame: %d samples, want 160", got)
	}
	frame := make([]int16, 160)
	c16.Playback(frame)
	c16.Capture(frame, frame)
	if st := c16.Stats(); st.Captured != 1 || st.WrongLength != 0 {
		t.Errorf("16 kHz canceller: %+v", st)
	}
	for _, bad := range []Config{
		{SampleRate: 4000},
		{SampleRate: 96000},
		{FrameSamples: 100},  // ~2 ms
		{FrameSamples: 2400}, // 50 ms
		{TailMs: 5},
		{TailMs: 2000},
		{SampleRate: -1},
		{LinearOnly: true, NoiseSuppression: true},
		{LinearOnly: true, AutoGain: true},
	} {
		if c, err := New(bad); err == nil || !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want an ErrConfig error", bad, err)
			if c != nil {
				c.Close()
			}
		}
	}
}

func TestReset(t *testing.T) {
	far := farVoice()
	fp := pcm(far)
	mic := pcm(room(far, 120, roomNoiseDBFS, 2))
	second := func(out []int16) float64 { return levelDB(mic, 0, testRate) - levelDB(out, 0, testRate) }
	fresh := second(runLockstep(newTest(t, Config{}), fp[:testRate], mic[:testRate], nil))

	c := newTest(t, Config{})
	runLockstep(c, fp, mic, nil)
	c.Playback(fp[:testFrame])
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	// After Reset the canceller is as new: its first second is identical
	// to a new canceller's.
	got := second(runLockstep(c, fp[:testRate], mic[:testRate], nil))
	t.Logf("first second: new canceller ERLE %.2f dB, after Reset %.2f dB", fresh, got)
	if got != fresh {
		t.Errorf("first second after Reset: ERLE %.2f dB, a new canceller gives %.2f dB", got, fresh)
	}
}

func TestAllocs(t *testing.T) {
	c := newTest(t, Config{NoiseSuppression: true, AutoGain: true})
	far := pcm(farVoice()[:testFrame])
	mic := pcm(room(farVoice(), 0, roomNoiseDBFS, 2)[:testFrame])
	out := make([]int16, testFrame)
	on := true
	allocs := testing.AllocsPerRun(200, func() {
		c.Playback(far)
		c.Capture(mic, out)
	})
	if allocs != 0 {
		t.Errorf("Playback+Capture: %v allocations per frame, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(200, func() {
		on = !on
		c.SetEnabled(on)
		c.Playback(far)
		c.Capture(mic, out)
	})
	if allocs != 0 {
		t.Errorf("Playback+Capture toggling the canceller: %v allocations per frame, want 0", allocs)
	}
}

// TestConcurrent drives Playback and Capture from two goroutines, as the two
// device threads do, while a third toggles the canceller and reads the
// stats, then closes it mid-stream. Run with -race.
func TestConcurrent(t *testing.T) {
	c, err := New(Config{NoiseSuppression: true, AutoGain: true})
	if err != nil {
		t.Fatal(err)
	}
	far := pcm(farVoice()[:testRate])
	mic := pcm(room(farVoice()[:testRate], 120, roomNoiseDBFS, 2))
	const frames = 300
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range frames {
			j := i % 100 * testFrame
			c.Playback(far[j : j+testFrame])
		}
	})
	wg.Go(func() {
		out := make([]int16, testFrame)
		for i := range frames {
			j := i % 100 * testFrame
			c.Capture(mic[j:j+testFrame], out)
		}
	})
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 200 {
			c.SetEnabled(rng.IntN(2) == 0)
			_ = c.Stats()
			if i == 150 {
				c.Close()
			}
		}
	})
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPlaybackCapture measures one 10 ms frame: a Playback and a
// Capture.
func BenchmarkPlaybackCapture(b *testing.B) {
	far := pcm(farVoice()[:2*testRate])
	mic := pcm(room(farVoice()[:2*testRate], 120, roomNoiseDBFS, 2))
	for _, bc := range []struct {
		name string
		cfg  Config
		aec  bool
	}{
		{"aec", Config{}, true},
		{"aec+ns+agc", Config{NoiseSuppression: true, AutoGain: true}, true},
		{"ns+agc", Config{NoiseSuppression: true, AutoGain: true}, false},
		{"aec/tail=500ms", Config{TailMs: 500}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newTest(b, bc.cfg)
			c.SetEnabled(bc.aec)
			out := make([]int16, testFrame)
			frames := len(mic) / testFrame
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				j := i % frames * testFrame
				c.Playback(far[j : j+testFrame])
				c.Capture(mic[j:j+testFrame], out)
				i++
			}
		})
	}
}
