package res

import (
	"math"
	"math/rand/v2"
	"peercall/media/aec"
)

// Params are the suppressor's tuning; DefaultParams are what Peercall uses.
type Params struct {
	// Lags is how many 10 ms frames of played audio the echo power model
	// spans: the echo path's delay plus its reverberation.
	Lags int
	// ModelStep is the power model's normalised learning step.
	ModelStep float64
	// NearDB: a band of the speech range is above the echo when the
	// microphone's power there is this far above the predicted echo plus
	// noise.
	NearDB float64
	// NearBands is the share of the speech range's bands above the echo,
	// smoothed over time with NearSmooth per frame, from which the local
	// talker counts as speaking.
	NearBands, NearSmooth float64
	// NearHold is how many frames the local talker still counts as
	// speaking after the last detection.
	NearHold int
	// Rollback is how many frames of leakage learning the local talker's
	// detection takes back: the learning done while it was speaking but
	// not yet detected.
	Rollback int
	// LeakStep is how fast the filter's leakage (residual over echo)
	// follows while only the far end talks, per frame.
	LeakStep float64
	// EchoOver and NoiseOver are the overestimation factors of residual
	// echo and noise in the suppression gain.
	EchoOver, NoiseOver float64
	// EchoOverNear replaces EchoOver while the local talker speaks.
	EchoOverNear float64
	// LeakOver raises EchoOver, while the far end talks alone, in bins
	// where the filter leaked much of the echo Rollback frames ago:
	// EchoOver × (1 + LeakOver × min(1, that leakage)). A filter that has
	// lost the echo path (the laptop moved, or double talk pulled it off)
	// leaves the whole echo to the suppressor, whose power model predicts
	// only its mean: the overestimate has to cover the echo's fluctuation
	// around it. The leakage from Rollback frames ago is used because the
	// current one rises with a local talker's first syllable, before
	// double talk is detected.
	LeakOver float64
	// NoiseDB is how far stationary noise is pulled down; comfort noise
	// fills in at that level wherever echo is suppressed further.
	NoiseDB float64
	// FloorDB is the lowest gain; FloorNearDB replaces it while the local
	// talker speaks.
	FloorDB, FloorNearDB float64
	// GlobalLeak uses one leakage for all bins.
	GlobalLeak bool
}

// DefaultParams is Peercall's tuning.
var DefaultParams = Params{
	Lags:         44,
	ModelStep:    0.05,
	NearDB:       3,
	NearBands:    0.4,
	NearSmooth:   0.9,
	NearHold:     40,
	Rollback:     20,
	LeakStep:     0.15,
	EchoOver:     4,
	EchoOverNear: 0.5,
	LeakOver:     40,
	NoiseOver:    2,
	NoiseDB:      20,
	FloorDB:      -60,
	FloorNearDB:  -12,
}

// farActive is the RMS of a played frame (full scale 32768) above which
// the far end counts as talking for the delay measurement: −60 dBFS.
const farActive = 32.768

// The double-talk decision: bands of bandBins bins over the speech range,
// bins speechLo to speechHi (280 Hz to 4.7 kHz).
const (
	bandBins = 8
	speechLo = 6
	speechHi = 102
)

// Suppressor removes the echo a linear echo canceller leaves behind, and
// stationary noise, from its output. It works on 10 ms frames at 48 kHz in
// an STFT of 20 ms sqrt-Hann windows; its output lags its input by Hop
// samples. It is not safe for concurrent use.
type Suppressor struct {
	p  Params
	f  *fft
	an *analyzer // error and echo estimate
	ax *analyzer // played audio (second signal unused)
	sy *synthesizer

	E, Y, X, S, scratch []complex128
	fa, fb, zero, out   []float64

	// Per bin.
	px       [][]float64 // played power, the last Lags frames, newest first
	pxNorm   []float64   // Σ over lags of px²
	h        [][]float64 // echo power model: mic echo power per played power, per lag
	echoPow  []float64   // predicted echo power at the microphone
	pe, pd   []float64   // smoothed error and microphone power
	noise    []float64   // noise floor of the error
	noiseMin []float64
	leak     []float64 // residual echo over echo, learnt while the far end talks alone
	gain     []float64
	unnotch  []complex128 // 1 / the filter's DC notch, 0 at DC
	leakAll  float64
	// The local talker: the smoothed share of speech bands above the echo,
	// the frames of hold left, and leakage snapshots of the last Rollback
	// frames without the local talker, oldest at past[pastAt].
	nearShare float64
	hold      int
	talk      bool
	past      [][]float64
	pastAt    int
	frames    int
	rng       *rand.Rand
	// The echo's delay behind the played audio, for the drift delay
	// line (see drift.go), and the microphone's spectrum it measures on.
	del *echoDelay
	D   []complex128
}

// NewSuppressor makes a Suppressor with params p.
func NewSuppressor(p Params) *Suppressor {
	f := newFFT(NFFT)
	s := &Suppressor{p: p, f: f, an: newAnalyzer(f), ax: newAnalyzer(f), sy: newSynthesizer(f),
		rng: rand.New(rand.NewPCG(0x5eed, 0xc0ffee))}
	cplx := func() []complex128 { return make([]complex128, Bins) }
	s.E, s.Y, s.X, s.S, s.scratch, s.D = cplx(), cplx(), cplx(), cplx(), cplx(), cplx()
	s.del = newEchoDelay(f, p.Lags)
	s.fa, s.fb, s.zero, s.out = make([]float64, Hop), make([]float64, Hop), make([]float64, Hop), make([]float64, Hop)
	s.px = make([][]float64, Bins)
	s.h = make([][]float64, Bins)
	for k := range Bins {
		s.px[k] = make([]float64, p.Lags)
		s.h[k] = make([]float64, p.Lags)
	}
	vec := func(v float64) []float64 {
		x := make([]float64, Bins)
		for i := range x {
			x[i] = v
		}
		return x
	}
	s.pxNorm, s.echoPow, s.pe, s.pd = vec(0), vec(0), vec(0), vec(0)
	s.noise, s.noiseMin, s.leak, s.gain = vec(0), vec(0), vec(1), vec(1)
	s.leakAll = 1
	s.past = make([][]float64, max(0, p.Rollback))
	for i := range s.past {
		s.past[i] = vec(1)
	}
	s.unnotch = make([]complex128, Bins)
	for k := 1; k < Bins; k++ {
		s.unnotch[k] = 1 / aec.NotchResponse(Rate, float64(k)*BinHz)
	}
	return s
}

// Process takes one frame of the linear canceller's output e, its echo
// estimate y and the played frame x it used (Hop samples each, full scale
// 32768) and writes Hop samples of suppressed output to out, one frame
// late.
func (s *Suppressor) Process(e, y, x []float32, out []float64) {
	for i := range Hop {
		s.fa[i], s.fb[i] = float64(e[i]), float64(y[i])
	}
	s.an.push(s.fa, s.fb, s.E, s.Y)
	var xx float64
	for i := range Hop {
		s.fa[i] = float64(x[i])
		xx += s.fa[i] * s.fa[i]
	}
	farRMS := math.Sqrt(xx / Hop)
	s.ax.push(s.fa, s.zero, s.X, s.scratch)
	// Back from the filter's notched signal to the microphone's.
	for k := range Bins {
		s.E[k] *= s.unnotch[k]
		s.Y[k] *= s.unnotch[k]
	}
	s.frames++
	p := s.p

	const eps = 1e-3
	// Noise floor: the minimum of the smoothed error power, allowed to
	// rise 3 dB a second, times the bias of a minimum.
	const rise = 1.0069
	for k := range Bins {
		pe := sq(s.E[k])
		pd := sq(s.E[k] + s.Y[k])
		py := sq(s.Y[k])
		px := sq(s.X[k])
		s.pe[k] = 0.6*s.pe[k] + 0.4*pe
		s.pd[k] = 0.6*s.pd[k] + 0.4*pd
		if s.frames == 1 {
			s.noiseMin[k] = s.pe[k]
		}
		s.noiseMin[k] = min(s.pe[k], s.noiseMin[k]*rise+eps)
		s.noise[k] = 2 * s.noiseMin[k]

		// Echo power model: the played power over the last Lags frames,
		// weighted per lag, learnt on the linear filter's echo estimate
		// (which the local talker does not reach).
		hist, h := s.px[k], s.h[k]
		old := hist[len(hist)-1]
		copy(hist[1:], hist)
		hist[0] = px
		s.pxNorm[k] += px*px - old*old
		var pred float64
		for l, v := range hist {
			pred += h[l] * v
		}
		if norm := s.pxNorm[k]; norm > 1e-6 {
			g := p.ModelStep * (py - pred) / (norm + 1)
			for l, v := range hist {
				h[l] = max(0, h[l]+g*v)
			}
		}
		s.echoPow[k] = pred
	}

	// Double talk, for the whole spectrum: the local talker speaks when,
	// over a few frames, a large share of the speech range's bands hold
	// more than the played audio explains. A local voice has its own
	// spectrum, so it lifts many bands at once; the echo power model's
	// errors lift a few here and there, and a path change none (the model
	// predicts power from the played audio, whatever the path).
	nearTh := math.Pow(10, p.NearDB/10)
	var above, bands int
	for b := speechLo; b < speechHi; b += bandBins {
		var mic, expect float64
		for k := b; k < b+bandBins; k++ {
			mic += s.pd[k]
			expect += s.echoPow[k] + s.noise[k]
		}
		bands++
		if mic > nearTh*expect {
			above++
		}
	}
	s.nearShare = p.NearSmooth*s.nearShare + (1-p.NearSmooth)*float64(above)/float64(bands)
	if s.nearShare > p.NearBands {
		s.hold = p.NearHold
	} else if s.hold > 0 {
		s.hold--
	}
	wasTalk := s.talk
	s.talk = s.hold > 0
	// The echo's delay, measured while the far end talks.
	for k := speechLo; k <= delayHi; k++ {
		s.D[k] = s.E[k] + s.Y[k]
	}
	s.del.push(s.X, s.D, farRMS > farActive)
	if len(s.past) > 0 {
		if s.talk && !wasTalk {
			// The detection lags the talker's first syllable, which the
			// leakage has partly learnt as echo: take that back.
			copy(s.leak, s.past[s.pastAt])
		}
		if !s.talk {
			copy(s.past[s.pastAt], s.leak)
			s.pastAt = (s.pastAt + 1) % len(s.past)
		}
	}

	// Leakage: while the far end is alone, per band with echo enough to
	// learn from, it follows the error power over the predicted echo; it
	// holds while the local talker speaks.
	var num, den float64
	for b := 0; b < Bins && !s.talk; b += bandBins {
		end := min(Bins, b+bandBins)
		var expect, echo float64
		for k := b; k < end; k++ {
			expect += s.echoPow[k] + s.noise[k]
			echo += s.echoPow[k]
		}
		if echo < 2*(expect-echo) {
			continue // too little echo to learn from
		}
		for k := b; k < end; k++ {
			r := min(4, max(0, s.pe[k]-s.noise[k])/(s.echoPow[k]+eps))
			s.leak[k] += p.LeakStep * (r - s.leak[k])
			num += max(0, s.pe[k]-s.noise[k])
			den += s.echoPow[k]
		}
	}
	if den > 0 {
		s.leakAll += p.LeakStep * (min(4, num/den) - s.leakAll)
	}
	if p.GlobalLeak {
		for k := range s.leak {
			s.leak[k] = s.leakAll
		}
	}

	// Gains: residual echo and noise taken off the error's power, at least
	// the floor; comfort noise fills in to the noise level less NoiseDB.
	floor, over := math.Pow(10, p.FloorDB/20), p.EchoOver
	if s.talk {
		// Keep the local voice whole: only part of the estimated
		// residual echo is taken off, down to a shallow floor, and what
		// the linear filter left of the echo stays well under the voice.
		floor, over = math.Pow(10, p.FloorNearDB/20), p.EchoOverNear
	}
	cn := math.Pow(10, -p.NoiseDB/10)
	lost := s.leak // the leakage before a local talker could raise it
	if len(s.past) > 0 {
		lost = s.past[s.pastAt]
	}
	for k := range Bins {
		o := over
		if !s.talk {
			o *= 1 + p.LeakOver*min(1, lost[k])
		}
		r := o*s.leak[k]*s.echoPow[k] + p.NoiseOver*s.noise[k]
		g := 1 - r/(s.pe[k]+eps)
		s.gain[k] = min(1, max(floor, g))
	}
	// Smooth over frequency.
	prev := s.gain[0]
	for k := 1; k < Bins-1; k++ {
		cur := s.gain[k]
		s.gain[k] = 0.25*prev + 0.5*cur + 0.25*s.gain[k+1]
		prev = cur
	}
	cnScale := float64(NFFT) / Hop
	for k := range Bins {
		g := s.gain[k]
		if k == 0 {
			g = 0 // DC
		}
		s.S[k] = s.E[k] * complex(g, 0)
		if v := (cn - g*g) * s.noise[k] / 2; v > 0 && k > 0 && k < Bins-1 {
			a := math.Sqrt(v * cnScale)
			s.S[k] += complex(a*s.rng.NormFloat64(), a*s.rng.NormFloat64())
		}
	}
	s.sy.push(s.S, out)
}

// EchoDelay returns the echo's delay behind the played audio, in samples,
// measured over the frames since the last call where the far end talked;
// ok is false when it could not be measured.
func (s *Suppressor) EchoDelay() (delay float64, ok bool) { return s.del.measure() }

func sq(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }
