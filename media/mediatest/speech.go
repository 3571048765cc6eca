package mediatest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
)

// Rate is the sample rate of the sound made here: 48 kHz, as a call's.
const Rate = 48000

// Speech is a speech-like signal, mono at 48 kHz: syllables of a voiced
// source (a glottal pulse train whose pitch wanders between 95 and
// 210 Hz, shaped by three formants that move from syllable to syllable)
// with the odd fricative, 90–260 ms each, rising and falling, with short
// gaps between them and longer pauses between phrases — the level
// swinging the way a talker's does, unlike a tone or steady noise. The
// loudest sample is at peakDBFS (0 is full scale). The same seed gives the
// same sound.
func Speech(seconds, peakDBFS float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 0x5eec4))
	n := int(seconds * Rate)
	x := make([]float64, n)
	pos := 0
	phrase := 0
	phase := 0.0
	for pos < n {
		// One syllable.
		length := int((0.09 + 0.17*rng.Float64()) * Rate)
		f0 := 95 + 115*rng.Float64()
		glide := (rng.Float64() - 0.5) * 40
		vowel := vowels[rng.IntN(len(vowels))]
		fricative := rng.IntN(4) == 0
		var res [3]resonator
		for k := range res {
			res[k] = newResonator(vowel[k], 60+40*float64(k))
		}
		hp := newResonator(4500, 2500)
		for i := 0; i < length && pos+i < n; i++ {
			t := float64(i) / float64(length)
			env := math.Sin(math.Pi * t) // rise and fall
			env *= env
			f := f0 + glide*t
			phase += f / Rate
			var src float64
			if phase >= 1 {
				phase -= 1
				src = 1 // a glottal pulse
			}
			src -= 0.002 // no DC build-up in the resonators
			var v float64
			for k := range res {
				v += res[k].step(src) / float64(k+1)
			}
			if fricative && t < 0.35 {
				v = 0.3*v + 0.08*hp.step(rng.NormFloat64())
			}
			x[pos+i] = env * v
		}
		pos += length
		// A gap between syllables; after three to six, a pause.
		phrase++
		gap := 0.03 + 0.09*rng.Float64()
		if phrase >= 3+rng.IntN(4) {
			phrase = 0
			gap = 0.3 + 0.3*rng.Float64()
		}
		pos += int(gap * Rate)
	}
	return scaleToPeak(x, peakDBFS)
}

// vowels are the first three formants (Hz) of a few vowels.
var vowels = [][3]float64{
	{730, 1090, 2440}, // a
	{270, 2290, 3010}, // i
	{300, 870, 2240},  // u
	{530, 1840, 2480}, // e
	{570, 840, 2410},  // o
}

// resonator is a two-pole band-pass filter.
type resonator struct{ a1, a2, g, y1, y2 float64 }

func newResonator(freq, bandwidth float64) resonator {
	r := math.Exp(-math.Pi * bandwidth / Rate)
	return resonator{a1: 2 * r * math.Cos(2*math.Pi*freq/Rate), a2: -r * r, g: 1 - r}
}

func (r *resonator) step(x float64) float64 {
	y := r.g*x + r.a1*r.y1 + r.a2*r.y2
	r.y2, r.y1 = r.y1, y
	return y
}

// Noise is steady white noise at rmsDBFS (RMS relative to full scale),
// mono at 48 kHz.
func Noise(seconds, rmsDBFS float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 0x40153))
	amp := 32768 * math.Pow(10, rmsDBFS/20)
	out := make([]int16, int(seconds*Rate))
	for i := range out {
		out[i] = int16(max(min(math.Round(amp*rng.NormFloat64()), 32767), -32768))
	}
	return out
}

func scaleToPeak(x []float64, peakDBFS float64) []int16 {
	peak := 0.0
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	out := make([]int16, len(x))
	if peak == 0 {
		return out
	}
	k := 32767 * math.Pow(10, peakDBFS/20) / peak
	for i, v := range x {
		out[i] = int16(math.Round(v * k))
	}
	return out
}

// WriteWAV writes pcm as a 16-bit mono WAV file at 48 kHz.
func WriteWAV(path string, pcm []int16) error {
	data := make([]byte, 44+2*len(pcm))
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*len(pcm)))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], Rate)
	binary.LittleEndian.PutUint32(data[28:], 2*Rate)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*len(pcm)))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(v))
	}
	return os.WriteFile(path, data, 0o644)
}
