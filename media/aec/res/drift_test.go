package res

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDelayLine checks that the delay line delays sines by delayTaps plus
// a fractional delay, accurately across the speech range.
func TestDelayLine(t *testing.T) {
	for _, tc := range []struct{ hz, extra float64 }{{300, 0}, {1000, 3.3}, {4000, 0.5}, {7000, 12.75}} {
		d := newDelayLine()
		in, out := make([]int16, Hop), make([]int16, Hop)
		var errE, sigE float64
		for f := range 50 {
			for i := range in {
				in[i] = int16(math.Round(10000 * math.Sin(2*math.Pi*tc.hz*float64(f*Hop+i)/Rate)))
			}
			d.process(in, tc.extra, out)
			if f < 5 {
				continue
			}
			for i, v := range out {
				want := 10000 * math.Sin(2*math.Pi*tc.hz*(float64(f*Hop+i)-delayTaps-tc.extra)/Rate)
				errE += (float64(v) - want) * (float64(v) - want)
				sigE += want * want
			}
		}
		snr := 10 * math.Log10(sigE/errE)
		t.Logf("%v Hz: %.1f dB", tc.hz, snr)
		if snr < 60 {
			t.Errorf("%v Hz delayed by %v + %d samples: %.1f dB from the exact delay, want ≥ 60", tc.hz, tc.extra, delayTaps, snr)
		}
	}
}

// TestEchoDelay checks that the delay measurement finds a known delay of
// noise-like sound, to a tenth of a sample, with a voice-level disturbance
// at the microphone that does not follow it.
func TestEchoDelay(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const delay = 1234.6
	x := make([]int16, 3*Rate)
	for i := range x {
		x[i] = int16(rng.NormFloat64() * 3000)
	}
	d := make([]int16, len(x))
	dl := newDelayLine()
	for i := 0; i+Hop <= len(x); i += Hop {
		dl.process(x[i:i+Hop], delay-delayTaps, d[i:i+Hop])
	}
	for i := range d {
		d[i] += int16(rng.NormFloat64() * 1000)
	}
	f := newFFT(NFFT)
	ax, ad := newAnalyzer(f), newAnalyzer(f)
	X, D, scratch := make([]complex128, Bins), make([]complex128, Bins), make([]complex128, Bins)
	zero := make([]float64, Hop)
	fa := make([]float64, Hop)
	ed := newEchoDelay(f, DefaultParams.Lags)
	for i := 0; i+Hop <= len(x); i += Hop {
		for j := range fa {
			fa[j] = float64(x[i+j])
		}
		ax.push(fa, zero, X, scratch)
		for j := range fa {
			fa[j] = float64(d[i+j])
		}
		ad.push(fa, zero, D, scratch)
		ed.push(X, D, true)
	}
	got, ok := ed.measure()
	if !ok || math.Abs(got-delay) > 0.1 {
		t.Errorf("measured %.2f samples (ok %v), want %.1f", got, ok, delay)
	}
	if _, ok := ed.measure(); ok {
		t.Error("a measurement with nothing added succeeded")
	}
}
