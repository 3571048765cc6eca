package room

import (
	"math"
	"slices"
)

// Metric parameters (see the package documentation).
const (
	// ERLEWindow is the length of the windows ERLE is averaged over, s.
	ERLEWindow = 1.0
	// ActiveBelowDB: a window counts as the far end talking when the echo's
	// RMS over it is at most this far below its RMS over the whole scene.
	ActiveBelowDB = 10.0
	// Recovery: ERLE over RecoveryWindow-long windows, RecoveryHop apart,
	// must stay at or above RecoveryDB for RecoveryHold seconds.
	RecoveryWindow = 0.25
	RecoveryHop    = 0.01
	RecoveryDB     = 20.0
	RecoveryHold   = 1.0
	// The output is aligned with the local talker within MaxLagBefore
	// before and MaxLag after the canceller's stated latency, s.
	MaxLagBefore = 0.010
	MaxLag       = 0.040
)

// Result is what a canceller achieved in one scene.
type Result struct {
	Room string
	// ERLEMean and ERLEP10 are the mean and the 10th percentile of the
	// per-window ERLE, dB, over Windows far-end-only 1 s windows after
	// WarmUp; ERLEMin is the worst window.
	ERLEMean, ERLEP10, ERLEMin float64
	Windows                    int
	// Ceiling is the mean echo-to-noise ratio at the microphone over the
	// same windows, dB: the ERLE of a perfect canceller that leaves the
	// microphone's noise as it is.
	Ceiling float64
	// Recovery is how long after the path change ERLE is back at
	// RecoveryDB, s; NaN when the room has no path change, +Inf when it
	// is not back before the scene ends. Windows where the local talker
	// is heard do not count, so with double talk a recovery that happens
	// during a spurt shows at the end of the spurt's reverberation.
	Recovery float64
	// SDR is the local talker's signal-to-distortion ratio in the
	// output during double talk, dB, and NearGain the level of the local
	// talker in the output relative to the microphone, dB; both NaN
	// without double talk. Lag is the delay of the output behind the
	// microphone that the alignment found, samples.
	SDR, NearGain float64
	Lag           int
}

// quantFloor is the power of 16-bit rounding noise, full scale 1.0: what a
// digitally silent output is counted as, so ERLE stays finite.
const quantFloor = 1.0 / (32768 * 32768 * 12)

// energies holds running sums of squares, so that any span's energy is one
// subtraction: mic[i] is Σ Mic² over [0, i), and so on; out is the output
// shifted back by the latency.
type energies struct {
	mic, echo, noise, out []float64
	echoFloor             float64 // mean power a far-end-only span must reach
}

func cumulative(n int, at func(int) float64) []float64 {
	c := make([]float64, n+1)
	for i := range n {
		v := at(i)
		c[i+1] = c[i] + v*v
	}
	return c
}

func (s *Scene) energies(o []float64, end, latency int) *energies {
	return &energies{
		mic:       cumulative(end, func(i int) float64 { return float64(s.Mic[i]) / 32768 }),
		echo:      cumulative(end, func(i int) float64 { return s.Echo[i] }),
		noise:     cumulative(end, func(i int) float64 { return s.Noise[i] }),
		out:       cumulative(end, func(i int) float64 { return o[i+latency] }),
		echoFloor: s.echoRMS * s.echoRMS * math.Pow(10, -ActiveBelowDB/10),
	}
}

// erle is the microphone signal's energy over [from, to) against the
// output's over the same span, dB.
func (e *energies) erle(from, to int) float64 {
	m := e.mic[to] - e.mic[from]
	o := e.out[to] - e.out[from]
	return 10 * math.Log10(m/(max(0, o)+float64(to-from)*quantFloor))
}

// farOnly reports whether the far end talks alone over [from, to): the
// echo's mean power is at most ActiveBelowDB below its power over the
// scene and the local talker is silent at the microphone.
func (s *Scene) farOnly(e *energies, from, to int) bool {
	for _, a := range s.nearActive {
		if a.from < to && from < a.to {
			return false
		}
	}
	return (e.echo[to]-e.echo[from])/float64(to-from) >= e.echoFloor
}

// Measure computes the metrics for out, the canceller's output for the
// scene's Mic, which lags its input by latency samples.
func (s *Scene) Measure(out []int16, latency int) Result {
	o := make([]float64, len(out))
	for i, v := range out {
		o[i] = float64(v) / 32768
	}
	end := max(0, min(len(s.Mic), len(o)-latency)) // the last sample with an output
	e := s.energies(o, end, latency)
	res := Result{Room: s.Room.Name, Recovery: math.NaN(), SDR: math.NaN(), NearGain: math.NaN()}

	// ERLE over far-end-only 1 s windows after the warm-up.
	w := int(ERLEWindow * Rate)
	var erles []float64
	var ceiling float64
	for from := int(WarmUp * Rate); from+w <= end; from += w {
		to := from + w
		if !s.farOnly(e, from, to) {
			continue
		}
		erles = append(erles, e.erle(from, to))
		ceiling += 10 * math.Log10((e.echo[to]-e.echo[from])/(e.noise[to]-e.noise[from]))
	}
	res.Windows = len(erles)
	if len(erles) > 0 {
		var sum float64
		for _, v := range erles {
			sum += v
		}
		res.ERLEMean = sum / float64(len(erles))
		res.Ceiling = ceiling / float64(len(erles))
		res.ERLEP10 = percentile(erles, 0.10)
		res.ERLEMin = slices.Min(erles)
	} else {
		res.ERLEMean, res.ERLEP10, res.ERLEMin, res.Ceiling = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	}

	if s.Room.PathChange > 0 {
		res.Recovery = s.recovery(e, end)
	}
	if len(s.spurts) > 0 {
		res.SDR, res.NearGain, res.Lag = s.sdr(o, latency)
	}
	return res
}

// recovery finds the first RecoveryWindow-long window starting at or after
// the path change, on a RecoveryHop grid, from which every far-end-only
// window starting in the next RecoveryHold seconds has ERLE ≥ RecoveryDB
// (and there is at least one), and returns its start relative to the
// change, s.
func (s *Scene) recovery(e *energies, end int) float64 {
	change := int(s.Room.PathChange * Rate)
	w, hop, hold := int(RecoveryWindow*Rate), int(RecoveryHop*Rate), int(RecoveryHold*Rate)
	type win struct {
		start   int
		counted bool
		good    bool
	}
	var wins []win
	for from := change; from+w <= end; from += hop {
		c := s.farOnly(e, from, from+w)
		wins = append(wins, win{from, c, c && e.erle(from, from+w) >= RecoveryDB})
	}
	// nextBad[i] and nextCounted[i] are the starts of the first counted
	// window from i on that falls short and of the first counted one, or
	// MaxInt.
	nextBad := make([]int, len(wins)+1)
	nextCounted := make([]int, len(wins)+1)
	nextBad[len(wins)], nextCounted[len(wins)] = math.MaxInt, math.MaxInt
	for i := len(wins) - 1; i >= 0; i-- {
		nextBad[i], nextCounted[i] = nextBad[i+1], nextCounted[i+1]
		if wins[i].counted {
			nextCounted[i] = wins[i].start
			if !wins[i].good {
				nextBad[i] = wins[i].start
			}
		}
	}
	for i, wi := range wins {
		if wi.start+hold+w > end {
			break // not enough scene left to see it hold
		}
		if nextBad[i] > wi.start+hold && nextCounted[i] <= wi.start+hold {
			return float64(wi.start-change) / Rate
		}
	}
	return math.Inf(1)
}

// sdr measures the local talker in the output over the double-talk spurts
// (those whose output is complete): one lag L, from latency−MaxLagBefore to
// latency+MaxLag (and at least 0), for the whole scene and a least-squares
// gain g_p per spurt p fit out[n+L] ≈ g_p·Near[n]; the lag is the one that
// explains the most output energy. It returns 10·log10(Σ_p g_p²·‖Near_p‖²
// / Σ_p ‖out_p − g_p·Near_p‖²), 10·log10(Σ_p g_p²·‖Near_p‖² / Σ_p
// ‖Near_p‖²) and L.
func (s *Scene) sdr(o []float64, latency int) (sdr, gain float64, lag int) {
	lo := max(0, latency-int(MaxLagBefore*Rate))
	hi := latency + int(MaxLag*Rate)
	type spurt struct {
		from, to int
		c        []float64 // c[l-lo] = Σ o[n+l]·Near[n]
		nn       float64   // Σ Near²
	}
	var sp []spurt
	for _, p := range s.spurts {
		if p.to+hi > len(o) {
			continue
		}
		var nn float64
		for _, v := range s.Near[p.from:p.to] {
			nn += v * v
		}
		c := xcorr(o[p.from+lo:p.to+hi], s.Near[p.from:p.to], hi-lo)
		sp = append(sp, spurt{p.from, p.to, c, nn})
	}
	if len(sp) == 0 {
		return math.NaN(), math.NaN(), 0
	}
	best := math.Inf(-1)
	for l := lo; l <= hi; l++ {
		var explained float64
		for _, p := range sp {
			explained += p.c[l-lo] * p.c[l-lo] / p.nn
		}
		if explained > best {
			best, lag = explained, l
		}
	}
	var sig, dist, ref float64
	var count int
	for _, p := range sp {
		count += p.to - p.from
		g := p.c[lag-lo] / p.nn
		var oo float64
		for _, v := range o[p.from+lag : p.to+lag] {
			oo += v * v
		}
		// ‖o − g·n‖² = ‖o‖² − 2g⟨o,n⟩ + g²‖n‖² = ‖o‖² − g²‖n‖² at the
		// least-squares g.
		sig += g * g * p.nn
		dist += max(0, oo-g*g*p.nn)
		ref += p.nn
	}
	return 10 * math.Log10(sig/(dist+float64(count)*quantFloor)), 10 * math.Log10(sig/ref), lag
}

// percentile returns the p-quantile of x (0 ≤ p ≤ 1), interpolating
// linearly between the closest ranks: the value at rank p·(len(x)−1) of
// x sorted ascending.
func percentile(x []float64, p float64) float64 {
	y := slices.Clone(x)
	slices.Sort(y)
	r := p * float64(len(y)-1)
	i := int(math.Floor(r))
	if i+1 >= len(y) {
		return y[len(y)-1]
	}
	return y[i] + (r-float64(i))*(y[i+1]-y[i])
}
