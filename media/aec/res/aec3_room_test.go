//go:build aec3 && cgo

package res_test

import (
	"testing"

	"peercall/media/aec/aec3"
	"peercall/media/aec/room"
)

// BenchmarkAEC3Rooms is WebRTC's AEC3 (noise suppression on) in the same
// rooms, for comparison; it needs the aec3 build tag.
func BenchmarkAEC3Rooms(b *testing.B) {
	benchRooms(b, room.Subject{Name: "AEC3", Latency: 0,
		New: func() (room.Canceller, error) { return aec3.New(aec3.Config{NoiseSuppression: true}) }})
}
