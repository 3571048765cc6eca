package playout

import (
	"math"
	"slices"
	"testing"

	"peercall/media/tone"
)

// sineFIFO returns a FIFO holding played samples of the tone before its
// read position and pending ones after it, and the whole tone.
func sineFIFO(played, pending int) (fifo, []int16) {
	f := newFIFO()
	src := make([]int16, played+pending)
	tone.NewGenerator(440, toneAmp, 1).Fill(src)
	copy(f.reserve(len(src)), src)
	f.w += len(src)
	f.r = played
	return f, src
}

// offPeriod returns how far l is from a whole number of the tone's periods,
// in samples.
func offPeriod(l int) float64 {
	period := sampleRate / 440.0
	x := math.Mod(float64(l), period)
	return min(x, period-x)
}

func TestDropSplicesAtAPeriod(t *testing.T) {
	f, src := sineFIFO(3000, 3000)
	l := f.bestSplice(minSplice, maxSplice, true)
	if off := offPeriod(l); off > 0.6 {
		t.Errorf("dropped %d samples, %.2f off a whole number of periods", l, off)
	}
	before := f.pending()
	f.drop(l)
	if got := before - f.pending(); got != l {
		t.Fatalf("pending fell by %d, want %d", got, l)
	}
	heard := append(slices.Clone(src[:3000]), f.buf[f.r:f.w]...)
	if s, lim := maxStep(heard), naturalStep()+20; s > lim {
		t.Errorf("step of %d across the drop, natural %d", s, naturalStep())
	}
	if !slices.Equal(f.buf[f.r-historyKeep:f.r], src[3000-historyKeep:3000]) {
		t.Error("history before the read position is not what was played")
	}
}

func TestInsertSplicesAtAPeriod(t *testing.T) {
	f, src := sineFIFO(3000, 1000)
	l := f.bestSplice(minSplice, maxSplice, false)
	if off := offPeriod(l); off > 0.6 {
		t.Errorf("inserted %d samples, %.2f off a whole number of periods", l, off)
	}
	before := f.pending()
	f.insert(l)
	if got := f.pending() - before; got != l {
		t.Fatalf("pending grew by %d, want %d", got, l)
	}
	heard := append(slices.Clone(src[:3000]), f.buf[f.r:f.w]...)
	if s, lim := maxStep(heard), naturalStep()+20; s > lim {
		t.Errorf("step of %d across the insert, natural %d", s, naturalStep())
	}
	if h := f.history(); h < maxSplice || !slices.Equal(f.buf[f.hist:f.r], src[3000-h:3000]) {
		t.Errorf("history (%d samples) before the read position is not what was played", h)
	}
	// A second insert right away repeats audio that was really heard.
	f.insert(f.bestSplice(minSplice, maxSplice, false))
	if s := maxStep(f.buf[f.r-1 : f.w]); s > naturalStep()+20 {
		t.Errorf("step of %d across a second insert", s)
	}
}

// TestCrossfadeBound: the worst case, fading between a tone and its
// inverse, stays within the bound the click limit relies on.
func TestCrossfadeBound(t *testing.T) {
	a := make([]int16, xfade)
	tone.NewGenerator(440, toneAmp, 1).Fill(a)
	b := make([]int16, xfade)
	for i := range a {
		b[i] = -a[i]
	}
	out := make([]int16, xfade)
	crossfade(out, a, b)
	bound := naturalStep() + int(math.Ceil(math.Pi*toneAmp*math.MaxInt16/xfade))
	if s := maxStep(out); s > bound || s > clickLimit() {
		t.Errorf("step of %d in the worst cross-fade, bound %d", s, bound)
	}
	if out[0] != a[0] || abs(int(out[xfade-1])-int(b[xfade-1])) > 2 {
		t.Errorf("cross-fade does not run from one signal to the other")
	}
}

func TestSpliceInSilencePicksLongest(t *testing.T) {
	f := newFIFO()
	clear(f.reserve(4000))
	f.w, f.r = 4000, 2000
	if l := f.bestSplice(minSplice, 500, true); l != 500 {
		t.Errorf("drop in silence: %d, want 500", l)
	}
	if l := f.bestSplice(minSplice, 500, false); l != 500 {
		t.Errorf("insert in silence: %d, want 500", l)
	}
}

func TestReserveKeepsHistory(t *testing.T) {
	f := newFIFO()
	n := 0
	for range 100 { // far more than the buffer holds
		out := f.reserve(960)
		for i := range out {
			out[i] = int16(n + i)
		}
		f.w += 960
		n += 960
		f.r = f.w - 300
	}
	if f.history() < historyKeep {
		t.Fatalf("history %d after compaction, want %d", f.history(), historyKeep)
	}
	for i := f.hist; i < f.w; i++ {
		if want := int16(n - (f.w - i)); f.buf[i] != want {
			t.Fatalf("sample %d = %d, want %d", i, f.buf[i], want)
		}
	}
}
