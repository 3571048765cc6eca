package room

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

func TestResample(t *testing.T) {
	for _, tc := range []struct {
		from, to int
		freq     float64
	}{
		{22050, 48000, 1000},
		{22050, 48000, 8000},
		{48000, 22050, 3000},
		{16000, 48000, 440},
	} {
		n := tc.from // one second
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(2 * math.Pi * tc.freq * float64(i) / float64(tc.from))
		}
		y := Resample(x, tc.from, tc.to)
		if want := tc.to; len(y) != want {
			t.Fatalf("%d→%d Hz: %d samples from one second, want %d", tc.from, tc.to, len(y), want)
		}
		// Away from the ends (where the input stops abruptly) the output
		// is the same sine sampled at the new rate, in phase.
		var e, s float64
		for j := len(y) / 4; j < 3*len(y)/4; j++ {
			want := math.Sin(2 * math.Pi * tc.freq * float64(j) / float64(tc.to))
			e += (y[j] - want) * (y[j] - want)
			s += want * want
		}
		if db := 10 * math.Log10(e/s); db > -60 {
			t.Errorf("%d→%d Hz, %v Hz sine: error %.1f dB relative to the signal, want ≤ −60 dB", tc.from, tc.to, tc.freq, db)
		}
	}

	// A tone above the new Nyquist frequency is removed, not folded back.
	x := make([]float64, 48000)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 15000 * float64(i) / 48000)
	}
	y := Resample(x, 48000, 22050)
	if db := 20 * math.Log10(rms(y[len(y)/4:3*len(y)/4])/rms(x)); db > -70 {
		t.Errorf("15 kHz resampled to 22050 Hz: %.1f dB left, want ≤ −70 dB", db)
	}
}

func TestSoftClipTHD(t *testing.T) {
	for _, thd := range []float64{0.01, 0.05, 0.2} {
		z := softClipDrive(thd)
		got := sineTHD(func(x float64) float64 { return math.Tanh(z * x) })
		if math.Abs(got-thd) > 1e-6 {
			t.Errorf("soft clipper for %.0f %% THD: %.6f", 100*thd, got)
		}
	}
	if got := sineTHD(func(x float64) float64 { return x }); got > 1e-12 {
		t.Errorf("THD of a linear path: %g", got)
	}
}

// TestImpulseResponse checks the reverberation time by Schroeder's
// backward integration: the energy decay from −5 to −35 dB, doubled.
func TestImpulseResponse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := impulseResponse(rng, 0.3, 0.001, 0.040, 1)
	d0 := int(0.041 * Rate)
	for i := range d0 {
		if h[i] != 0 {
			t.Fatalf("tap %d before the direct path is %g", i, h[i])
		}
	}
	if h[d0] < 0.5 {
		t.Errorf("direct path %g", h[d0])
	}
	edc := make([]float64, len(h)+1)
	for i := len(h) - 1; i >= 0; i-- {
		edc[i] = edc[i+1] + h[i]*h[i]
	}
	at := func(db float64) float64 {
		for i := d0; i < len(h); i++ {
			if 10*math.Log10(edc[i]/edc[d0]) <= db {
				return float64(i) / Rate
			}
		}
		return math.NaN()
	}
	rt60 := 2 * (at(-35) - at(-5))
	t.Logf("RT60 by T30: %.3f s", rt60)
	if math.Abs(rt60-0.3) > 0.03 {
		t.Errorf("RT60 %.3f s, want 0.3 s ± 10 %%", rt60)
	}
}

func TestParseWAV(t *testing.T) {
	wav := func(dataSize uint32, samples ...int16) []byte {
		b := []byte("RIFF\x00\x00\x00\x00WAVE")
		b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // odd-sized chunk, padded
		b = append(b, "fmt \x10\x00\x00\x00"...)
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 22050)
		b = binary.LittleEndian.AppendUint32(b, 44100)
		b = binary.LittleEndian.AppendUint16(b, 2)
		b = binary.LittleEndian.AppendUint16(b, 16)
		b = append(b, "data"...)
		b = binary.LittleEndian.AppendUint32(b, dataSize)
		for _, s := range samples {
			b = binary.LittleEndian.AppendUint16(b, uint16(s))
		}
		return b
	}
	for _, size := range []uint32{6, 0xffffffff} {
		pcm, rate, err := parseWAV(wav(size, 1, -2, 3))
		if err != nil || rate != 22050 || len(pcm) != 3 || pcm[1] != -2 {
			t.Errorf("data size %#x: %v %d %v", size, pcm, rate, err)
		}
	}
	if _, _, err := parseWAV([]byte("RIFF\x00\x00\x00\x00WAVEdata")); err == nil {
		t.Error("a WAV without fmt parsed")
	}
}

// testVoices are speech-like stand-ins that need no espeak-ng: low-passed
// noise in syllables with pauses.
func testVoices() *Voices {
	make := func(seed uint64, seconds float64) []float64 {
		rng := rand.New(rand.NewPCG(seed, 3))
		x := make([]float64, int(seconds*Rate))
		var lp float64
		for pos := 0; pos < len(x); {
			syl := int((0.1 + 0.2*rng.Float64()) * Rate)
			for i := 0; i < syl && pos+i < len(x); i++ {
				lp += 0.2 * (rng.NormFloat64() - lp)
				x[pos+i] = 0.3 * math.Sin(math.Pi*float64(i)/float64(syl)) * lp
			}
			pos += syl + int(0.1*rng.Float64()*Rate)
		}
		return x
	}
	return &Voices{Far: make(1, 10), Near: make(2, 7)}
}

// oracle cancels perfectly: it subtracts the scene's own echo, rounded.
type oracle struct {
	s   *Scene
	pos int
}

func (o *oracle) Playback([]int16) {}
func (o *oracle) Capture(mic, out []int16) {
	for i, v := range mic {
		e := int16(math.Round(o.s.Echo[o.pos+i] * 32768))
		out[i] = v - e
	}
	o.pos += len(mic)
}

type passThrough struct{}

func (passThrough) Playback([]int16)         {}
func (passThrough) Capture(mic, out []int16) { copy(out, mic) }

// TestMetrics checks the metrics' two ends: no cancellation at all, and a
// perfect one, in the room with everything.
func TestMetrics(t *testing.T) {
	rooms := Rooms(13)
	all := rooms[len(rooms)-1]
	s, err := Render(all, testVoices())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Far) != 13*Rate || len(s.Mic) != len(s.Far) {
		t.Fatalf("scene of %d and %d samples", len(s.Far), len(s.Mic))
	}
	if len(s.spurts) != 2 || s.Room.PathChange != 6 {
		t.Errorf("double-talk spurts %v and a path change at %v s, want 2 and 6 s in 13 s", s.spurts, s.Room.PathChange)
	}
	t.Logf("speaker distortion %.1f dB", s.Distortion)

	none := s.Measure(s.Run(passThrough{}), 0)
	t.Logf("pass-through: %+v", none)
	if none.Windows < 4 || math.Abs(none.ERLEMean) > 0.01 || !math.IsInf(none.Recovery, 1) ||
		math.Abs(none.NearGain) > 0.5 || none.SDR > 3 || none.Lag != 0 {
		t.Errorf("pass-through: %+v; want ERLE 0 dB, not back after the change, local voice at 0 dB and SDR near 0 dB", none)
	}

	perfect := s.Measure(s.Run(&oracle{s: s}), 0)
	t.Logf("perfect: %+v", perfect)
	if math.Abs(perfect.ERLEMean-perfect.Ceiling) > 0.5 || perfect.Recovery != 0 ||
		perfect.SDR < 30 || math.Abs(perfect.NearGain) > 0.1 || perfect.Lag != 0 {
		t.Errorf("perfect canceller: %+v; want ERLE at the ceiling, recovery 0 s, SDR ≥ 30 dB, local voice at 0 dB", perfect)
	}

	// A canceller that lags by a frame is measured the same when it says
	// so.
	late := delayed{c: &oracle{s: s}, buf: make([]int16, FrameSamples)}
	got := s.Measure(s.Run(&late), FrameSamples)
	if math.Abs(got.ERLEMean-perfect.ERLEMean) > 0.1 || got.Lag != FrameSamples || math.Abs(got.SDR-perfect.SDR) > 0.5 {
		t.Errorf("perfect canceller one frame late: %+v, want %+v with lag %d", got, perfect, FrameSamples)
	}
}

// delayed delays c's output by one frame.
type delayed struct {
	c   Canceller
	buf []int16
}

func (d *delayed) Playback(far []int16) { d.c.Playback(far) }
func (d *delayed) Capture(mic, out []int16) {
	tmp := make([]int16, len(mic))
	d.c.Capture(mic, tmp)
	copy(out, d.buf)
	copy(d.buf, tmp)
}

// TestRenderRepeats checks that a room renders the same way every time and
// at the levels it states.
func TestRenderRepeats(t *testing.T) {
	v := testVoices()
	r := Rooms(8)[4] // double talk
	a, err := Render(r, v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Render(r, v)
	for i := range a.Mic {
		if a.Mic[i] != b.Mic[i] {
			t.Fatalf("sample %d differs between two renders: %d, %d", i, a.Mic[i], b.Mic[i])
		}
	}
	far := make([]float64, len(a.Far))
	for i, x := range a.Far {
		far[i] = float64(x) / 32768
	}
	if got := 20 * math.Log10(activeRMS(far)); math.Abs(got-FarLevelDBFS) > 0.1 {
		t.Errorf("far end at %.2f dBFS, want %v", got, FarLevelDBFS)
	}
	if got := 20 * math.Log10(rms(a.Echo)/rms(far)); math.Abs(got-r.EchoDB) > 0.01 {
		t.Errorf("echo at %.2f dB of the far end, want %v", got, r.EchoDB)
	}
	if got := 20 * math.Log10(rms(a.Noise)); math.Abs(got-r.NoiseDBFS) > 0.1 {
		t.Errorf("noise at %.2f dBFS, want %v", got, r.NoiseDBFS)
	}
	for _, bad := range []Room{{Name: "short", Seconds: 5}, {Name: "late change", Seconds: 10, PathChange: 9.5}} {
		if _, err := Render(bad, v); err == nil {
			t.Errorf("room %q rendered", bad.Name)
		}
	}
}

func TestConvolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 70000)
	h := make([]float64, 5000)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range h {
		h[i] = rng.NormFloat64()
	}
	y := convolve(x, h)
	for _, i := range []int{0, 1, 4999, 5000, 16383, 16384, 40000, 69999} {
		var want float64
		for k := 0; k <= i && k < len(h); k++ {
			want += h[k] * x[i-k]
		}
		if math.Abs(y[i]-want) > 1e-9 {
			t.Errorf("y[%d] = %g, want %g", i, y[i], want)
		}
	}
	c := xcorr(x[:3010], x[5:3005], 10)
	for l, v := range c {
		var want float64
		for i := range 3000 {
			want += x[i+l] * x[5+i]
		}
		if math.Abs(v-want) > 1e-8 {
			t.Errorf("xcorr[%d] = %g, want %g", l, v, want)
		}
	}
}

// TestDrift checks that a room whose clocks drift apart delays the echo
// by DriftPPM µs more every second, and leaves its level alone.
func TestDrift(t *testing.T) {
	v := testVoices()
	base := Base("reverb", 10)
	drift := base
	drift.DriftPPM = 100 // more than the standard room, so the lag shows within 10 s
	a, err := Render(base, v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(drift, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []float64{2, 5, 9} {
		from, to := int(at*Rate), int((at+0.2)*Rate)
		best, lag := math.Inf(-1), 0
		for l := range 60 {
			var c float64
			for i := from; i < to; i++ {
				c += a.Echo[i] * b.Echo[i+l]
			}
			if c > best {
				best, lag = c, l
			}
		}
		want := at * 100e-6 * Rate // samples
		if math.Abs(float64(lag)-want) > 1.5 {
			t.Errorf("at %v s the drifting echo lags by %d samples, want %.1f", at, lag, want)
		}
	}
	if d := 20 * math.Log10(rms(b.Echo)/rms(a.Echo)); math.Abs(d) > 0.01 {
		t.Errorf("drift changed the echo's level by %.3f dB", d)
	}
}
