package aec

import (
	"math"
	"math/rand/v2"
)

// The tests drive the canceller with synthetic acoustics: speech-like
// voices, a room that returns the speaker's sound to the microphone, and
// level measurements on the result.

const (
	testRate  = 48000
	testFrame = 480
)

// Voice timbre: the level of a fricative's hiss relative to a vowel, and of
// the breath noise mixed into vowels. Both matter to an adaptive filter:
// purely harmonic sound excites only a comb of frequencies, and the filter
// learns the rest of the echo path only when something excites it.
const (
	fricativeLevel = 0.1
	breathLevel    = 0.5
)

// voice synthesises a speech-like signal: voiced syllables (a gliding,
// slightly jittered pitch whose harmonics up to 7 kHz are shaped by two
// formants that change every syllable, plus breath noise, under a
// raised-cosine envelope) and occasional fricative hiss, separated by short
// and, now and then, long pauses. pitch sets the speaker's fundamental
// (about 130 Hz for a low voice, 210 Hz for a high one) and peak the
// largest sample, as a fraction of full scale.
func voice(seed uint64, seconds float64, pitch float64, peak float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	n := int(seconds * testRate)
	x := make([]float64, n)
	pos := int(0.05 * testRate * rng.Float64())
	var phase float64
	for pos < n {
		sylLen := int((0.12 + 0.25*rng.Float64()) * testRate)
		end := min(pos+sylLen, n)
		f1 := 300 + 600*rng.Float64()
		f2 := 900 + 1800*rng.Float64()
		f0a := pitch * (0.85 + 0.3*rng.Float64())
		f0b := pitch * (0.85 + 0.3*rng.Float64())
		fricative := rng.Float64() < 0.2
		var lp, hp float64 // one-pole filter states shaping the noise
		for i := pos; i < end; i++ {
			u := float64(i-pos) / float64(sylLen)
			env := math.Sin(math.Pi * u)
			env *= env
			if fricative {
				w := rng.NormFloat64()
				lp += 0.5 * (w - lp)
				hp = w - lp // crude high-pass: hiss in the upper band
				x[i] = fricativeLevel * env * hp
				continue
			}
			// Pitch jitter and breath noise: real voices are never purely
			// periodic.
			f0 := (f0a + (f0b-f0a)*u) * (1 + 0.01*rng.NormFloat64())
			phase += 2 * math.Pi * f0 / testRate
			if phase > 2*math.Pi {
				phase -= 2 * math.Pi
			}
			var s float64
			for k := 1; float64(k)*f0 < 7000; k++ {
				f := float64(k) * f0
				g := formant(f, f1, 120) + 0.6*formant(f, f2, 200) + 0.05
				s += g / float64(k) * math.Sin(float64(k)*phase)
			}
			w := rng.NormFloat64()
			lp += 0.3 * (w - lp)
			x[i] = env * (s + breathLevel*lp)
		}
		pos = end
		pause := 0.04 + 0.12*rng.Float64()
		if rng.Float64() < 0.15 {
			pause = 0.4 + 0.5*rng.Float64()
		}
		pos += int(pause * testRate)
	}
	scale(x, peak)
	return x
}

func formant(f, centre, width float64) float64 {
	d := (f - centre) / width
	return 1 / (1 + d*d)
}

// scale sets the signal's peak magnitude to peak (a fraction of full scale).
func scale(x []float64, peak float64) {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	if m == 0 {
		return
	}
	for i := range x {
		x[i] *= peak / m
	}
}

// room returns what the microphone hears of the speaker signal far: the
// direct sound attenuated by 0.5 after delayMs, one wall reflection 13 ms
// later at 0.2, and white noise at noiseDBFS.
func room(far []float64, delayMs float64, noiseDBFS float64, seed uint64) []float64 {
	d := int(delayMs * testRate / 1000)
	r := d + 13*testRate/1000
	mic := whiteNoise(len(far), noiseDBFS, seed)
	for i := range mic {
		if i >= d {
			mic[i] += 0.5 * far[i-d]
		}
		if i >= r {
			mic[i] += 0.2 * far[i-r]
		}
	}
	return mic
}

// whiteNoise returns Gaussian white noise with an RMS level of dbfs.
func whiteNoise(n int, dbfs float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	a := math.Pow(10, dbfs/20)
	x := make([]float64, n)
	for i := range x {
		x[i] = a * rng.NormFloat64()
	}
	return x
}

// tone returns a sine at freq Hz with an RMS level of dbfs.
func tone(n int, freq, dbfs float64) []float64 {
	a := math.Pow(10, dbfs/20) * math.Sqrt2
	x := make([]float64, n)
	for i := range x {
		x[i] = a * math.Sin(2*math.Pi*freq*float64(i)/testRate)
	}
	return x
}

func add(a, b []float64) []float64 {
	y := make([]float64, len(a))
	for i := range y {
		y[i] = a[i] + b[i]
	}
	return y
}

// pcm converts full-scale-1.0 samples to 16-bit, saturating.
func pcm(x []float64) []int16 {
	y := make([]int16, len(x))
	for i, v := range x {
		y[i] = int16(max(-32768, min(32767, math.Round(v*32768))))
	}
	return y
}

// levelDB is the RMS level of x[from:to] in dBFS.
func levelDB(x []int16, from, to int) float64 {
	var e float64
	for _, v := range x[from:to] {
		e += float64(v) * float64(v)
	}
	return 10 * math.Log10(e/float64(to-from)/(32768*32768)+1e-20)
}

// runLockstep plays far and captures mic frame by frame, as a playout and a
// capture callback running in step would, and returns the cleaned signal.
// before, if set, runs before each frame with its index.
func runLockstep(c *Canceller, far, mic []int16, before func(frame int)) []int16 {
	out := make([]int16, len(mic))
	for i := 0; i+testFrame <= len(mic); i += testFrame {
		if before != nil {
			before(i / testFrame)
		}
		c.Playback(far[i : i+testFrame])
		c.Capture(mic[i:i+testFrame], out[i:i+testFrame])
	}
	return out
}

// gainAt finds how much of ref is present in out: it searches the lag
// (0..maxLag samples, out behind ref) with the strongest correlation over
// [from, to) and returns the least-squares gain of ref in out at that lag,
// in dB, with the lag.
func gainAt(out, ref []int16, from, to, maxLag int) (db float64, lag int) {
	best, bestLag := 0.0, 0
	var rr float64
	for _, v := range ref[from:to] {
		rr += float64(v) * float64(v)
	}
	for l := 0; l <= maxLag; l++ {
		var or float64
		for i := from; i < to; i++ {
			or += float64(out[i+l]) * float64(ref[i])
		}
		if math.Abs(or) > math.Abs(best) {
			best, bestLag = or, l
		}
	}
	return 20 * math.Log10(math.Abs(best)/rr+1e-20), bestLag
}
