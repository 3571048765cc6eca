package res

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSTFTReconstruction: analysis and synthesis with nothing changed in
// between give the input back, one frame late.
func TestSTFTReconstruction(t *testing.T) {
	f := newFFT(NFFT)
	an, sy := newAnalyzer(f), newSynthesizer(f)
	rng := rand.New(rand.NewPCG(1, 2))
	A, B := make([]complex128, Bins), make([]complex128, Bins)
	in, other, out := make([]float64, 50*Hop), make([]float64, Hop), make([]float64, 50*Hop)
	for i := range in {
		in[i] = 10000 * rng.NormFloat64()
	}
	for fr := range 50 {
		for i := range other {
			other[i] = 5000 * rng.NormFloat64() // must not leak into A
		}
		an.push(in[fr*Hop:(fr+1)*Hop], other, A, B)
		sy.push(A, out[fr*Hop:(fr+1)*Hop])
	}
	var worst float64
	for i := Hop; i < len(in); i++ {
		worst = max(worst, math.Abs(out[i]-in[i-Hop]))
	}
	if worst > 1e-6 {
		t.Errorf("reconstruction error up to %g (of 10000 RMS), want ≤ 1e-6", worst)
	}
}

// TestGains: with echo, double talk and silence in turn, every gain stays
// within [floor, 1].
func TestGains(t *testing.T) {
	s := NewSuppressor(DefaultParams)
	floor := math.Pow(10, DefaultParams.FloorDB/20)
	rng := rand.New(rand.NewPCG(3, 4))
	e, y, x := make([]float32, Hop), make([]float32, Hop), make([]float32, Hop)
	out := make([]float64, Hop)
	for fr := range 600 {
		for i := range Hop {
			far := 3000 * rng.NormFloat64() * float64(fr/100%2)
			near := 2000 * rng.NormFloat64() * float64(fr/150%2)
			x[i] = float32(far)
			y[i] = float32(0.5 * far)
			e[i] = float32(0.01*far + near + 3*rng.NormFloat64())
		}
		s.Process(e, y, x, out)
		for k, g := range s.gain {
			if !(g >= floor-1e-12 && g <= 1) {
				t.Fatalf("frame %d, bin %d: gain %g outside [%g, 1]", fr, k, g, floor)
			}
		}
	}
}

// TestNearEndOnly: with nothing played, a loud local talker (a harmonic
// voice-like signal in syllables, over quiet noise) comes out of the whole chain one
// frame late and nearly unchanged: the DC notch undone, little taken off.
func TestNearEndOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const frames = 400
	in := make([]float64, frames*Hop)
	for i := range in {
		tt := float64(i) / Rate
		// Syllables of 200 ms, with 100 ms gaps, each on its own pitch.
		syl := int(tt / 0.3)
		env := math.Max(0, math.Sin(math.Pi*(tt-0.3*float64(syl))/0.2))
		if tt-0.3*float64(syl) > 0.2 {
			env = 0
		}
		f0 := 150 + 15*float64(syl%5)
		var v float64
		for h := 1; h <= 12; h++ {
			v += math.Sin(2*math.Pi*float64(h)*f0*tt) / float64(h)
		}
		in[i] = 3000*env*v + 30*rng.NormFloat64()
	}
	c, err := New(DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mic, silence := make([]int16, frames*Hop), make([]int16, Hop)
	out := make([]int16, frames*Hop)
	for i, v := range in {
		mic[i] = int16(math.Round(v))
	}
	for fr := range frames {
		c.Playback(silence)
		c.Capture(mic[fr*Hop:(fr+1)*Hop], out[fr*Hop:(fr+1)*Hop])
	}
	var sig, diff float64
	for i := 100 * Hop; i < frames*Hop; i++ {
		m := float64(mic[i-Latency])
		d := float64(out[i]) - m
		sig += m * m
		diff += d * d
	}
	if r := 10 * math.Log10(sig/diff); r < 20 {
		t.Errorf("near end alone: output differs from the input by %.1f dB below it, want ≥ 20 dB", r)
	}
}

// BenchmarkFrame is the suppressor's CPU time per 10 ms frame, without the
// linear filter.
func BenchmarkFrame(b *testing.B) {
	s := NewSuppressor(DefaultParams)
	rng := rand.New(rand.NewPCG(7, 8))
	e, y, x := make([]float32, Hop), make([]float32, Hop), make([]float32, Hop)
	for i := range Hop {
		e[i], y[i], x[i] = float32(100*rng.NormFloat64()), float32(1000*rng.NormFloat64()), float32(3000*rng.NormFloat64())
	}
	out := make([]float64, Hop)
	for b.Loop() {
		s.Process(e, y, x, out)
	}
}

// BenchmarkCanceller is the whole chain's CPU time per 10 ms frame: the
// linear filter (300 ms tail) and the suppressor.
func BenchmarkCanceller(b *testing.B) {
	c, err := New(DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(9, 10))
	far, mic, out := make([]int16, Hop), make([]int16, Hop), make([]int16, Hop)
	for b.Loop() {
		for i := range Hop {
			far[i] = int16(3000 * rng.NormFloat64())
			mic[i] = int16(1000*rng.NormFloat64()) + far[i]/4
		}
		c.Playback(far)
		c.Capture(mic, out)
	}
}
