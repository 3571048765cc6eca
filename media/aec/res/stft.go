package res

import (
	"math"
	"math/bits"
)

// STFT framing: 20 ms sqrt-Hann windows every 10 ms, zero-padded to a
// power-of-two FFT.
const (
	Rate  = 48000
	Hop   = Rate / 100 // samples per frame, 10 ms
	Win   = 2 * Hop    // analysis window, 20 ms
	NFFT  = 1024       // FFT length; the window is zero-padded to it
	Bins  = NFFT/2 + 1 // bins 0 … Nyquist, 46.875 Hz apart
	BinHz = float64(Rate) / NFFT
)

// fft is an in-place radix-2 complex FFT of a fixed power-of-two length.
type fft struct {
	n   int
	tw  []complex128 // e^{−2πik/n}, k < n/2
	rev []int        // bit reversal permutation
}

func newFFT(n int) *fft {
	f := &fft{n: n, tw: make([]complex128, n/2), rev: make([]int, n)}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.tw[k] = complex(c, s)
	}
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := range f.rev {
		f.rev[i] = int(bits.Reverse64(uint64(i)) >> shift)
	}
	return f
}

// transform computes the forward DFT of x in place, or with inverse the
// inverse DFT without the 1/n scale.
func (f *fft) transform(x []complex128, inverse bool) {
	for i, j := range f.rev {
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= f.n; size <<= 1 {
		half, step := size/2, f.n/size
		for start := 0; start < f.n; start += size {
			for k := range half {
				w := f.tw[k*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				a, b := x[start+k], x[start+k+half]*w
				x[start+k], x[start+k+half] = a+b, a-b
			}
		}
	}
}

// window is the periodic sqrt-Hann window of Win samples: its square
// overlapped at Hop sums to exactly 1, so analysis and synthesis with it
// reconstruct the input perfectly.
var window = func() []float64 {
	w := make([]float64, Win)
	for i := range w {
		w[i] = math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/Win))
	}
	return w
}()

// analyzer turns a stream of Hop-sample frames into spectra of the last
// Win samples, two real signals at a time.
type analyzer struct {
	f    *fft
	a, b []float64 // the last Win samples of each signal
	buf  []complex128
}

func newAnalyzer(f *fft) *analyzer {
	return &analyzer{f: f, a: make([]float64, Win), b: make([]float64, Win), buf: make([]complex128, NFFT)}
}

// push appends a frame of each signal and writes the spectra of the two
// windows to A and B (Bins values each). One complex FFT serves both:
// the signals go in as real and imaginary parts.
func (z *analyzer) push(fa, fb []float64, A, B []complex128) {
	copy(z.a, z.a[Hop:])
	copy(z.a[Hop:], fa)
	copy(z.b, z.b[Hop:])
	copy(z.b[Hop:], fb)
	for i, w := range window {
		z.buf[i] = complex(w*z.a[i], w*z.b[i])
	}
	clear(z.buf[Win:])
	z.f.transform(z.buf, false)
	for k := range Bins {
		p, q := z.buf[k], z.buf[(NFFT-k)%NFFT]
		qc := complex(real(q), -imag(q))
		A[k] = (p + qc) / 2
		d := (p - qc) / 2 // = j·B
		B[k] = complex(imag(d), -real(d))
	}
}

// synthesizer turns spectra back into Hop-sample frames by inverse FFT,
// the synthesis window and overlap-add. Its output lags the analyzer's
// input by Hop samples.
type synthesizer struct {
	f   *fft
	buf []complex128
	ola []float64 // the second half of the previous windowed frame
}

func newSynthesizer(f *fft) *synthesizer {
	return &synthesizer{f: f, buf: make([]complex128, NFFT), ola: make([]float64, Hop)}
}

// push takes the spectrum of one window (Bins values of a real signal)
// and writes the next Hop output samples to out.
func (z *synthesizer) push(S []complex128, out []float64) {
	copy(z.buf, S)
	for k := 1; k < NFFT/2; k++ {
		s := S[k]
		z.buf[NFFT-k] = complex(real(s), -imag(s))
	}
	z.buf[0] = complex(real(S[0]), 0)
	z.buf[NFFT/2] = complex(real(S[NFFT/2]), 0)
	z.f.transform(z.buf, true)
	const scale = 1.0 / NFFT
	for i := range Hop {
		out[i] = z.ola[i] + scale*real(z.buf[i])*window[i]
		z.ola[i] = scale * real(z.buf[Hop+i]) * window[Hop+i]
	}
}
