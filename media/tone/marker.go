package tone

import (
	"math"
	"time"
)

// The latency marker: a call's test tone turns from MarkedToneFreq to
// MarkerFreq for the first MarkerLen of every wall-clock second, so a
// receiver on the same clock (both ends of a call on one machine, or on
// machines kept in time) can tell how long the sound took from "mouth" to
// "ear" by when it hears the marker begin. It is to the tone what the
// picture's time stamp (package pattern) is to the test picture.
const (
	// MarkedToneFreq is the tone between markers, in Hz.
	MarkedToneFreq = 440
	// MarkerFreq is the marker's tone, in Hz: an octave up, far enough
	// from the tone for a 10 ms frame to tell them apart.
	MarkerFreq = 880
	// MarkerLen is how long each marker lasts.
	MarkerLen = 40 * time.Millisecond
)

// markerAmplitude is the level of both tones, loud enough to survive the
// codec and quiet enough never to clip.
const markerAmplitude = 0.3

// Marked generates the tone with its latency markers, mono at SampleRate.
// Both tones run on without a phase jump, so a stream built frame by frame
// is continuous. It is not safe for concurrent use.
type Marked struct {
	tone, marker *Generator
	scratch      []int16
}

// NewMarked returns a generator of the marked tone.
func NewMarked() *Marked {
	return &Marked{
		tone:   NewGenerator(MarkedToneFreq, markerAmplitude, 1),
		marker: NewGenerator(MarkerFreq, markerAmplitude, 1),
	}
}

// Fill overwrites pcm with the next len(pcm) samples, the first of which is
// taken to be captured at start: each sample whose time falls in the first
// MarkerLen of a second carries the marker, the others the tone.
func (m *Marked) Fill(pcm []int16, start time.Time) {
	if cap(m.scratch) < len(pcm) {
		m.scratch = make([]int16, len(pcm))
	}
	marker := m.scratch[:len(pcm)]
	m.tone.Fill(pcm)
	m.marker.Fill(marker)
	sample := time.Second / SampleRate
	into := time.Duration(start.UnixNano() % int64(time.Second))
	for i := range pcm {
		if (into+time.Duration(i)*sample)%time.Second < MarkerLen {
			pcm[i] = marker[i]
		}
	}
}

// HasMarker tells whether a short frame (10 ms is what a speaker plays at
// a time) is mostly the marker: its power at MarkerFreq well above its
// power at MarkedToneFreq, and not just noise.
func HasMarker(pcm []int16) bool {
	m, t := powerAt(pcm, MarkerFreq), powerAt(pcm, MarkedToneFreq)
	return m > 4*t && m > 1e-4
}

// MarkerLatency is how long a marker heard starting at heard took to
// arrive: markers leave at the whole second, so it is heard's part past
// the last one. A delay of 900 ms or more cannot be told from a marker
// heard early or a clock out of step, and reports false.
func MarkerLatency(heard time.Time) (time.Duration, bool) {
	into := time.Duration(heard.UnixNano() % int64(time.Second))
	if into < 0 || into >= 900*time.Millisecond {
		return 0, false
	}
	return into, true
}

// powerAt is the power of pcm (full scale 1) at freq Hz, by Goertzel's
// algorithm, scaled by the frame's length so frames of one length compare.
func powerAt(pcm []int16, freq float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2 float64
	for _, v := range pcm {
		s1, s2 = float64(v)/32768+coeff*s1-s2, s1
	}
	return (s1*s1 + s2*s2 - coeff*s1*s2) / float64(len(pcm)*len(pcm))
}
