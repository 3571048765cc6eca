package yuv

/*
#cgo LDFLAGS: -lyuv
#include <libyuv/convert.h>
*/
import "C"

import (
	"fmt"
	"image"
)

// PixelOrder is the byte order of a 32-bit pixel in memory.
type PixelOrder int

const (
	// BGRX is B,G,R then an unused byte: what an X server with a 24-bit
	// TrueColor visual (red mask 0xff0000) stores on a little-endian machine.
	BGRX PixelOrder = iota
	// RGBX is R,G,B then an unused byte: image.RGBA's layout.
	RGBX
)

// FromRGB converts a w×h picture of 32-bit pixels (stride bytes a row)
// into dst, a 4:2:0 picture of the same size, as limited-range BT.601 —
// what the VP8 encoder takes and the receiving side's conversion undoes.
// w and h must be even.
func FromRGB(dst *image.YCbCr, src []byte, stride, w, h int, order PixelOrder) error {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > MaxSize || h > MaxSize {
		return fmt.Errorf("%w: picture size %d×%d", ErrInvalid, w, h)
	}
	if stride < 4*w || len(src) < stride*(h-1)+4*w {
		return fmt.Errorf("%w: %d bytes at stride %d for %d×%d", ErrInvalid, len(src), stride, w, h)
	}
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 || dst.Rect.Dx() != w || dst.Rect.Dy() != h ||
		dst.YStride < w || dst.CStride < w/2 ||
		len(dst.Y) < dst.YStride*(h-1)+w || len(dst.Cb) < dst.CStride*(h/2-1)+w/2 || len(dst.Cr) < dst.CStride*(h/2-1)+w/2 {
		return fmt.Errorf("%w: destination does not hold a 4:2:0 picture of %d×%d", ErrInvalid, w, h)
	}
	var rc C.int
	switch order {
	case BGRX: // libyuv's "ARGB" is B,G,R,A in memory
		rc = C.ARGBToI420(u8(&src[0]), C.int(stride), u8(&dst.Y[0]), C.int(dst.YStride),
			u8(&dst.Cb[0]), C.int(dst.CStride), u8(&dst.Cr[0]), C.int(dst.CStride), C.int(w), C.int(h))
	case RGBX: // libyuv's "ABGR" is R,G,B,A in memory
		rc = C.ABGRToI420(u8(&src[0]), C.int(stride), u8(&dst.Y[0]), C.int(dst.YStride),
			u8(&dst.Cb[0]), C.int(dst.CStride), u8(&dst.Cr[0]), C.int(dst.CStride), C.int(w), C.int(h))
	default:
		return fmt.Errorf("%w: pixel order %d", ErrInvalid, order)
	}
	return status("convert from RGB", rc)
}
