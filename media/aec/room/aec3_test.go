//go:build aec3 && cgo

package room_test

import (
	"flag"
	"testing"

	"peercall/media/aec/aec3"
	"peercall/media/aec/room"
)

var aec3Table = flag.String("aec3-table", "", "BenchmarkAEC3Rooms writes its Markdown tables to this file")

// BenchmarkAEC3Rooms is the reference table for WebRTC's AEC3 (media/aec/
// aec3, only with the aec3 build tag and the library built by make aec3):
// every room of room.FullSeconds, without and with its noise suppression,
// no delay hint, the latency measured with room.OutputLag (see room.Bench
// for what each sub-benchmark reports); with -aec3-table=FILE the Markdown
// tables are written there.
func BenchmarkAEC3Rooms(b *testing.B) {
	scenes, err := room.RenderAll(room.Rooms(room.FullSeconds), room.TestVoices(b))
	if err != nil {
		b.Fatal(err)
	}
	var subs []room.Subject
	for _, x := range []struct {
		name string
		cfg  aec3.Config
	}{
		{"noise suppression off", aec3.Config{}},
		{"noise suppression on", aec3.Config{NoiseSuppression: true}},
	} {
		c, err := aec3.New(x.cfg)
		if err != nil {
			b.Fatal(err)
		}
		latency := room.OutputLag(c)
		c.Close()
		b.Logf("AEC3, %s: output latency %d samples", x.name, latency)
		subs = append(subs, room.Subject{Name: x.name, Latency: latency,
			New: func() (room.Canceller, error) { return aec3.New(x.cfg) }})
	}
	room.WriteTables(b, room.Bench(b, "media/aec/aec3 (AEC3)", subs, scenes), *aec3Table)
}
