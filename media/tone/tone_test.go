package tone

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGeneratorDominantFrequency(t *testing.T) {
	g := NewGenerator(440, 0.5, 1)
	pcm := make([]int16, SampleRate) // 1 s
	g.Fill(pcm)
	if f := DominantFrequency(pcm, SampleRate); math.Abs(f-440) > 0.5 {
		t.Fatalf("dominant frequency = %.3f Hz, want 440", f)
	}
}

func TestDominantFrequencyAccuracy(t *testing.T) {
	for _, freq := range []float64{50, 100, 300, 440, 997.3, 1000, 2500, 8000, 15000, 23000} {
		for _, ms := range []int{100, 250, 1000} {
			g := NewGenerator(freq, 0.3, 1)
			pcm := make([]int16, SampleRate*ms/1000)
			g.Fill(pcm)
			got := DominantFrequency(pcm, SampleRate)
			if math.Abs(got-freq) > 1 {
				t.Errorf("%v Hz over %d ms: got %.3f Hz", freq, ms, got)
			}
		}
	}
}

func TestDominantFrequencyWithNoiseAndDC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := NewGenerator(1234, 0.2, 1)
	pcm := make([]int16, SampleRate/5)
	g.Fill(pcm)
	for i := range pcm {
		// A DC offset larger than the tone plus white noise 20 dB below it.
		pcm[i] += int16(8000 + rng.NormFloat64()*650)
	}
	if got := DominantFrequency(pcm, SampleRate); math.Abs(got-1234) > 2 {
		t.Fatalf("got %.3f Hz, want 1234", got)
	}
}

func TestDominantFrequencyOtherRate(t *testing.T) {
	// 8 kHz data: generate at 48 kHz and decimate by 6.
	g := NewGenerator(700, 0.5, 1)
	full := make([]int16, SampleRate/2)
	g.Fill(full)
	dec := make([]int16, 0, len(full)/6)
	for i := 0; i < len(full); i += 6 {
		dec = append(dec, full[i])
	}
	if got := DominantFrequency(dec, 8000); math.Abs(got-700) > 1 {
		t.Fatalf("got %.3f Hz, want 700", got)
	}
}

func TestDominantFrequencyDegenerate(t *testing.T) {
	cases := map[string]struct {
		pcm  []int16
		rate int
	}{
		"nil":      {nil, SampleRate},
		"short":    {[]int16{1, 2, 3}, SampleRate},
		"silence":  {make([]int16, 4800), SampleRate},
		"constant": {[]int16{7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, SampleRate},
		"bad rate": {[]int16{1, -1, 1, -1, 1, -1, 1, -1, 1, -1}, 0},
	}
	for name, c := range cases {
		if got := DominantFrequency(c.pcm, c.rate); got != 0 {
			t.Errorf("%s: got %v, want 0", name, got)
		}
	}
}

func TestLevel(t *testing.T) {
	cases := []struct {
		amp  float64
		want float64
	}{
		{1, -3.0103},
		{0.5, -9.0309},
		{0.1, -23.0103},
	}
	for _, c := range cases {
		g := NewGenerator(440, c.amp, 1)
		pcm := make([]int16, SampleRate)
		g.Fill(pcm)
		if got := Level(pcm); math.Abs(got-c.want) > 0.01 {
			t.Errorf("amplitude %v: level %.4f dBFS, want %.4f", c.amp, got, c.want)
		}
	}
	square := []int16{-32768, -32768, -32768, -32768}
	if got := Level(square); math.Abs(got) > 1e-9 {
		t.Errorf("full-scale square: %v dBFS, want 0", got)
	}
	if got := Level(nil); got != MinLevel {
		t.Errorf("empty: %v, want %v", got, MinLevel)
	}
	if got := Level(make([]int16, 960)); got != MinLevel {
		t.Errorf("silence: %v, want %v", got, MinLevel)
	}
}

func TestFillIsPhaseContinuous(t *testing.T) {
	for _, channels := range []int{1, 2} {
		whole := make([]int16, 48000*channels)
		NewGenerator(440, 0.8, channels).Fill(whole)

		g := NewGenerator(440, 0.8, channels)
		pieces := make([]int16, len(whole))
		rng := rand.New(rand.NewPCG(3, 4))
		for off := 0; off < len(pieces); {
			n := min(channels*(1+rng.IntN(700)), len(pieces)-off)
			g.Fill(pieces[off : off+n])
			off += n
		}
		for i := range whole {
			if whole[i] != pieces[i] {
				t.Fatalf("channels=%d: sample %d differs: %d vs %d", channels, i, whole[i], pieces[i])
			}
		}
	}
}

func TestFillStereoInterleaved(t *testing.T) {
	g := NewGenerator(440, 0.5, 2)
	pcm := make([]int16, 2*4800)
	g.Fill(pcm)
	left := make([]int16, 4800)
	for i := range left {
		if pcm[2*i] != pcm[2*i+1] {
			t.Fatalf("frame %d: left %d != right %d", i, pcm[2*i], pcm[2*i+1])
		}
		left[i] = pcm[2*i]
	}
	if f := DominantFrequency(left, SampleRate); math.Abs(f-440) > 1 {
		t.Fatalf("left channel dominant frequency %.3f, want 440", f)
	}
}

func TestGeneratorClamps(t *testing.T) {
	pcm := make([]int16, 4800)
	NewGenerator(440, 5, 0).Fill(pcm)
	peak := 0
	for _, s := range pcm {
		peak = max(peak, int(s), -int(s))
	}
	if peak != math.MaxInt16 {
		t.Fatalf("amplitude 5 should clamp to full scale, peak %d", peak)
	}
	NewGenerator(440, math.NaN(), 1).Fill(pcm)
	if Level(pcm) != MinLevel {
		t.Fatal("NaN amplitude should give silence")
	}
	NewGenerator(math.Inf(1), 0.5, 1).Fill(pcm) // must not panic or loop
}

func TestFillDoesNotAllocate(t *testing.T) {
	g := NewGenerator(440, 0.5, 2)
	pcm := make([]int16, 1920)
	if n := testing.AllocsPerRun(100, func() { g.Fill(pcm) }); n != 0 {
		t.Fatalf("Fill allocates %v times per call", n)
	}
}

func BenchmarkFill20ms(b *testing.B) {
	g := NewGenerator(440, 0.5, 1)
	pcm := make([]int16, 960)
	b.ReportAllocs()
	for b.Loop() {
		g.Fill(pcm)
	}
}

func BenchmarkDominantFrequency100ms(b *testing.B) {
	g := NewGenerator(440, 0.5, 1)
	pcm := make([]int16, 4800)
	g.Fill(pcm)
	b.ReportAllocs()
	for b.Loop() {
		DominantFrequency(pcm, SampleRate)
	}
}
