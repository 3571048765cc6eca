package media

import (
	"image"
	"image/color"
)

// i420Converter turns pictures of any layout into even-sized 4:2:0 YCbCr,
// reusing its buffer. 4:2:0 input passes through untouched.
type i420Converter struct {
	buf *image.YCbCr
}

func (c *i420Converter) target(w, h int) *image.YCbCr {
	if c.buf == nil || c.buf.Rect.Dx() != w || c.buf.Rect.Dy() != h {
		c.buf = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	return c.buf
}

// convert returns img as 4:2:0 with even width and height (cropping a
// trailing odd row or column), or nil for an empty picture.
func (c *i420Converter) convert(img image.Image) *image.YCbCr {
	b := img.Bounds()
	w, h := b.Dx()&^1, b.Dy()&^1
	if w == 0 || h == 0 {
		return nil
	}
	if y, ok := img.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio420 &&
		b.Min.X%2 == 0 && b.Min.Y%2 == 0 && b.Dx() == w && b.Dy() == h {
		return y
	}
	dst := c.target(w, h)
	if y, ok := img.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio422 {
		// Cameras deliver YUYV as 4:2:2: keep luma, average chroma rows.
		for row := 0; row < h; row++ {
			copy(dst.Y[row*dst.YStride:row*dst.YStride+w], y.Y[y.YOffset(b.Min.X, b.Min.Y+row):])
		}
		for row := 0; row < h/2; row++ {
			a := y.COffset(b.Min.X, b.Min.Y+2*row)
			d := dst.COffset(0, 2*row)
			for x := 0; x < w/2; x++ {
				dst.Cb[d+x] = uint8((int(y.Cb[a+x]) + int(y.Cb[a+x+y.CStride]) + 1) / 2)
				dst.Cr[d+x] = uint8((int(y.Cr[a+x]) + int(y.Cr[a+x+y.CStride]) + 1) / 2)
			}
		}
		return dst
	}
	// Anything else (RGBA, grey, 4:4:4, …) goes through color.YCbCr per
	// pixel, taking the top-left sample of each 2×2 block for chroma.
	for row := 0; row < h; row++ {
		for x := 0; x < w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+row).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			dst.Y[row*dst.YStride+x] = yy
			if row%2 == 0 && x%2 == 0 {
				i := dst.COffset(x, row)
				dst.Cb[i], dst.Cr[i] = cb, cr
			}
		}
	}
	return dst
}
