package room_test

import (
	"flag"
	"math"
	"strings"
	"testing"

	"peercall/media/aec"
	"peercall/media/aec/room"
)

var roomTable = flag.String("room-table", "", "BenchmarkSpeexDSPRooms writes its Markdown table to this file")

// speexSubjects are media/aec with its preprocessor (noise suppression
// and automatic gain on, as the app ran it before media/aec/res), and the
// same with automatic gain off. The preprocessor runs in both, so the
// output lags by one frame. The app's canceller (media.NewEchoCanceller)
// is media/aec/res, measured in that package's own room tests.
func speexSubjects() []room.Subject {
	cfg := aec.Config{SampleRate: room.Rate, FrameSamples: room.FrameSamples, TailMs: 300, NoiseSuppression: true, AutoGain: true}
	noAGC := cfg
	noAGC.AutoGain = false
	return []room.Subject{
		{Name: "preprocessor", Latency: cfg.FrameSamples, New: func() (room.Canceller, error) { return aec.New(cfg) }},
		{Name: "AGC off", Latency: cfg.FrameSamples, New: func() (room.Canceller, error) { return aec.New(noAGC) }},
	}
}

var nan = math.NaN()

// speexFloors are the least each subject must keep in a room of
// room.ShortSeconds: what media/aec measured there, less a margin (about
// 5 dB, or 2 s) so that only a real regression fails. Measured when
// written (mean ERLE, recovery, SDR), preprocessor: reverb 20.9,
// distortion 19.5, moved 17.0 (not back), late 24.0, double talk 35.3
// (SDR 6.3), clocks 40 ppm apart 13.0, all at once 23.3 (3.37 s, SDR
// 6.7); AGC off: 32.7, 31.3, 25.2 (2.64 s), 33.5, 34.7 (SDR 9.1), 14.7,
// 21.7 (3.37 s, SDR 7.6).
var speexFloors = map[string]map[string]room.Floor{
	"preprocessor": {
		"reverb":              {ERLE: 15, P10: nan, Recovery: nan, SDR: nan},
		"speaker distortion":  {ERLE: 14, P10: nan, Recovery: nan, SDR: nan},
		"laptop moved":        {ERLE: 11, P10: nan, Recovery: nan, SDR: nan},
		"capture 40 ms late":  {ERLE: 18, P10: nan, Recovery: nan, SDR: nan},
		"double talk":         {ERLE: 29, P10: nan, Recovery: nan, SDR: 3},
		"clocks 40 ppm apart": {ERLE: 9, P10: nan, Recovery: nan, SDR: nan},
		"all at once":         {ERLE: 17, P10: nan, Recovery: nan, SDR: 3},
	},
	"AGC off": {
		"reverb":              {ERLE: 27, P10: nan, Recovery: nan, SDR: nan},
		"speaker distortion":  {ERLE: 26, P10: nan, Recovery: nan, SDR: nan},
		"laptop moved":        {ERLE: 20, P10: nan, Recovery: 5, SDR: nan},
		"capture 40 ms late":  {ERLE: 28, P10: nan, Recovery: nan, SDR: nan},
		"double talk":         {ERLE: 29, P10: nan, Recovery: nan, SDR: 5},
		"clocks 40 ppm apart": {ERLE: 10, P10: nan, Recovery: nan, SDR: nan},
		"all at once":         {ERLE: 16, P10: nan, Recovery: nan, SDR: 4},
	},
}

// TestSpeexDSPRooms measures speexdsp in the short rooms: it fails when
// echo loss, recovery or the local voice fall well below what it
// achieves, and logs how far each figure is from the target.
func TestSpeexDSPRooms(t *testing.T) {
	scenes, err := room.RenderAll(room.Rooms(room.ShortSeconds), room.TestVoices(t))
	if err != nil {
		t.Fatal(err)
	}
	results := map[string][]room.Result{}
	for _, sub := range speexSubjects() {
		res, err := room.Evaluate(sub, scenes)
		if err != nil {
			t.Fatal(err)
		}
		results[sub.Name] = res
		var b strings.Builder
		room.Table(&b, res)
		t.Logf("media/aec, %s, %d s rooms:\n%s", sub.Name, room.ShortSeconds, b.String())
		room.CheckFloors(t, sub.Name, res, speexFloors[sub.Name])
	}
	// Automatic gain lifts the residual echo: log how much it does.
	for i, r := range results["preprocessor"] {
		off := results["AGC off"][i]
		if d := off.ERLEMean - r.ERLEMean; d > 1 {
			t.Logf("%s: automatic gain costs %.1f dB of ERLE (%.1f dB with it, %.1f dB without)", r.Room, d, r.ERLEMean, off.ERLEMean)
		}
	}
}

// BenchmarkSpeexDSPRooms is the full table: every room of
// room.FullSeconds for each of speexSubjects (see room.Bench); with
// -room-table=FILE the Markdown tables are written there.
func BenchmarkSpeexDSPRooms(b *testing.B) {
	scenes, err := room.RenderAll(room.Rooms(room.FullSeconds), room.TestVoices(b))
	if err != nil {
		b.Fatal(err)
	}
	room.WriteTables(b, room.Bench(b, "media/aec (speexdsp)", speexSubjects(), scenes), *roomTable)
}

// TestSpeak checks the espeak-ng voices: long enough, at 48 kHz, and
// neither silent nor clipped.
func TestSpeak(t *testing.T) {
	v := room.TestVoices(t)
	for _, x := range []struct {
		name string
		s    []float64
	}{{"far", v.Far}, {"near", v.Near}} {
		var peak, e float64
		for _, s := range x.s {
			peak = max(peak, math.Abs(s))
			e += s * s
		}
		sec := float64(len(x.s)) / room.Rate
		rms := 10 * math.Log10(e/float64(len(x.s)))
		t.Logf("%s talker: %.1f s, peak %.1f dBFS, RMS %.1f dBFS", x.name, sec, 20*math.Log10(peak), rms)
		if sec < 15 || peak > 1.2 || rms < -40 {
			t.Errorf("%s talker: %.1f s, peak %.2f, RMS %.1f dBFS; want ≥ 15 s of speech at a sane level", x.name, sec, peak, rms)
		}
	}
}
