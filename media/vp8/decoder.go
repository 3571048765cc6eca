package vp8

/*
#include "vpxglue.h"
*/
import "C"

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"unsafe"
)

// Decoder turns VP8 frames back into pictures. Create it with NewDecoder.
type Decoder struct {
	mu      sync.Mutex // serialises Decode and Close
	c       *C.pc_dec  // nil once closed
	cleanup runtime.Cleanup
	img     image.YCbCr // views libvpx's output buffers
}

// maxFrameBytes bounds the size of one frame handed to libvpx.
const maxFrameBytes = 1 << 26

var (
	errEmptyFrame = fmt.Errorf("%w: empty frame", ErrCorrupt)
	errHugeFrame  = fmt.Errorf("%w: frame larger than %d bytes", ErrCorrupt, maxFrameBytes)
	errCorruptPic = fmt.Errorf("%w: picture is corrupt (damaged data or reference)", ErrCorrupt)
	errLayout     = fmt.Errorf("%w: decoder returned an unexpected picture layout", ErrCorrupt)
)

// decoderThreads is the libvpx decoder thread count. VP8 decodes macroblock
// rows in parallel only when the sender used several token partitions, and
// libvpx's threads spin while they wait for each other, which on a machine
// shared with the encoder costs far more than it saves (measured on 2
// cores: 640×480 decode p95 15 ms with 2 threads against 0.9 ms with one).
// One thread decodes 1280×720 in under 2 ms, so more are used only on
// machines with plenty of cores.
func decoderThreads() int {
	if runtime.NumCPU() >= 6 {
		return 2
	}
	return 1
}

// NewDecoder opens a VP8 decoder.
func NewDecoder() (*Decoder, error) {
	return newDecoderThreads(decoderThreads())
}

func newDecoderThreads(threads int) (*Decoder, error) {
	var code C.vpx_codec_err_t
	c := C.pc_dec_new(C.uint(threads), &code)
	if c == nil {
		return nil, vpxError("open decoder", code, nil)
	}
	d := &Decoder{c: c}
	d.cleanup = runtime.AddCleanup(d, func(c *C.pc_dec) { C.pc_dec_free(c) }, c)
	return d, nil
}

// Decode decodes one complete VP8 frame and returns its picture. The
// picture is a view of the decoder's own memory: it stays valid until the
// next Decode or Close and must not be written to. Decoding allocates
// nothing once the stream is running.
//
// Damaged input, an inter frame before the first keyframe or an inter frame
// whose references are damaged yields an error wrapping ErrCorrupt (never a
// panic); the caller should then ask the sender for a keyframe.
func (d *Decoder) Decode(frame []byte) (*image.YCbCr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return nil, ErrClosed
	}
	if len(frame) == 0 {
		return nil, errEmptyFrame
	}
	if len(frame) > maxFrameBytes {
		return nil, errHugeFrame
	}
	switch rc := C.pc_dec_decode(d.c, (*C.uchar)(unsafe.Pointer(&frame[0])), C.size_t(len(frame))); rc {
	case C.VPX_CODEC_OK:
	case -1:
		return nil, ErrNoPicture
	case -2:
		return nil, errCorruptPic
	default:
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, vpxError("decode", C.vpx_codec_err_t(rc), C.pc_dec_error(d.c)))
	}

	w, h := int(d.c.w), int(d.c.h)
	ys, cs := int(d.c.stride[0]), int(d.c.stride[1])
	if w <= 0 || h <= 0 || ys < w || cs < (w+1)/2 || int(d.c.stride[2]) != cs {
		return nil, errLayout
	}
	ch := (h + 1) / 2
	// libvpx keeps a border of at least 32 luma / 16 chroma rows around each
	// frame buffer (for motion vectors that point outside the picture), so
	// whole rows of stride bytes are addressable for the full height, as in
	// a picture from image.NewYCbCr.
	d.img.Y = unsafe.Slice((*byte)(unsafe.Pointer(d.c.planes[0])), ys*h)
	d.img.Cb = unsafe.Slice((*byte)(unsafe.Pointer(d.c.planes[1])), cs*ch)
	d.img.Cr = unsafe.Slice((*byte)(unsafe.Pointer(d.c.planes[2])), cs*ch)
	d.img.YStride = ys
	d.img.CStride = cs
	d.img.SubsampleRatio = image.YCbCrSubsampleRatio420
	d.img.Rect = image.Rect(0, 0, w, h)
	return &d.img, nil
}

// Close releases the decoder. Pictures it returned become invalid.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return nil
	}
	d.cleanup.Stop()
	C.pc_dec_free(d.c)
	d.c = nil
	d.img = image.YCbCr{}
	return nil
}
