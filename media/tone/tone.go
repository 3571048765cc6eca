// Package tone generates and analyses test audio for Peercall.
//
// Headless calls (bots, soak tests, CI) have no microphone, so they send a
// Generator's sine tone instead; the receiving side and the tests then use
// Level and DominantFrequency to check that the audio survived the trip
// through the codec and the network. Marked adds a latency marker at each
// wall-clock second, which HasMarker finds again at the other end. All
// audio is 16-bit PCM at 48 kHz.
package tone

import (
	"math"
	"time"
)

// SampleRate is the rate, in Hz, at which Generator produces samples.
const SampleRate = 48000

// MinLevel is the floor Level reports, in dBFS, for empty or digitally
// silent input (and anything quieter). Being finite, it is safe to feed into
// statistics and JSON.
const MinLevel = -120.0

// Generator produces a continuous sine tone. Successive Fill calls continue
// the waveform without a phase jump, so a stream assembled from many small
// buffers is identical to one generated in a single call.
//
// A Generator is not safe for concurrent use.
type Generator struct {
	step      float64 // phase advance per sample frame, in cycles
	phase     float64 // current phase, in cycles, within [0, 1)
	peak      float64 // peak sample value
	channels  int
	frequency float64
}

// NewGenerator returns a generator of a freq Hz sine tone at 48 kHz with
// the given amplitude (0..1 of full scale; values outside are clamped),
// writing the same sample to each of channels interleaved channels
// (values below 1 are treated as 1).
func NewGenerator(freq float64, amplitude float64, channels int) *Generator {
	if !(amplitude > 0) { // also catches NaN
		amplitude = 0
	}
	if amplitude > 1 {
		amplitude = 1
	}
	if channels < 1 {
		channels = 1
	}
	step := freq / SampleRate
	if math.IsNaN(step) || math.IsInf(step, 0) {
		step = 0
	}
	return &Generator{
		step:      step - math.Floor(step),
		peak:      amplitude * math.MaxInt16,
		channels:  channels,
		frequency: freq,
	}
}

// Frequency reports the tone's frequency in Hz.
func (g *Generator) Frequency() float64 { return g.frequency }

// Channels reports how many interleaved channels Fill writes.
func (g *Generator) Channels() int { return g.channels }

// Fill overwrites pcm with the next len(pcm)/channels sample frames of the
// tone. If len(pcm) is not a multiple of the channel count the trailing
// partial frame is written too and counts as a whole frame.
func (g *Generator) Fill(pcm []int16) {
	for i := 0; i < len(pcm); i += g.channels {
		v := int16(math.Round(g.peak * math.Sin(2*math.Pi*g.phase)))
		end := min(i+g.channels, len(pcm))
		for j := i; j < end; j++ {
			pcm[j] = v
		}
		g.phase += g.step
		if g.phase >= 1 {
			g.phase--
		}
	}
}

// Level returns the RMS level of pcm in dBFS, where 0 dBFS is the RMS of a
// full-scale square wave; a full-scale sine therefore reads about -3 dBFS.
// Results below MinLevel, including empty or all-zero input, are reported as
// MinLevel. Interleaved channels are simply pooled.
func Level(pcm []int16) float64 {
	if len(pcm) == 0 {
		return MinLevel
	}
	var sum float64
	for _, s := range pcm {
		f := float64(s)
		sum += f * f
	}
	if sum == 0 {
		return MinLevel
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	return max(20*math.Log10(rms/32768), MinLevel)
}

// LongestQuiet is the longest run of samples whose magnitude stays below
// threshold: a gap a listener would hear as a dropout. A sine crosses zero
// twice a period, so runs shorter than a period are not gaps.
func LongestQuiet(pcm []int16, sampleRate int, threshold int16) time.Duration {
	longest, run := 0, 0
	for _, v := range pcm {
		if v > -threshold && v < threshold {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return time.Duration(longest) * time.Second / time.Duration(sampleRate)
}
