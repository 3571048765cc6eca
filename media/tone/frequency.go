package tone

import (
	"math"
	"math/bits"
)

// DominantFrequency returns the frequency, in Hz, of the strongest spectral
// component of pcm, which is treated as a single channel sampled at
// sampleRate (de-interleave stereo first). It returns 0 for input that is
// empty, constant or too short, or when sampleRate is not positive.
//
// A Hann-windowed FFT locates the strongest bin, then a Goertzel search
// around that bin refines the estimate; for a clean tone over 100 ms or more
// the result is well within 1 Hz. The DC component is ignored.
func DominantFrequency(pcm []int16, sampleRate int) float64 {
	n := len(pcm)
	if n < 8 || sampleRate <= 0 {
		return 0
	}

	// Remove DC and apply a Hann window.
	var mean float64
	for _, s := range pcm {
		mean += float64(s)
	}
	mean /= float64(n)
	x := make([]float64, n)
	nonzero := false
	for i, s := range pcm {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		x[i] = (float64(s) - mean) * w
		if x[i] != 0 {
			nonzero = true
		}
	}
	if !nonzero {
		return 0
	}

	// Coarse search: the strongest bin of a zero-padded FFT.
	size := 1 << bits.Len(uint(n-1))
	buf := make([]complex128, size)
	for i, v := range x {
		buf[i] = complex(v, 0)
	}
	fft(buf)
	peak, best := 1, -1.0
	for k := 1; k <= size/2; k++ {
		re, im := real(buf[k]), imag(buf[k])
		if p := re*re + im*im; p > best {
			peak, best = k, p
		}
	}

	// Fine search: the true peak lies within one FFT bin of the coarse one,
	// inside the window's main lobe where the spectrum is unimodal, so a
	// golden-section search on the Goertzel power converges to it.
	fs := float64(sampleRate)
	bin := fs / float64(size)
	lo := max(float64(peak-1)*bin, 0)
	hi := min(float64(peak+1)*bin, fs/2)
	const invPhi = 0.6180339887498949
	a, b := lo, hi
	c := b - invPhi*(b-a)
	d := a + invPhi*(b-a)
	pc, pd := goertzel(x, c/fs), goertzel(x, d/fs)
	for b-a > 1e-4 {
		if pc >= pd {
			b, d, pd = d, c, pc
			c = b - invPhi*(b-a)
			pc = goertzel(x, c/fs)
		} else {
			a, c, pc = c, d, pd
			d = a + invPhi*(b-a)
			pd = goertzel(x, d/fs)
		}
	}
	return (a + b) / 2
}

// goertzel returns the power of x at the normalised frequency f (cycles per
// sample), which need not fall on a DFT bin.
func goertzel(x []float64, f float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*f)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+coeff*s1-s2, s1
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// fft is an in-place iterative radix-2 FFT; len(a) must be a power of two.
func fft(a []complex128) {
	n := len(a)
	if n < 2 {
		return
	}
	shift := 64 - uint(bits.Len(uint(n-1)))
	for i := range a {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	tw := make([]complex128, n/2)
	for k := range tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		tw[k] = complex(c, s)
	}
	for size := 2; size <= n; size <<= 1 {
		half, stride := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				t := tw[k*stride] * a[start+k+half]
				u := a[start+k]
				a[start+k] = u + t
				a[start+k+half] = u - t
			}
		}
	}
}
