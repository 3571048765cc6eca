package aec2_test

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"

	"peercall/media/aec/aec2"
	"peercall/media/aec/room"
)

var roomTable = flag.String("room-table", "", "the room benchmarks write their Markdown tables to this file")

func needScenes(tb testing.TB, seconds float64) []*room.Scene {
	tb.Helper()
	scenes, err := room.RenderAll(room.Rooms(seconds), room.TestVoices(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return scenes
}

// aec2Subject is media/aec/aec2 with cfg. Its output lags the microphone
// by cfg.Latency() samples.
func aec2Subject(name string, cfg aec2.Config) room.Subject {
	return room.Subject{
		Name:    name,
		Latency: cfg.Latency(),
		New: func() (room.Canceller, error) {
			c, err := aec2.New(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// aec2Settings are the configurations the full table compares: every
// suppression level, without noise suppression and with each of its
// levels, all with delay-agnostic mode, the extended filter, the high-pass
// filter, the microphone delay and no delay hint (Peercall does not know
// its device delays); and the strongest without the microphone delay.
func aec2Settings() []room.Subject {
	var subs []room.Subject
	for _, s := range []aec2.Suppression{aec2.LowSuppression, aec2.ModerateSuppression, aec2.HighSuppression} {
		for _, n := range []aec2.NoiseSuppression{aec2.NoiseOff, aec2.NoiseLow, aec2.NoiseModerate, aec2.NoiseHigh} {
			name := fmt.Sprintf("suppression %s, noise suppression %s", s, n)
			subs = append(subs, aec2Subject(name, aec2.Config{Suppression: s, Noise: n}))
		}
	}
	// What the microphone delay is worth.
	return append(subs, aec2Subject("suppression high, noise suppression high, no microphone delay",
		aec2.Config{Noise: aec2.NoiseHigh, NoMicDelay: true}))
}

var nan = math.NaN()

// aec2Floors are for high suppression with high noise suppression.
// Measured when written (mean ERLE, recovery, SDR): reverb 53.8, speaker
// distortion 54.0, laptop moved 54.1 (0.00 s), capture 40 ms late 56.1,
// double talk 54.3 (SDR −2.0), clocks 40 ppm apart 53.6, all at once 55.3
// (0.00 s, SDR −2.4). The
// recovery floors are the target itself.
var aec2Floors = map[string]room.Floor{
	"reverb":              {ERLE: 49, P10: nan, Recovery: nan, SDR: nan},
	"speaker distortion":  {ERLE: 50, P10: nan, Recovery: nan, SDR: nan},
	"laptop moved":        {ERLE: 50, P10: nan, Recovery: 1, SDR: nan},
	"capture 40 ms late":  {ERLE: 52, P10: nan, Recovery: nan, SDR: nan},
	"double talk":         {ERLE: 50, P10: nan, Recovery: nan, SDR: -6},
	"clocks 40 ppm apart": {ERLE: 49, P10: nan, Recovery: nan, SDR: nan},
	"all at once":         {ERLE: 51, P10: nan, Recovery: 1, SDR: -6.5},
}

// TestAEC2Rooms measures AEC2 with high suppression and high noise
// suppression, the setting that removes the most echo, in the short rooms: it fails when echo loss, recovery or the local voice fall well
// below what it achieves, and logs how far each figure is from the target.
func TestAEC2Rooms(t *testing.T) {
	scenes := needScenes(t, room.ShortSeconds)
	sub := aec2Subject("suppression high, noise suppression high", aec2.Config{Noise: aec2.NoiseHigh})
	res, err := room.Evaluate(sub, scenes)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	room.Table(&b, res)
	t.Logf("media/aec/aec2, %s, %d s rooms:\n%s", sub.Name, room.ShortSeconds, b.String())
	room.CheckFloors(t, sub.Name, res, aec2Floors)
}

// BenchmarkAEC2Rooms is the full table: every room of room.FullSeconds for each
// of aec2Settings. With -room-table=FILE the Markdown tables are written
// there.
func BenchmarkAEC2Rooms(b *testing.B) {
	scenes := needScenes(b, room.FullSeconds)
	room.WriteTables(b, room.Bench(b, "media/aec/aec2 (AEC2)", aec2Settings(), scenes), *roomTable)
}

// TestLatency checks Config.Latency against the lag measured in the
// output, at every sample rate the rooms use (48 kHz) and with and
// without the noise suppressor and the microphone delay.
func TestLatency(t *testing.T) {
	for _, cfg := range []aec2.Config{
		{},
		{Noise: aec2.NoiseModerate},
		{NoMicDelay: true},
		{NoMicDelay: true, Noise: aec2.NoiseLow, Suppression: aec2.LowSuppression},
	} {
		c, err := aec2.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := room.OutputLag(c)
		c.Close()
		if want := cfg.Latency(); got != want {
			t.Errorf("%+v: output lags by %d samples, Latency says %d", cfg, got, want)
		}
	}
}
