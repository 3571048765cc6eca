package ui

/*
#include <malloc.h>
*/
import "C"

import "runtime/debug"

// trimMemory hands memory let go of back to the system: the Go heap's,
// and the C heap's, where the software renderer's textures and the
// codecs' buffers were.
func trimMemory() {
	debug.FreeOSMemory()
	C.malloc_trim(0)
}
