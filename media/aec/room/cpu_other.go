//go:build !linux

package room

import "time"

// threadCPU is not measured here: Bench reports 0 µs a frame.
func threadCPU() time.Duration { return 0 }
