package yuv

import (
	"fmt"
	"image"
)

// Scaler resizes 4:2:0 pictures in the YUV domain, for an encoder that
// sends fewer pixels than the camera gives. It keeps its output picture
// between calls, so scaling a stream allocates nothing once the size
// settles. The zero value is ready to use; it is not safe for concurrent
// use.
type Scaler struct {
	out *image.YCbCr
	in  Converter // validates and describes sources
}

// Scale returns src resampled to w×h (both even, at least 2), in a picture
// owned by the Scaler and valid until the next call. src must be 4:2:0
// with its rectangle starting at even coordinates, as sources and the
// decoder deliver pictures.
func (s *Scaler) Scale(src *image.YCbCr, w, h int) (*image.YCbCr, error) {
	if src == nil || src.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, fmt.Errorf("%w: scaling needs a 4:2:0 picture", ErrInvalid)
	}
	r := src.Rect
	if r.Min.X < 0 || r.Min.Y < 0 || r.Min.X%2 != 0 || r.Min.Y%2 != 0 {
		return nil, fmt.Errorf("%w: picture starts at odd coordinates %v", ErrInvalid, r.Min)
	}
	if w < 2 || h < 2 || w%2 != 0 || h%2 != 0 || w > MaxSize || h > MaxSize {
		return nil, fmt.Errorf("%w: cannot scale to %dx%d", ErrInvalid, w, h)
	}
	p, err := s.in.source(src)
	if err != nil {
		return nil, err
	}
	if s.out == nil || s.out.Rect.Dx() != w || s.out.Rect.Dy() != h {
		s.out = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	o := s.out
	dst := planar{y: &o.Y[0], u: &o.Cb[0], v: &o.Cr[0], ys: o.YStride, cs: o.CStride, w: w, h: h, sub: sub420}
	if err := scale(p, dst); err != nil {
		return nil, err
	}
	return o, nil
}
