// Package vp8 is Peercall's real-time VP8 codec: a thin cgo wrapper around
// libvpx that turns camera or test-pattern pictures into VP8 frames for the
// call's video track and decodes the peer's frames back into pictures.
//
// The encoder is tuned for interactive video (one pass, no lookahead, CBR,
// error-resilient, keyframes only on request or when libvpx decides) and its
// bitrate can be retargeted cheaply by congestion control. The decoder
// reuses libvpx's frame memory and allocates nothing per frame.
//
// An Encoder or a Decoder may be used from several goroutines, but frames
// are processed one at a time.
package vp8

/*
#cgo pkg-config: vpx
#include "vpxglue.h"
*/
import "C"

import (
	"fmt"
)

// vpxError describes a libvpx status code and, when present, the codec's
// detail message.
func vpxError(op string, code C.vpx_codec_err_t, detail *C.char) error {
	msg := C.GoString(C.vpx_codec_err_to_string(code))
	if detail != nil {
		if d := C.GoString(detail); d != "" && d != msg {
			msg += ": " + d
		}
	}
	return fmt.Errorf("vp8: %s: %s", op, msg)
}

// IsKeyframe reports whether frame, a complete VP8 frame as produced by
// Encode, starts a keyframe (the low bit of the VP8 frame tag is clear).
func IsKeyframe(frame []byte) bool {
	return len(frame) >= 10 && frame[0]&1 == 0 &&
		frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a
}
