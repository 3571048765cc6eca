package dshow

// #cgo LDFLAGS: -lstrmiids -lole32 -loleaut32
// #include <stdlib.h>
// char *peercall_dshow_names(void);
import "C"

import (
	"runtime"
	"unsafe"
)

// friendlyNames maps the display name of each video input DirectShow
// lists to its FriendlyName.
func friendlyNames() map[string]string {
	// COM is set up per thread: the enumeration starts and ends on one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := C.peercall_dshow_names()
	if p == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(p))
	return parseNames(C.GoString(p))
}
