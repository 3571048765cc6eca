//go:build aec3 && cgo

package aec3

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// The scenes: a synthetic far-end voice played to the speaker, and the
// microphone hearing it through a small room (a direct path and decaying
// reflections) 40 ms after Playback, on top of the canceller's own one-frame
// hand-over. The near end is silent unless a scene says otherwise, so the
// output is the residual echo alone.
const (
	rate       = 48000
	frame      = rate / 100
	echoMs     = 40  // device delay before the direct path
	sceneSec   = 20  // every scene's length
	measureSec = 8   // ERLE is measured from here
	windowMs   = 100 // ERLE windows
)

// voice is a speech-like signal: a gliding pitch with harmonics shaped by
// two moving formants, syllables at about 4 Hz with some hiss, and a short
// pause every few seconds, peaking near peak.
func voice(seed uint64, seconds, pitch, peak float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := int(seconds * rate)
	x := make([]float64, n)
	var ph float64
	sylPhase := rng.Float64() * 2 * math.Pi
	var lp float64
	for i := range x {
		t := float64(i) / rate
		f0 := pitch * (1 + 0.2*math.Sin(2*math.Pi*0.7*t+float64(seed)) + 0.1*math.Sin(2*math.Pi*2.3*t))
		ph += 2 * math.Pi * f0 / rate
		f1 := 500 + 250*math.Sin(2*math.Pi*1.1*t+2*float64(seed))
		f2 := 1600 + 600*math.Sin(2*math.Pi*0.8*t+3*float64(seed))
		var v float64
		for k := 1; float64(k)*f0 < 7000; k++ {
			f := float64(k) * f0
			a := 1/(1+sq((f-f1)/150)) + 0.5/(1+sq((f-f2)/250)) + 0.02
			v += a / math.Sqrt(float64(k)) * math.Sin(float64(k)*ph)
		}
		// Hiss: high-passed noise, strongest between syllables.
		w := rng.NormFloat64()
		lp += 0.3 * (w - lp)
		hiss := (w - lp) * 0.15
		syl := math.Max(0, math.Sin(2*math.Pi*4*t+sylPhase))
		phrase := 1.0
		if math.Mod(t, 3.1) > 2.6 {
			phrase = 0
		}
		x[i] = phrase * (v*syl*syl + hiss*(1-syl))
	}
	scale(x, peak)
	return x
}

func sq(x float64) float64 { return x * x }

func scale(x []float64, peak float64) {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	for i := range x {
		x[i] *= peak / m
	}
}

// room is a speaker-to-microphone impulse response: a direct path after
// delayMs and 300 reflections over the next 150 ms decaying by 60 dB in
// about 200 ms.
type room struct {
	taps []int
	gain []float64
}

func newRoom(seed uint64, delayMs, direct float64) room {
	rng := rand.New(rand.NewPCG(seed, 11))
	d := int(delayMs * rate / 1000)
	r := room{taps: []int{d}, gain: []float64{direct}}
	for range 300 {
		ms := 2 + rng.Float64()*150
		r.taps = append(r.taps, d+int(ms*rate/1000))
		r.gain = append(r.gain, direct*0.35*rng.NormFloat64()*math.Exp(-ms/29))
	}
	return r
}

// apply adds the room's echo of far to mic over [from, to).
func (r room) apply(far, mic []float64, from, to int) {
	for k, tap := range r.taps {
		g := r.gain[k]
		for i := max(from, tap); i < to; i++ {
			mic[i] += g * far[i-tap]
		}
	}
}

func pcm(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v*32767))))
	}
	return out
}

func energy(x []int16, from, to int) float64 {
	var e float64
	for _, v := range x[from:to] {
		e += float64(v) * float64(v)
	}
	return e
}

func db(x float64) float64 { return 10 * math.Log10(x) }

// run feeds the scene frame by frame, Playback then Capture, as the two
// device threads would in step.
func run(t testing.TB, c *Canceller, far, mic []int16) []int16 {
	t.Helper()
	out := make([]int16, len(mic))
	for i := 0; i+frame <= len(mic); i += frame {
		c.Playback(far[i : i+frame])
		c.Capture(mic[i:i+frame], out[i:i+frame])
	}
	if s := c.Stats(); s.Errors != 0 || s.Underruns != 0 || s.Dropped != 0 {
		t.Fatalf("stats %+v", s)
	}
	return out
}

// erleDB is the microphone's echo level minus the output level over
// [from, to) seconds, counting only windows where the echo is above
// -50 dBFS, so that pauses weigh nothing either way.
func erleDB(mic, out []int16, from, to float64) float64 {
	var em, eo float64
	w := windowMs * rate / 1000
	for i := int(from * rate); i+w <= int(to*rate); i += w {
		m := energy(mic, i, i+w)
		if db(m/float64(w)/(32768*32768)) < -50 {
			continue
		}
		em += m
		eo += energy(out, i, i+w)
	}
	return db(em / max(eo, 1e-3))
}

// settledAt is the time in seconds from which every window from there to
// until seconds reaches at least target dB of ERLE (windows whose echo is
// below -50 dBFS are skipped), or -1.
func settledAt(mic, out []int16, from, until, target float64) float64 {
	w := windowMs * rate / 1000
	at := -1.0
	for i := int(from * rate); i+w <= int(until*rate); i += w {
		m := energy(mic, i, i+w)
		if db(m/float64(w)/(32768*32768)) < -50 {
			continue
		}
		if db(m/max(energy(out, i, i+w), 1e-3)) >= target {
			if at < 0 {
				at = float64(i) / rate
			}
		} else {
			at = -1
		}
	}
	return at
}

var farSignal = sync.OnceValue(func() []float64 { return voice(1, sceneSec, 130, 0.5) })

func newTest(t testing.TB, cfg Config) *Canceller {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestEcho: the far end talks, the near end is silent. AEC3 must reach
// 45 dB of ERLE once converged, with or without a delay hint.
func TestEcho(t *testing.T) {
	far := farSignal()
	micF := make([]float64, len(far))
	newRoom(2, echoMs, 0.3).apply(far, micF, 0, len(far))
	farP, mic := pcm(far), pcm(micF)
	t.Logf("echo %.1f dBFS", db(energy(mic, 0, len(mic))/float64(len(mic))/(32768*32768)))
	for _, delay := range []int{0, echoMs} {
		c := newTest(t, Config{DelayMs: delay})
		out := run(t, c, farP, mic)
		e := erleDB(mic, out, measureSec, sceneSec)
		t.Logf("DelayMs %d: ERLE %.1f dB over %d–%d s", delay, e, measureSec, sceneSec)
		for _, target := range []float64{20, 30, 40, 45} {
			t.Logf("  ERLE ≥ %2.0f dB in every %d ms window from %.1f s", target, windowMs, settledAt(mic, out, 0, sceneSec, target))
		}
		for s := 0; s < sceneSec; s += 2 {
			t.Logf("  %2d–%2d s: ERLE %5.1f dB", s, s+2, erleDB(mic, out, float64(s), float64(s+2)))
		}
		if e < 45 {
			t.Errorf("DelayMs %d: ERLE %.1f dB, want ≥ 45", delay, e)
		}
	}
}

// TestPathChange: at 10 s the room changes (someone moves the laptop): a
// weaker, 15 ms later direct path and other reflections.
func TestPathChange(t *testing.T) {
	far := farSignal()
	micF := make([]float64, len(far))
	change := 10 * rate
	newRoom(2, echoMs, 0.3).apply(far, micF, 0, change)
	newRoom(3, echoMs+15, 0.2).apply(far, micF, change, len(far))
	farP, mic := pcm(far), pcm(micF)
	c := newTest(t, Config{})
	out := run(t, c, farP, mic)
	for s := 0; s < sceneSec; s++ {
		t.Logf("  %2d–%2d s: ERLE %5.1f dB", s, s+1, erleDB(mic, out, float64(s), float64(s+1)))
	}
	before := erleDB(mic, out, 6, 10)
	after := erleDB(mic, out, 16, 20)
	t.Logf("ERLE %.1f dB before the change, %.1f dB 6–10 s after; ≥ 40 dB again from %.1f s", before, after, settledAt(mic, out, 10, sceneSec, 40))
	if after < 45 {
		t.Errorf("ERLE %.1f dB after the path change, want ≥ 45", after)
	}
}

// TestDoubleTalk: the near end talks from 12 s on over the echo, at three
// levels against it. The near voice must come through (full duplex). Over
// 13–20 s the output is compared with the output of the near voice alone
// (no far end): the energy it keeps, and the part of it that stays coherent
// with that reference (the rest is suppression gain varying, and residual
// echo).
func TestDoubleTalk(t *testing.T) {
	far := farSignal()
	echoF := make([]float64, len(far))
	newRoom(2, echoMs, 0.3).apply(far, echoF, 0, len(far))
	farP := pcm(far)
	a, b := 13*rate, sceneSec*rate
	for _, nearDB := range []float64{-6, 0, 10} { // near voice relative to the echo
		near := voice(9, sceneSec, 210, 0.5)
		clear(near[:12*rate])
		var en, ee float64
		for i := a; i < b; i++ {
			en += near[i] * near[i]
			ee += echoF[i] * echoF[i]
		}
		g := math.Sqrt(ee / en * math.Pow(10, nearDB/10))
		micF := make([]float64, len(far))
		for i := range micF {
			near[i] *= g
			micF[i] = echoF[i] + near[i]
		}
		mic, nearP := pcm(micF), pcm(near)

		ref := run(t, newTest(t, Config{}), make([]int16, len(farP)), nearP)
		out := run(t, newTest(t, Config{}), farP, mic)
		var xy, yy, xx float64
		for i := a; i < b; i++ {
			x, y := float64(out[i]), float64(ref[i])
			xy += x * y
			yy += y * y
			xx += x * x
		}
		kept := db(xx / yy)
		coherent := db(xy * xy / yy / yy)
		t.Logf("near voice %+3.0f dB against the echo: output %5.1f dB against the near voice's alone, its coherent part %5.1f dB; single-talk ERLE before %.1f dB",
			nearDB, kept, coherent, erleDB(mic, out, measureSec, 12))
		if nearDB >= 0 && kept < -12 {
			t.Errorf("near voice %+.0f dB against the echo lost %.1f dB in double talk", nearDB, -kept)
		}
	}
}

// TestConcurrent feeds Playback and Capture from two goroutines, as the
// device threads do, and closes the canceller while they run.
func TestConcurrent(t *testing.T) {
	c := newTest(t, Config{})
	far := pcm(farSignal()[:2*rate])
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i+frame <= len(far); i += frame {
			c.Playback(far[i : i+frame])
		}
	}()
	go func() {
		defer wg.Done()
		out := make([]int16, frame)
		for i := 0; i+frame <= len(far); i += frame {
			c.Capture(far[i:i+frame], out)
			if i == len(far)/2 {
				c.Close()
			}
		}
	}()
	wg.Wait()
	if s := c.Stats(); s.Captured == 0 || s.Errors != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestWrongLengthAndInPlace(t *testing.T) {
	c := newTest(t, Config{SampleRate: 16000})
	if c.Config().FrameSamples != 160 {
		t.Fatalf("config %+v", c.Config())
	}
	c.Playback(make([]int16, 100))
	c.Capture(make([]int16, 160), make([]int16, 10))
	buf := make([]int16, 160)
	for i := range buf {
		buf[i] = int16(i * 50)
	}
	c.Playback(make([]int16, 160))
	c.Capture(buf, buf)
	s := c.Stats()
	if s.WrongLength != 2 || s.Played != 1 || s.Captured != 1 || s.Errors != 0 {
		t.Errorf("stats %+v", s)
	}
	c.Close()
	c.Close()
	in := []int16{1, 2, 3}
	c.Capture(append(in, make([]int16, 157)...), buf)
	if buf[2] != 3 {
		t.Errorf("Capture after Close did not copy through")
	}
}

func TestAllocs(t *testing.T) {
	c := newTest(t, Config{})
	f, out := make([]int16, frame), make([]int16, frame)
	if n := testing.AllocsPerRun(100, func() {
		c.Playback(f)
		c.Capture(f, out)
	}); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

// BenchmarkFrame is one 10 ms frame at 48 kHz through Playback and Capture,
// with echo to cancel.
func BenchmarkFrame(b *testing.B) {
	far := farSignal()
	micF := make([]float64, len(far))
	newRoom(2, echoMs, 0.3).apply(far, micF, 0, len(far))
	farP, mic := pcm(far), pcm(micF)
	c := newTest(b, Config{})
	out := make([]int16, frame)
	n := len(mic) / frame
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := (i % n) * frame
		c.Playback(farP[k : k+frame])
		c.Capture(mic[k:k+frame], out)
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10000*100, "%realtime")
}
