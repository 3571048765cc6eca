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
// room.FullSeconds (the short rooms' few windows make their means swing by
// several dB with small changes anywhere in the chain): what it measured
// there, less a margin (about 4 dB, 3 dB of SDR, or 1 s), so that only a
// real regression fails. Measured when written (ERLE mean/p10, recovery,
// SDR): reverb 49.0/47.3, distortion 48.4/46.2, moved 47.9/46.0 (0.00 s),
// late 47.9/46.6, double talk 48.0/46.0 (SDR 13.1), clocks 40 ppm apart
// 49.3/47.2, all at once 45.8/44.2 (0.00 s, SDR 13.5).
var floors = map[string]room.Floor{
	"reverb":              {ERLE: 45, P10: 43, Recovery: nan, SDR: nan},
	"speaker distortion":  {ERLE: 44, P10: 42, Recovery: nan, SDR: nan},
	"laptop moved":        {ERLE: 44, P10: 42, Recovery: 1, SDR: nan},
	"capture 40 ms late":  {ERLE: 44, P10: 42, Recovery: nan, SDR: nan},
	"double talk":         {ERLE: 44, P10: 42, Recovery: nan, SDR: 10},
	"clocks 40 ppm apart": {ERLE: 45, P10: 43, Recovery: nan, SDR: nan},
	"all at once":         {ERLE: 41, P10: 39, Recovery: 1, SDR: 10},
}

// TestRooms measures the chain in the rooms of the benchmark's length: it
// fails when echo loss, recovery or the local voice fall well below what
// it achieves today, and logs how far each figure is from the target.
func TestRooms(t *testing.T) {
	rooms := room.Rooms(room.FullSeconds)
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
	t.Logf("speexdsp filter + res, %d s rooms:\n%s", room.FullSeconds, b.String())
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

// TestFollowsDrift runs the canceller in a room whose capture runs 40 ms
// late and whose clocks drift 60 ppm apart, both ways: the echo loss
// holds, and the delay line follows the drift.
func TestFollowsDrift(t *testing.T) {
	if raceEnabled {
		t.Skip("two 33 s rooms take minutes under the race detector")
	}
	v := room.TestVoices(t)
	for _, ppm := range []int{60, -60} {
		r := room.Base("drifting", room.FullSeconds)
		r.CaptureDelay, r.DriftPPM = 0.040, ppm
		s, err := room.Render(r, v)
		if err != nil {
			t.Fatal(err)
		}
		c, err := res.New(res.DefaultParams)
		if err != nil {
			t.Fatal(err)
		}
		out := s.Run(c)
		got := s.Measure(out, res.Latency)
		t.Logf("%+d ppm: ERLE %.1f dB (p10 %.1f), the played audio delayed by %.1f samples", ppm, got.ERLEMean, got.ERLEP10, c.Drift())
		if got.ERLEMean < 40 || got.ERLEP10 < 30 {
			t.Errorf("%+d ppm: ERLE %.1f dB, 10th percentile %.1f dB, want ≥ 40 and ≥ 30", ppm, got.ERLEMean, got.ERLEP10)
		}
		c.Close()
	}
}
