package tone

import (
	"testing"
	"time"
)

// frames fills d of audio from start in 10 ms frames, as a speaker plays
// it, and returns each frame's start time and whether it holds the marker.
func frames(fill func(pcm []int16, at time.Time), start time.Time, d time.Duration) (at []time.Time, marked []bool) {
	const frame = 10 * time.Millisecond
	pcm := make([]int16, SampleRate/100)
	for t := start; t.Before(start.Add(d)); t = t.Add(frame) {
		fill(pcm, t)
		at = append(at, t)
		marked = append(marked, HasMarker(pcm))
	}
	return at, marked
}

// The marker is written during the first 40 ms of each second and found
// there, and nowhere else.
func TestMarkerIsFoundWhereWritten(t *testing.T) {
	m := NewMarked()
	start := time.Unix(1_000_000, 800_000_000) // 200 ms before a whole second
	at, marked := frames(m.Fill, start, time.Second)
	found := 0
	for i, t0 := range at {
		into := time.Duration(t0.UnixNano() % int64(time.Second))
		inMarker := into+10*time.Millisecond <= MarkerLen
		if marked[i] != inMarker {
			t.Errorf("frame %v past the second: marker found %v, want %v", into, marked[i], inMarker)
		}
		if marked[i] {
			found++
		}
	}
	if found != 4 {
		t.Errorf("marker found in %d frames, want the 4 frames of the one second crossed", found)
	}
}

// The plain tone, with no marker written, never reads as one.
func TestPlainToneHasNoMarker(t *testing.T) {
	g := NewGenerator(MarkedToneFreq, markerAmplitude, 1)
	_, marked := frames(func(pcm []int16, _ time.Time) { g.Fill(pcm) }, time.Unix(1_000_000, 0), 2*time.Second)
	for i, m := range marked {
		if m {
			t.Fatalf("a marker found in frame %d of the plain tone", i)
		}
	}
	if HasMarker(make([]int16, SampleRate/100)) {
		t.Error("a marker found in silence")
	}
}

// A marker heard part way into a second took that long; one heard late in
// the second is not trusted.
func TestMarkerLatency(t *testing.T) {
	for _, tc := range []struct {
		past time.Duration
		want time.Duration
		ok   bool
	}{
		{0, 0, true},
		{120 * time.Millisecond, 120 * time.Millisecond, true},
		{899 * time.Millisecond, 899 * time.Millisecond, true},
		{950 * time.Millisecond, 0, false},
	} {
		got, ok := MarkerLatency(time.Unix(1_000_000, 0).Add(tc.past))
		if got != tc.want || ok != tc.ok {
			t.Errorf("heard %v past the second: %v %v, want %v %v", tc.past, got, ok, tc.want, tc.ok)
		}
	}
}
