package room

import (
	"math"
	"math/bits"
	"math/cmplx"
)

// fft transforms x in place (forward, or inverse without the 1/n scaling
// when inverse is set). len(x) must be a power of two.
func fft(x []complex128, inverse bool) {
	n := len(x)
	if n <= 1 {
		return
	}
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := range n {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := range half {
				a, b := x[start+k], x[start+k+half]*w
				x[start+k], x[start+k+half] = a+b, a-b
				w *= step
			}
		}
	}
}

// nextPow2 is the smallest power of two ≥ n.
func nextPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// convolve returns the first len(x) samples of x convolved with h
// (overlap-add with FFT blocks, two real blocks to a complex transform).
func convolve(x, h []float64) []float64 {
	y := make([]float64, len(x))
	if len(h) == 0 || len(x) == 0 {
		return y
	}
	n := nextPow2(max(4*len(h), 1<<14))
	block := n - len(h) + 1
	hf := make([]complex128, n)
	for i, v := range h {
		hf[i] = complex(v, 0)
	}
	fft(hf, false)
	buf := make([]complex128, n)
	add := func(start int, v float64) {
		if start >= 0 && start < len(y) {
			y[start] += v
		}
	}
	// The real part carries the block at start, the imaginary part the
	// next one; h is real, so the two stay apart through the product.
	for start := 0; start < len(x); start += 2 * block {
		clear(buf)
		for i := range block {
			re, im := 0.0, 0.0
			if j := start + i; j < len(x) {
				re = x[j]
			}
			if j := start + block + i; j < len(x) {
				im = x[j]
			}
			buf[i] = complex(re, im)
		}
		fft(buf, false)
		for i := range buf {
			buf[i] *= hf[i]
		}
		fft(buf, true)
		scale := 1 / float64(n)
		for i, v := range buf {
			if start+i >= len(y) {
				break
			}
			add(start+i, real(v)*scale)
			add(start+block+i, imag(v)*scale)
		}
	}
	return y
}

// xcorr returns c[l] = Σ_i a[i+l]·b[i] for l in 0..maxLag, where a must
// hold len(b)+maxLag samples.
func xcorr(a, b []float64, maxLag int) []float64 {
	n := nextPow2(len(a) + len(b))
	z := make([]complex128, n)
	for i, v := range a {
		z[i] = complex(v, 0)
	}
	for i, v := range b {
		z[i] += complex(0, v)
	}
	fft(z, false)
	// With z = a + i·b: A[k] = (Z[k] + conj(Z[−k]))/2 and
	// B[k] = (Z[k] − conj(Z[−k]))/2i; the correlation is A·conj(B).
	p := make([]complex128, n)
	for k := range n {
		zk, zn := z[k], cmplx.Conj(z[(n-k)%n])
		ak := (zk + zn) / 2
		bk := (zk - zn) / complex(0, 2)
		p[k] = ak * cmplx.Conj(bk)
	}
	fft(p, true)
	c := make([]float64, maxLag+1)
	for l := range c {
		c[l] = real(p[l]) / float64(n)
	}
	return c
}

// biquad is a second-order IIR section (direct form I), a0 normalised to 1.
type biquad struct {
	b0, b1, b2, a1, a2 float64
}

// highPass is the RBJ cookbook high-pass section at fc Hz with quality q.
func highPass(fc, q float64) biquad {
	w := 2 * math.Pi * fc / Rate
	alpha := math.Sin(w) / (2 * q)
	c := math.Cos(w)
	a0 := 1 + alpha
	return biquad{
		b0: (1 + c) / 2 / a0,
		b1: -(1 + c) / a0,
		b2: (1 + c) / 2 / a0,
		a1: -2 * c / a0,
		a2: (1 - alpha) / a0,
	}
}

// filter returns x run through the section, starting from rest.
func (f biquad) filter(x []float64) []float64 {
	y := make([]float64, len(x))
	var x1, x2, y1, y2 float64
	for i, v := range x {
		o := f.b0*v + f.b1*x1 + f.b2*x2 - f.a1*y1 - f.a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, o
		y[i] = o
	}
	return y
}

// butterworthHighPass runs x through a 4th-order Butterworth high-pass at
// fc Hz (two sections, Q 0.5412 and 1.3066).
func butterworthHighPass(x []float64, fc float64) []float64 {
	return highPass(fc, 1.3065629648763766).filter(highPass(fc, 0.5411961001461969).filter(x))
}
