package res

import (
	"math"
	"math/cmplx"
)

// Clock drift. When the speaker and the microphone keep time apart — two
// sound devices on their own clocks, or a sound server resampling between
// them — the echo slides against the played audio by a few samples a
// second. The linear filter cannot follow a path that keeps moving, so the
// canceller takes the drift out before the filter: the played audio goes
// through a delay line whose fractional delay follows the echo, and the
// filter sees a path that holds still.
//
// The echo's delay is measured every driftFrames frames by echoDelay, on
// the played audio and the microphone alone. The first delay measured
// twice in a row is held; the delay line's delay then moves by driftGain
// times the measured delay's error, plus a rate that integrates
// driftRateGain times the error, so a steady drift is followed without a
// standing error and goes on being followed while nothing can be
// measured. A delay that jumps by more than reanchor samples (twice in a
// row) is a new echo path, not drift: it is held from then on.
//
// The played audio cannot come earlier than it is handed over, so an echo
// that comes earlier and earlier (the microphone's clock slower) can only
// be followed while the delay line has delay to give back. When it has
// none left and the drift is at least minAlignRate, the played audio is
// delayed once by all but alignDelay samples of the echo's delay, which
// leaves room for minutes to hours of such drift (the filter sees the path
// move once). Where the echo comes within alignDelay + alignSlack of the
// played audio, as in a simulated room, there is no room to make.

// Delay line parameters: the interpolation kernel spans delayTaps samples
// on each side, tabulated at delayPhases fractions of a sample; the line
// keeps delayRing samples, so the drift it can follow is delayRing less
// the kernel (about 1.3 s: hours of drift).
const (
	delayTaps   = 8
	delayPhases = 256
	delayRing   = 1 << 16
)

// Drift loop parameters (see above).
const (
	driftFrames   = 50   // 0.5 s
	driftGain     = 0.5  // share of a measured delay error corrected at once
	driftRateGain = 0.1  // share of it added to the drift's rate
	reanchor      = 4    // samples
	alignDelay    = 480  // samples, 10 ms
	alignSlack    = 240  // samples
	minAlignRate  = 0.24 // samples per measurement: 10 ppm
)

// delayKernel[p] are the 2·delayTaps weights for a fraction p/delayPhases
// of a sample: a Blackman-windowed sinc, normalised to unit gain at DC.
var delayKernel = func() [][]float64 {
	k := make([][]float64, delayPhases+1)
	for p := range k {
		frac := float64(p) / delayPhases
		k[p] = make([]float64, 2*delayTaps)
		var sum float64
		for i := range k[p] {
			// Tap i weighs input sample base−delayTaps+1+i for an output
			// at base+frac.
			t := float64(i-delayTaps+1) - frac
			w := 0.0
			if u := t / delayTaps; u > -1 && u < 1 {
				a := math.Pi * (u + 1) // 0 … 2π across the window
				w = 0.42 - 0.5*math.Cos(a) + 0.08*math.Cos(2*a)
			}
			v := w
			if t != 0 {
				v *= math.Sin(math.Pi*t) / (math.Pi * t)
			}
			k[p][i] = v
			sum += v
		}
		for i := range k[p] {
			k[p][i] /= sum
		}
	}
	return k
}()

// delayLine delays a stream of samples by delayTaps plus a fractional,
// slowly changing number of samples.
type delayLine struct {
	ring []float64
	n    int // samples written
}

func newDelayLine() *delayLine { return &delayLine{ring: make([]float64, delayRing)} }

// process appends in and writes to out the stream delayed by
// delayTaps + extra samples (extra ≥ 0; clamped to what the ring holds).
func (d *delayLine) process(in []int16, extra float64, out []int16) {
	extra = min(max(0, extra), float64(delayRing-4*delayTaps-len(in)))
	for i, v := range in {
		d.ring[(d.n+i)%delayRing] = float64(v)
	}
	for i := range in {
		// The output for input sample n+i reads the input at
		// n+i − delayTaps − extra.
		pos := float64(d.n+i-delayTaps) - extra
		base := math.Floor(pos)
		p := int(math.Round((pos - base) * delayPhases))
		b := int(base)
		if p == delayPhases {
			p, b = 0, b+1
		}
		var acc float64
		for j, w := range delayKernel[p] {
			if at := b - delayTaps + 1 + j; at >= 0 {
				acc += w * d.ring[at%delayRing]
			}
		}
		out[i] = int16(max(-32768, min(32767, math.Round(acc))))
	}
	d.n += len(in)
}

// echoDelay measures the echo's delay behind the played audio with the
// phase transform (GCC-PHAT) of their cross-spectra, on its own, without
// the filter or the echo power model: while the far end talks, the
// microphone's spectrum of each frame is multiplied by the conjugate
// spectrum of the played audio of each of the last lags frames. At the end
// of a measurement, each lag's cross-spectrum, its phase alone, is
// transformed back; the lag whose transform peaks highest holds the echo,
// and the peak's place, found to a fraction of a sample by a parabola,
// is the delay within it. A local voice does not follow the played audio,
// so it only adds noise to the sums.
type echoDelay struct {
	f     *fft
	hist  [][]complex128 // played spectra, the last lags frames; hist[at] newest
	at    int
	c     [][]complex128 // per lag, Σ D·conj(X lag frames back)
	buf   []complex128
	added int
}

func newEchoDelay(f *fft, lags int) *echoDelay {
	d := &echoDelay{f: f, hist: make([][]complex128, lags), c: make([][]complex128, lags), buf: make([]complex128, NFFT)}
	for i := range d.hist {
		d.hist[i] = make([]complex128, delayHi+1)
		d.c[i] = make([]complex128, delayHi+1)
	}
	return d
}

// push records this frame's played spectrum X and, when measure is true,
// adds the microphone's spectrum D against the played audio of each lag.
func (d *echoDelay) push(X, D []complex128, measure bool) {
	d.at = (d.at + 1) % len(d.hist)
	copy(d.hist[d.at], X[:delayHi+1])
	if !measure {
		return
	}
	for lag, c := range d.c {
		old := d.hist[(d.at-lag+len(d.hist))%len(d.hist)]
		for k := speechLo; k <= delayHi; k++ {
			c[k] += D[k] * cmplx.Conj(old[k])
		}
	}
	d.added++
}

// measure returns the echo's delay in samples and starts a new
// measurement; ok is false when too few frames were added or no peak
// stands out.
func (d *echoDelay) measure() (delay float64, ok bool) {
	defer func() {
		for _, c := range d.c {
			clear(c)
		}
		d.added = 0
	}()
	if d.added < minDelayFrames {
		return 0, false
	}
	bestScore := 0.0
	for lag, c := range d.c {
		clear(d.buf)
		for k := speechLo; k <= delayHi; k++ {
			if a := cmplx.Abs(c[k]); a > 0 {
				d.buf[k] = c[k] / complex(a, 0)
				d.buf[NFFT-k] = cmplx.Conj(d.buf[k])
			}
		}
		d.f.transform(d.buf, true)
		// The delay within the lag's frames, between −Hop and +Hop.
		at := func(n int) float64 { return real(d.buf[(n+NFFT)%NFFT]) }
		best, bn := math.Inf(-1), 0
		var sum float64
		for n := -Hop; n <= Hop; n++ {
			v := at(n)
			sum += math.Abs(v)
			if v > best {
				best, bn = v, n
			}
		}
		if sum == 0 {
			continue // nothing played at this lag
		}
		score := best / (sum / (2*Hop + 1))
		if score < delayPeak || score <= bestScore {
			continue
		}
		y0, y1, y2 := at(bn-1), best, at(bn+1)
		frac := 0.0
		if den := y0 - 2*y1 + y2; den < 0 {
			frac = 0.5 * (y0 - y2) / den
		}
		bestScore, delay, ok = score, float64(lag*Hop+bn)+frac, true
	}
	return delay, ok
}

// Delay measurement parameters: bins speechLo to delayHi (about 8 kHz),
// at least minDelayFrames frames with the far end talking a measurement,
// and a peak delayPeak times the mean magnitude.
const (
	delayHi        = 170
	minDelayFrames = 20
	delayPeak      = 8.0
)
