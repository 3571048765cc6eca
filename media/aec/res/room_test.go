package res_test

import (
	"math"
	"strings"
	"testing"

	"peercall/media/aec/res"
	"peercall/media/aec/room"
)

func subject(p res.Params) room.Subject {
	return room.Subject{Name: "speexdsp filter + res", Latency: res.Latency,
		New: func() (room.Canceller, error) { return res.New(p) }}
}

var nan = math.NaN()

// floors are the least the chain must keep in the rooms of
// room.ShortSeconds: what it measured there, less a margin (about 4 dB,
// 3 dB of SDR, or 1 s), so that only a real regression fails. Measured
// when written (ERLE mean/p10, recovery, SDR): reverb 48.7/46.1,
// distortion 47.0/45.4, moved 47.0/43.6 (0.00 s), late 46.4/45.2, double
// talk 47.7/45.8 (SDR 12.1), clocks 40 ppm apart 20.7/10.3, all at once
// 45.7/43.3 (0.00 s, SDR 11.1).
var floors = map[string]room.Floor{
	"reverb":              {ERLE: 44, P10: 42, Recovery: nan, SDR: nan},
	"speaker distortion":  {ERLE: 43, P10: 41, Recovery: nan, SDR: nan},
	"laptop moved":        {ERLE: 43, P10: 39, Recovery: 1, SDR: nan},
	"capture 40 ms late":  {ERLE: 42, P10: 41, Recovery: nan, SDR: nan},
	"double talk":         {ERLE: 43, P10: 41, Recovery: nan, SDR: 9},
	"clocks 40 ppm apart": {ERLE: 16, P10: 7, Recovery: nan, SDR: nan},
	"all at once":         {ERLE: 41, P10: 39, Recovery: 1, SDR: 8},
}

// TestRooms measures the chain in the short rooms: it fails when echo
// loss, recovery or the local voice fall well below what it achieves
// today, and logs how far each figure is from the target.
func TestRooms(t *testing.T) {
	rooms := room.Rooms(room.ShortSeconds)
	if raceEnabled {
		// The last room has every difficulty at once; the others would
		// take a minute under the race detector.
		rooms = rooms[len(rooms)-1:]
	}
	scenes, err := room.RenderAll(rooms, room.TestVoices(t))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := room.Evaluate(subject(res.DefaultParams), scenes)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	room.Table(&b, rs)
	t.Logf("speexdsp filter + res, %d s rooms:\n%s", room.ShortSeconds, b.String())
	room.CheckFloors(t, "speexdsp filter + res", rs, floors)
}

// BenchmarkRooms is the full table: every room of room.FullSeconds (see
// room.Bench for what each sub-benchmark reports).
func BenchmarkRooms(b *testing.B) {
	scenes, err := room.RenderAll(room.Rooms(room.FullSeconds), room.TestVoices(b))
	if err != nil {
		b.Fatal(err)
	}
	room.WriteTables(b, room.Bench(b, "media/aec/res", []room.Subject{subject(res.DefaultParams)}, scenes), "")
}
