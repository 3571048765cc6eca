package room

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// The audio format the rooms run at: the app's, 10 ms mono frames at
// 48 kHz.
const (
	Rate         = 48000
	FrameSamples = Rate / 100
)

// Levels and timing shared by every room.
const (
	// FarLevelDBFS is the far end's active speech level (see activeRMS)
	// as played: loud, as a call turned up on a laptop is.
	FarLevelDBFS = -20
	// WarmUp is the time at the start of a scene that the metrics skip.
	WarmUp = 3.0
	// Double talk: the local talker speaks for TalkSpurt seconds of every
	// TalkPeriod, from WarmUp on (40 % of the time).
	TalkSpurt  = 2.0
	TalkPeriod = 5.0
)

// Room describes one acoustic scene: a far-end talker coming out of a
// laptop's speaker into a room, and what the laptop's microphone hears.
type Room struct {
	Name    string
	Seconds float64 // scene length; whole seconds
	// RT60 is the reverberation time of the room's impulse responses, s.
	RT60 float64
	// HighPassHz is the corner of the laptop speaker's 4th-order
	// Butterworth high-pass.
	HighPassHz float64
	// THD is the speaker's total harmonic distortion (0.05 is 5 %) for a
	// sine whose peak is the far-end speech's peak at the speaker; 0 is a
	// linear speaker.
	THD float64
	// EchoDB is the echo's level at the microphone relative to the far-end
	// signal played, over the whole scene (−6).
	EchoDB float64
	// CaptureDelay is how late the capture side runs, s: the echo arrives
	// that much later after its Playback call.
	CaptureDelay float64
	// DriftPPM is how much faster the microphone's clock runs than the
	// speaker's, in parts per million (whole numbers): the echo arrives
	// later and later, DriftPPM µs more every second, as it does between
	// two sound devices (or a sound server's resampling loopback) that
	// keep time apart.
	DriftPPM int
	// PathChange is when the echo path switches to another impulse
	// response ("the laptop moved"), s; 0 is never.
	PathChange float64
	// DoubleTalk adds the local talker, TalkSpurt of every TalkPeriod
	// seconds from WarmUp on.
	DoubleTalk bool
	// NoiseDBFS is the RMS level of the white noise the microphone adds.
	NoiseDBFS float64
	// Seed makes the impulse responses and the noise; the same seed and
	// voices give the same scene.
	Seed uint64
}

// Base is the room every standard room starts from: RT60 300 ms, a laptop
// speaker rolling off below 250 Hz, echo at −6 dB of the far end, −60 dBFS
// microphone noise.
func Base(name string, seconds float64) Room {
	return Room{
		Name: name, Seconds: seconds, RT60: 0.3, HighPassHz: 250,
		EchoDB: -6, NoiseDBFS: -60, Seed: 1,
	}
}

// Rooms returns the standard rooms, each seconds long (at least 8 s; a
// multiple of TalkPeriod plus WarmUp gives double talk exactly 40 % of the
// measured time). Each adds one difficulty to Base — reverb (Base itself),
// speaker distortion (5 % THD), laptop moved (a path change), capture
// 40 ms late, double talk, the microphone's clock 40 ppm fast (two sound
// devices that keep time apart) — and the last, all at once, has the five
// difficulties the targets were set for (not the drift). The
// path changes at the last of 6, 11, 16, … s in the scene's first half:
// 1 s after a double-talk spurt ends, so the far end is alone.
func Rooms(seconds float64) []Room {
	change := WarmUp + TalkPeriod - 2 // 1 s after the first spurt's end
	for change+TalkPeriod <= seconds/2 {
		change += TalkPeriod
	}
	reverb := Base("reverb", seconds)
	distortion := Base("speaker distortion", seconds)
	distortion.THD = 0.05
	moved := Base("laptop moved", seconds)
	moved.PathChange = change
	late := Base("capture 40 ms late", seconds)
	late.CaptureDelay = 0.040
	dt := Base("double talk", seconds)
	dt.DoubleTalk = true
	drift := Base("clocks 40 ppm apart", seconds)
	drift.DriftPPM = 40
	all := Base("all at once", seconds)
	all.THD, all.PathChange, all.CaptureDelay, all.DoubleTalk = 0.05, change, 0.040, true
	return []Room{reverb, distortion, moved, late, dt, drift, all}
}

// interval is a range of samples [from, to).
type interval struct{ from, to int }

// Scene is a room rendered with two voices: what the canceller is fed and
// the parts the microphone signal is made of, for the metrics.
type Scene struct {
	Room Room
	// Far is the far-end signal played, frame by frame, through Playback.
	Far []int16
	// Mic is what the microphone captures: Echo + Near + noise, rounded.
	Mic []int16
	// Echo is the far end's echo at the microphone, full scale 1.0.
	Echo []float64
	// Near is the local talker at the microphone (zero without double
	// talk), full scale 1.0.
	Near []float64
	// Noise is the microphone's noise, full scale 1.0.
	Noise []float64
	// Distortion is how far the speaker's nonlinear part lies below its
	// linear part on this far-end speech, dB (−Inf for a linear speaker):
	// the energy of the output minus its least-squares linear fit to the
	// input, over that fit's energy.
	Distortion float64

	spurts     []interval // the local talker's dry speech
	nearActive []interval // where Near may be non-zero: a spurt plus its reverberation
	echoRMS    float64    // over the whole scene
}

// Render builds the scene for r with the voices v.
func Render(r Room, v *Voices) (*Scene, error) {
	if r.Seconds < 8 || r.Seconds != math.Trunc(r.Seconds) {
		return nil, fmt.Errorf("room %q: scene of %v s, want whole seconds ≥ 8", r.Name, r.Seconds)
	}
	if v == nil || len(v.Far) == 0 || (r.DoubleTalk && len(v.Near) == 0) {
		return nil, errors.New("room: no voices")
	}
	if r.PathChange != 0 && (r.PathChange < WarmUp || r.PathChange >= r.Seconds-1) {
		return nil, fmt.Errorf("room %q: path change at %v s is outside %v–%v s", r.Name, r.PathChange, WarmUp, r.Seconds-1)
	}
	n := int(r.Seconds) * Rate
	s := &Scene{Room: r}

	// The far end, looped to the scene's length, at FarLevelDBFS.
	far := make([]float64, n)
	for i := range far {
		far[i] = v.Far[i%len(v.Far)]
	}
	setLevel(far, activeRMS(far), math.Pow(10, FarLevelDBFS/20.0))
	s.Far = quantize(far)
	for i, x := range s.Far {
		far[i] = float64(x) / 32768
	}

	// The speaker: high-pass, then the soft clipper tanh(k·x)/k, with k
	// set for THD at the speech's peak.
	spk := butterworthHighPass(far, r.HighPassHz)
	s.Distortion = math.Inf(-1)
	if r.THD > 0 {
		drive := softClipDrive(r.THD) / peak(spk)
		var xy, xx float64
		lin := spk
		spk = make([]float64, n)
		for i, x := range lin {
			spk[i] = math.Tanh(drive*x) / drive
			xy += x * spk[i]
			xx += x * x
		}
		g := xy / xx
		var d, l float64
		for i, x := range lin {
			e := spk[i] - g*x
			d += e * e
			l += g * g * x * x
		}
		s.Distortion = 10 * math.Log10(d/l)
	}

	// The microphone's clock: the speaker's sound as sampled DriftPPM
	// faster, so that sample i is the speaker's at i·(1 − DriftPPM·10⁻⁶).
	if r.DriftPPM != 0 {
		spk = append(Resample(spk, 1_000_000, 1_000_000+r.DriftPPM), make([]float64, n)...)[:n]
	}

	// The echo paths, each scaled to EchoDB below the far end.
	rng := rand.New(rand.NewPCG(r.Seed, 0x5eed))
	farRMS := rms(far)
	want := farRMS * math.Pow(10, r.EchoDB/20)
	path := func() []float64 {
		h := impulseResponse(rng, r.RT60, 0.0005+0.001*rng.Float64(), r.CaptureDelay, 1)
		e := convolve(spk, h)
		setLevel(e, rms(e), want)
		return e
	}
	s.Echo = path()
	if r.PathChange > 0 {
		moved := path()
		at := int(r.PathChange * Rate)
		copy(s.Echo[at:], moved[at:])
	}
	s.echoRMS = rms(s.Echo)

	// The local talker: spurts cut from its speech in order, faded in and
	// out over 10 ms, through its own path to the microphone, at the
	// echo's level (signal-to-echo ratio 0 dB).
	s.Near = make([]float64, n)
	if r.DoubleTalk {
		dry := make([]float64, n)
		pos := 0
		for t := WarmUp; t+TalkSpurt <= r.Seconds; t += TalkPeriod {
			sp := interval{int(t * Rate), int((t + TalkSpurt) * Rate)}
			s.spurts = append(s.spurts, sp)
			fade := Rate / 100
			for i := sp.from; i < sp.to; i++ {
				g := 1.0
				if k := min(i-sp.from, sp.to-1-i); k < fade {
					g = 0.5 - 0.5*math.Cos(math.Pi*float64(k)/float64(fade))
				}
				dry[i] = g * v.Near[pos%len(v.Near)]
				pos++
			}
		}
		h := impulseResponse(rng, r.RT60, 0.0015, 0, 0.5)
		s.Near = convolve(dry, h)
		var e float64
		var cnt int
		for _, sp := range s.spurts {
			for _, x := range s.Near[sp.from:sp.to] {
				e += x * x
			}
			cnt += sp.to - sp.from
			s.nearActive = append(s.nearActive, interval{sp.from, min(n, sp.to+len(h))})
		}
		setLevel(s.Near, math.Sqrt(e/float64(cnt)), s.echoRMS)
	}

	// The microphone.
	s.Noise = make([]float64, n)
	nrng := rand.New(rand.NewPCG(r.Seed, 0x0015e))
	na := math.Pow(10, r.NoiseDBFS/20)
	mic := make([]float64, n)
	for i := range mic {
		s.Noise[i] = na * nrng.NormFloat64()
		mic[i] = s.Echo[i] + s.Near[i] + s.Noise[i]
	}
	s.Mic = quantize(mic)
	return s, nil
}

// impulseResponse makes a room's response from a loudspeaker (or talker)
// to the microphone, as a list of taps at Rate: delay s of silence (the
// device delay), a direct path of amplitude 1 after direct s, eight early
// reflections 1–25 ms after it with random signs and amplitudes 0.2–0.6
// decaying at the room's rate, and, from 2 ms after the direct path, a
// diffuse tail of Gaussian noise whose amplitude falls 60 dB in rt60 s and
// whose energy is tailEnergy times the direct path's. The response is
// 1.2·rt60 long after the direct path.
func impulseResponse(rng *rand.Rand, rt60, direct, delay, tailEnergy float64) []float64 {
	d0 := int(math.Round((delay + direct) * Rate))
	length := int(1.2 * rt60 * Rate)
	h := make([]float64, d0+length)
	decay := func(t float64) float64 { return math.Pow(10, -3*t/rt60) } // amplitude after t s
	h[d0] = 1
	for range 8 {
		t := 0.001 + 0.024*rng.Float64()
		a := (0.2 + 0.4*rng.Float64()) * decay(t)
		if rng.IntN(2) == 0 {
			a = -a
		}
		h[d0+int(t*Rate)] += a
	}
	tail := make([]float64, length)
	var e float64
	for i := int(0.002 * Rate); i < length; i++ {
		tail[i] = rng.NormFloat64() * decay(float64(i)/Rate)
		e += tail[i] * tail[i]
	}
	g := math.Sqrt(tailEnergy / e)
	for i, x := range tail {
		h[d0+i] += g * x
	}
	return h
}

// softClipDrive returns the z for which the soft clipper tanh(z·sin)
// turns a full sine into a wave with total harmonic distortion thd (the
// RMS of harmonics 2 and up over the fundamental's), by bisection.
func softClipDrive(thd float64) float64 {
	lo, hi := 0.0, 20.0
	for range 60 {
		mid := (lo + hi) / 2
		if sineTHD(func(x float64) float64 { return math.Tanh(mid * x) }) < thd {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// sineTHD is the total harmonic distortion of f applied to one period of
// a unit sine, from a 1024-point DFT (harmonics up to the 511th).
func sineTHD(f func(float64) float64) float64 {
	const n = 1024
	x := make([]complex128, n)
	for i := range x {
		x[i] = complex(f(math.Sin(2*math.Pi*float64(i)/n)), 0)
	}
	fft(x, false)
	fund := real(x[1])*real(x[1]) + imag(x[1])*imag(x[1])
	var harm float64
	for k := 2; k < n/2; k++ {
		harm += real(x[k])*real(x[k]) + imag(x[k])*imag(x[k])
	}
	if fund == 0 {
		return math.Inf(1)
	}
	return math.Sqrt(harm / fund)
}

// activeRMS is the RMS over the 10 ms frames whose own RMS is within
// 40 dB of the loudest frame's: a speech level that ignores pauses.
func activeRMS(x []float64) float64 {
	frames := len(x) / FrameSamples
	if frames == 0 {
		return rms(x)
	}
	ms := make([]float64, frames)
	var top float64
	for f := range ms {
		for _, v := range x[f*FrameSamples : (f+1)*FrameSamples] {
			ms[f] += v * v
		}
		ms[f] /= FrameSamples
		top = max(top, ms[f])
	}
	var e float64
	var cnt int
	for _, m := range ms {
		if m >= top*1e-4 {
			e += m
			cnt++
		}
	}
	if cnt == 0 {
		return 0
	}
	return math.Sqrt(e / float64(cnt))
}

func peak(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func rms(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var e float64
	for _, v := range x {
		e += v * v
	}
	return math.Sqrt(e / float64(len(x)))
}

// setLevel scales x from level have to level want.
func setLevel(x []float64, have, want float64) {
	if have == 0 {
		return
	}
	for i := range x {
		x[i] *= want / have
	}
}

// quantize converts full-scale-1.0 samples to 16 bits, rounding and
// saturating.
func quantize(x []float64) []int16 {
	y := make([]int16, len(x))
	for i, v := range x {
		y[i] = int16(max(-32768, min(32767, math.Round(v*32768))))
	}
	return y
}
