//go:build !linux

package aec2_test

import "time"

var start = time.Now()

// threadCPU stands in for the calling thread's CPU time where it cannot be
// read: the wall-clock time since the test binary started.
func threadCPU() time.Duration { return time.Since(start) }
