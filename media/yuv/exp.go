package yuv

/*
#include <libyuv/scale.h>
#include <libyuv/scale_argb.h>
*/
import "C"

func expScale(src, dst planar, f int) {
	C.I420Scale(u8(src.y), C.int(src.ys), u8(src.u), C.int(src.cs), u8(src.v), C.int(src.cs),
		C.int(src.w), C.int(src.h),
		u8(dst.y), C.int(dst.ys), u8(dst.u), C.int(dst.cs), u8(dst.v), C.int(dst.cs),
		C.int(dst.w), C.int(dst.h), C.enum_FilterMode(f))
}
func expARGBScale(src []byte, sw, sh int, dst []byte, dw, dh int, f int) {
	C.ARGBScale(u8(&src[0]), C.int(sw*4), C.int(sw), C.int(sh), u8(&dst[0]), C.int(dw*4), C.int(dw), C.int(dh), C.enum_FilterMode(f))
}
