package yuv

/*
#cgo LDFLAGS: -lyuv
#include <libyuv/convert_argb.h>
#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// This file holds the only calls into libyuv. Every pointer handed over has
// been bounds-checked by the caller against the width, height and stride it
// is passed with, so libyuv never reads or writes outside a Go slice (or
// outside the C buffer a slice views).

func u8(p *byte) *C.uint8_t { return (*C.uint8_t)(unsafe.Pointer(p)) }

func status(op string, rc C.int) error {
	if rc != 0 {
		return fmt.Errorf("yuv: libyuv %s failed (%d)", op, int(rc))
	}
	return nil
}

// toPixels converts p (limited-range BT.601) to 32-bit pixels at dst, in
// order with an opaque fourth byte. libyuv names its formats after a
// little-endian 32-bit word: its "ABGR" stores R,G,B,A in memory (exactly
// image.RGBA's layout) and its "ARGB" stores B,G,R,A.
func toPixels(p planar, dst *byte, dstStride int, order PixelOrder) error {
	y, u, v := u8(p.y), u8(p.u), u8(p.v)
	ys, cs := C.int(p.ys), C.int(p.cs)
	d, ds, w, h := u8(dst), C.int(dstStride), C.int(p.w), C.int(p.h)
	var rc C.int
	switch {
	case p.sub == sub420 && order == RGBX:
		rc = C.I420ToABGR(y, ys, u, cs, v, cs, d, ds, w, h)
	case p.sub == sub420:
		rc = C.I420ToARGB(y, ys, u, cs, v, cs, d, ds, w, h)
	case p.sub == sub422 && order == RGBX:
		rc = C.I422ToABGR(y, ys, u, cs, v, cs, d, ds, w, h)
	case p.sub == sub422:
		rc = C.I422ToARGB(y, ys, u, cs, v, cs, d, ds, w, h)
	case order == RGBX:
		rc = C.I444ToABGR(y, ys, u, cs, v, cs, d, ds, w, h)
	default:
		rc = C.I444ToARGB(y, ys, u, cs, v, cs, d, ds, w, h)
	}
	return status("convert", rc)
}

// scale resamples src into dst (same subsampling, dst's size). Box
// filtering is asked for when shrinking (libyuv itself drops to bilinear for
// factors under 2, where a box adds nothing) and bilinear when enlarging.
func scale(src, dst planar) error {
	filter := C.enum_FilterMode(C.kFilterBilinear)
	if dst.w <= src.w && dst.h <= src.h {
		filter = C.kFilterBox
	}
	var rc C.int
	switch src.sub {
	case sub420:
		rc = C.I420Scale(u8(src.y), C.int(src.ys), u8(src.u), C.int(src.cs), u8(src.v), C.int(src.cs),
			C.int(src.w), C.int(src.h),
			u8(dst.y), C.int(dst.ys), u8(dst.u), C.int(dst.cs), u8(dst.v), C.int(dst.cs),
			C.int(dst.w), C.int(dst.h), filter)
	case sub422:
		rc = C.I422Scale(u8(src.y), C.int(src.ys), u8(src.u), C.int(src.cs), u8(src.v), C.int(src.cs),
			C.int(src.w), C.int(src.h),
			u8(dst.y), C.int(dst.ys), u8(dst.u), C.int(dst.cs), u8(dst.v), C.int(dst.cs),
			C.int(dst.w), C.int(dst.h), filter)
	default:
		rc = C.I444Scale(u8(src.y), C.int(src.ys), u8(src.u), C.int(src.cs), u8(src.v), C.int(src.cs),
			C.int(src.w), C.int(src.h),
			u8(dst.y), C.int(dst.ys), u8(dst.u), C.int(dst.cs), u8(dst.v), C.int(dst.cs),
			C.int(dst.w), C.int(dst.h), filter)
	}
	return status("scale", rc)
}

// mirror flips src left–right into dst (same size and subsampling).
func mirror(src, dst planar) {
	cw, ch := src.chromaSize()
	C.MirrorPlane(u8(src.y), C.int(src.ys), u8(dst.y), C.int(dst.ys), C.int(src.w), C.int(src.h))
	C.MirrorPlane(u8(src.u), C.int(src.cs), u8(dst.u), C.int(dst.cs), C.int(cw), C.int(ch))
	C.MirrorPlane(u8(src.v), C.int(src.cs), u8(dst.v), C.int(dst.cs), C.int(cw), C.int(ch))
}

// mirrorRGBA flips a w×h block of 4-byte pixels left–right from src to dst;
// the two must not overlap.
func mirrorRGBA(src *byte, srcStride int, dst *byte, dstStride, w, h int) error {
	return status("mirror", C.ARGBMirror(u8(src), C.int(srcStride), u8(dst), C.int(dstStride), C.int(w), C.int(h)))
}
