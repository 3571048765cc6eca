package yuv

import (
	"fmt"
	"image"
	"syscall"
	"testing"
)

// guarded returns n bytes of fresh memory bordered by an inaccessible page,
// after its end (atEnd) or before its start, so that libyuv touching a byte
// past that border crashes the test.
func guarded(t *testing.T, n int, atEnd bool) []byte {
	page := syscall.Getpagesize()
	pages := (n+page-1)/page + 1
	mem, err := syscall.Mmap(-1, 0, pages*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	guard, b := mem[(pages-1)*page:], mem[(pages-1)*page-n:(pages-1)*page]
	if !atEnd {
		guard, b = mem[:page], mem[page:page+n]
	}
	if err := syscall.Mprotect(guard, syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	for i := range b {
		b[i] = 128
	}
	return b
}

// TestStaysInBounds gives libyuv planes and destinations with no slack on
// either side, for every path: it must not read or write a byte outside
// them. The planes also live outside the Go heap, as the VP8 decoder's do.
func TestStaysInBounds(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444}
	for _, atEnd := range []bool{true, false} {
		for _, ratio := range ratios {
			for _, sz := range [][2]int{{64, 48}, {63, 47}, {2, 2}, {3, 1}, {321, 181}} {
				w, h := sz[0], sz[1]
				proto := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
				img := &image.YCbCr{
					Y: guarded(t, len(proto.Y), atEnd), Cb: guarded(t, len(proto.Cb), atEnd), Cr: guarded(t, len(proto.Cr), atEnd),
					YStride: proto.YStride, CStride: proto.CStride, SubsampleRatio: ratio, Rect: proto.Rect,
				}
				var c Converter
				for _, d := range [][2]int{
					{w, h}, {w * 3 / 2, h * 3 / 2}, {2 * w, 2 * h}, {w * 2 / 3, h * 2 / 3}, {w / 2, h / 2},
					{w / 3, h / 3}, {w + 1, h}, {w, h + 1}, {1000, 2}, {2, 1000}, {3, 3}, {1, 1},
				} {
					if d[0] < 1 || d[1] < 1 {
						continue
					}
					for _, mirror := range []bool{false, true} {
						name := fmt.Sprintf("%v %dx%d → %dx%d mirror=%v end=%v", ratio, w, h, d[0], d[1], mirror, atEnd)
						dst := &image.RGBA{Pix: guarded(t, 4*d[0]*d[1], atEnd), Stride: 4 * d[0], Rect: image.Rect(0, 0, d[0], d[1])}
						if err := c.ConvertInto(dst, img, mirror); err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						// Grey, give or take the box filter's rounding down
						// (by up to one code value per reduction step).
						if px := dst.RGBAAt(d[0]-1, d[1]-1); !near(px.R, 130, 8) || !near(px.G, 130, 8) || !near(px.B, 130, 8) || px.A != 255 {
							t.Fatalf("%s: last pixel %v", name, px)
						}
					}
				}
			}
		}
	}
}
