// Package opus is Peercall's thin cgo binding to libopus, the audio codec
// used for the call's voice track.
//
// The package exposes exactly what the call pipeline needs: an Encoder
// configured for interactive voice (OPUS_APPLICATION_VOIP) with optional
// in-band FEC and DTX, and a Decoder that can decode packets, conceal lost
// packets (PLC) and recover a lost packet from the forward error correction
// carried by the packet that followed it.
//
// Everything runs at 48 kHz with 16-bit interleaved PCM. Callers own all
// buffers, so encoding and decoding a frame performs no Go heap allocation.
// Encoders and Decoders serialise their own method calls, so Close may race
// with Encode or Decode without touching freed codec state, but a single
// codec instance is meant to be driven by one goroutine at a time.
//
// Errors reported by libopus are returned as *Error values whose text is
// libopus's own message (opus_strerror); errors.Is can match them against the
// Code constants such as ErrInvalidPacket.
package opus

/*
#cgo pkg-config: opus
#include <opus.h>
*/
import "C"

import (
	"math"
)

// SampleRate is the only sample rate Peercall uses for audio, in Hz.
const SampleRate = 48000

// DefaultBitrate is the encoder bitrate, in bits per second, used when
// EncoderConfig.BitrateBps is zero.
const DefaultBitrate = 32000

// MaxFrameSamples is the largest number of samples per channel a single Opus
// packet can carry (120 ms at 48 kHz).
const MaxFrameSamples = SampleRate * 120 / 1000

// Code is a libopus error code. Its Error method returns libopus's own
// description of the code, as given by opus_strerror.
type Code int

// libopus error codes.
const (
	ErrBadArg         Code = C.OPUS_BAD_ARG
	ErrBufferTooSmall Code = C.OPUS_BUFFER_TOO_SMALL
	ErrInternal       Code = C.OPUS_INTERNAL_ERROR
	ErrInvalidPacket  Code = C.OPUS_INVALID_PACKET
	ErrUnimplemented  Code = C.OPUS_UNIMPLEMENTED
	ErrInvalidState   Code = C.OPUS_INVALID_STATE
	ErrAllocFail      Code = C.OPUS_ALLOC_FAIL
)

// Error returns libopus's message for the code.
func (c Code) Error() string {
	return C.GoString(C.opus_strerror(C.int(c)))
}

// Error is the error returned when libopus rejects a call, or when Peercall
// rejects arguments before handing them to libopus.
type Error struct {
	Op     string // operation, e.g. "encode", "decode", "new encoder"
	Code   Code   // libopus error code
	Detail string // extra context added by this package, may be empty
}

func (e *Error) Error() string {
	s := "opus: " + e.Op + ": " + e.Code.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the libopus code so errors.Is(err, ErrInvalidPacket) works.
func (e *Error) Unwrap() error { return e.Code }

// opusErr converts a negative libopus return value into an error.
func opusErr(op string, ret C.int) error {
	return &Error{Op: op, Code: Code(ret)}
}

func argErr(op, detail string) error {
	return &Error{Op: op, Code: ErrBadArg, Detail: detail}
}

// clampInt32 bounds n so it can be passed to libopus as an opus_int32.
func clampInt32(n int) int {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return n
}
