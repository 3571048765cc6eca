package yuv

import (
	"fmt"
	"image"
	"image/draw"
	"math/rand/v2"
	"testing"
)

// camera returns a w×h 4:2:0 picture of random legal samples.
func camera(w, h int) *image.YCbCr {
	return noise(rand.New(rand.NewPCG(3, 4)), image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

func reportFrameTime(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/frame")
}

func BenchmarkConvert(b *testing.B) {
	cases := []struct {
		sw, sh, w, h int
		mirror       bool
	}{
		{1280, 720, 1280, 720, false},
		{1280, 720, 640, 360, false},
		{640, 480, 1280, 960, false},
		{640, 480, 320, 240, true},
		// Further cases for the record.
		{1280, 720, 1280, 720, true},
		{1280, 720, 1920, 1080, false},
		{1280, 720, 854, 480, false},
		{1280, 720, 160, 90, true},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%dx%d→%dx%d", tc.sw, tc.sh, tc.w, tc.h)
		if tc.mirror {
			name += "/mirrored"
		}
		b.Run(name, func(b *testing.B) {
			src := camera(tc.sw, tc.sh)
			var c Converter
			dst := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
			c.ConvertInto(dst, src, tc.mirror) // size the buffers
			b.ReportAllocs()
			for b.Loop() {
				if err := c.ConvertInto(dst, src, tc.mirror); err != nil {
					b.Fatal(err)
				}
			}
			reportFrameTime(b)
		})
	}
}

// BenchmarkConvertOddOrigin covers a sub-image starting at an odd
// coordinate, which has its chroma spread to full resolution first.
func BenchmarkConvertOddOrigin(b *testing.B) {
	src := camera(1282, 722).SubImage(image.Rect(1, 1, 1281, 721)).(*image.YCbCr)
	var c Converter
	dst := image.NewRGBA(image.Rect(0, 0, 640, 360))
	c.ConvertInto(dst, src, false) // size the buffers
	b.ReportAllocs()
	for b.Loop() {
		if err := c.ConvertInto(dst, src, false); err != nil {
			b.Fatal(err)
		}
	}
	reportFrameTime(b)
}

// BenchmarkGoDraw is the standard library's own conversion, for the
// record: image/draw's YCbCr→RGBA fast path at the same size (it cannot
// scale, and uses full-range JFIF colours).
func BenchmarkGoDraw(b *testing.B) {
	src := camera(1280, 720)
	dst := image.NewRGBA(src.Rect)
	b.ReportAllocs()
	for b.Loop() {
		draw.Draw(dst, dst.Rect, src, image.Point{}, draw.Src)
	}
	reportFrameTime(b)
}
