//go:build !linux

package ui

import "runtime/debug"

// trimMemory hands the Go heap's memory let go of back to the system.
func trimMemory() { debug.FreeOSMemory() }
