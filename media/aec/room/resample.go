package room

import "math"

// Resampler parameters: the kernel spans resampleZeros input samples on
// each side (more when decimating), its cut-off is resampleCutoff of the
// lower Nyquist frequency, and the Kaiser window's β gives about 80 dB of
// stop-band rejection.
const (
	resampleZeros  = 32
	resampleCutoff = 0.9
	resampleBeta   = 8.0
)

// Resample converts x from one sample rate to another (in Hz) with a
// polyphase windowed-sinc filter: a Kaiser-windowed (β 8) sinc low-pass
// cut off at 90 % of the lower of the two Nyquist frequencies, spanning 32
// input samples on either side of each output sample (scaled up when the
// rate goes down). Output sample j is the filtered input at time j·from/to
// input samples, so the signal keeps its timing; there are
// ceil(len(x)·to/from) of them. Samples beyond x's ends count as zero.
func Resample(x []float64, from, to int) []float64 {
	if from <= 0 || to <= 0 {
		panic("room: sample rates must be positive")
	}
	if from == to {
		return append([]float64(nil), x...)
	}
	g := gcd(from, to)
	up, down := to/g, from/g // output j is input time j·down/up
	// The kernel in input-sample units: cut-off fc cycles per input sample.
	fc := resampleCutoff * 0.5 * float64(min(from, to)) / float64(from)
	half := resampleZeros
	if down > up {
		half = int(math.Ceil(float64(resampleZeros*down) / float64(up)))
	}
	taps := 2 * half
	// table[p*taps+i] weights input sample base-half+1+i for output phase
	// p (the output lies p/up input samples after input sample base).
	table := make([]float64, up*taps)
	norm := besselI0(resampleBeta)
	for p := range up {
		frac := float64(p) / float64(up)
		for i := range taps {
			tau := frac + float64(half-1-i)
			u := tau / float64(half)
			if u <= -1 || u >= 1 {
				continue
			}
			w := besselI0(resampleBeta*math.Sqrt(1-u*u)) / norm
			table[p*taps+i] = 2 * fc * sinc(2*fc*tau) * w
		}
	}
	n := (len(x)*up + down - 1) / down
	y := make([]float64, n)
	for j := range y {
		pos := j * down
		base, p := pos/up, pos%up
		k0 := base - half + 1
		coef := table[p*taps : (p+1)*taps]
		var acc float64
		if k0 >= 0 && k0+taps <= len(x) {
			seg := x[k0 : k0+taps]
			for i, c := range coef {
				acc += c * seg[i]
			}
		} else {
			for i, c := range coef {
				if k := k0 + i; k >= 0 && k < len(x) {
					acc += c * x[k]
				}
			}
		}
		y[j] = acc
	}
	return y
}

func sinc(u float64) float64 {
	if u == 0 {
		return 1
	}
	return math.Sin(math.Pi*u) / (math.Pi * u)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 200; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
