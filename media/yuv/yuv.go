// Package yuv turns Peercall's decoded video pictures into RGBA images of
// exactly the size the window will draw them at.
//
// The VP8 decoder and the camera deliver 4:2:0 *image.YCbCr pictures whose
// samples are limited-range ("studio swing", Y 16–235, Cb/Cr 16–240) BT.601.
// Fyne re-scales and re-converts anything that is not an *image.RGBA of the
// drawn size on the CPU at every refresh, so the receive and self-view paths
// convert each frame once, here, and hand Fyne a ready RGBA image.
//
// A Converter does the work with libyuv: it scales in the YUV domain (box
// filter when shrinking, bilinear when enlarging), mirrors (for the
// self-view) at whichever end of the pipeline is smaller, and converts to
// RGBA last, writing straight into the destination. It keeps its
// intermediate buffers between frames, so converting a stream of
// same-sized frames allocates nothing.
//
// Colour handling: the output is what a video player shows for BT.601
// limited-range input (black at Y=16, white at Y=235). This deliberately
// differs from image.YCbCr's own At/RGBA methods, which use the full-range
// JPEG (JFIF) equations and would show video slightly washed out.
//
// A Converter must not be used by two goroutines at once; use one per video
// stream (the remote picture and the self-view each have their own).
package yuv

import (
	"fmt"
	"image"
)

// MaxSize is the largest width or height, in pixels, of a source picture or
// a destination image that a Converter accepts.
const MaxSize = 1 << 14

// subsampling is the chroma layout of a planar picture libyuv can process.
type subsampling uint8

const (
	sub420 subsampling = iota // chroma halved in both directions
	sub422                    // chroma halved horizontally
	sub444                    // chroma at full resolution
)

// planar describes a planar YUV picture by its first samples, in Go or C
// memory. The u and v planes share a stride.
type planar struct {
	y, u, v *byte
	ys, cs  int
	w, h    int
	sub     subsampling
}

// chromaDims is the size of the chroma planes of a w×h picture; odd sizes
// round up, as in libyuv and image.YCbCr.
func chromaDims(w, h int, s subsampling) (cw, ch int) {
	switch s {
	case sub420:
		return (w + 1) / 2, (h + 1) / 2
	case sub422:
		return (w + 1) / 2, h
	}
	return w, h
}

func (p planar) chromaSize() (cw, ch int) { return chromaDims(p.w, p.h, p.sub) }

// stride rounds a row length up to 64 bytes, which keeps the rows of
// Converter-owned buffers aligned for libyuv's vector code.
func stride(n int) int { return (n + 63) &^ 63 }

// grow returns b resliced to n bytes, allocating only when b is too small.
// Contents are not preserved.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// planeBuf is reusable memory for one intermediate planar picture.
type planeBuf struct{ y, u, v []byte }

// view sizes b for a w×h picture with layout s and describes it.
func (b *planeBuf) view(w, h int, s subsampling) planar {
	cw, ch := chromaDims(w, h, s)
	ys, cs := stride(w), stride(cw)
	b.y = grow(b.y, ys*h)
	b.u = grow(b.u, cs*ch)
	b.v = grow(b.v, cs*ch)
	return planar{y: &b.y[0], u: &b.u[0], v: &b.v[0], ys: ys, cs: cs, w: w, h: h, sub: s}
}

// Converter turns 4:2:0 pictures into RGBA at a requested size, reusing its
// buffers. The zero value is ready to use. It reads 4:2:0, 4:2:2 and 4:4:4
// planes in place, in Go or C memory. It also accepts the other chroma
// layouts image.YCbCr can describe, and sub-images whose rectangle starts
// at an odd or negative coordinate; those take a slower path (about
// 0.3 ms more at 720p) that first spreads the chroma to one sample per
// pixel, exactly as image.YCbCr pairs chroma with pixels.
//
// A Converter is not safe for concurrent use.
type Converter struct {
	out    *image.RGBA // what Convert returns
	mid    planeBuf    // mirrored picture
	scaled planeBuf    // scaled picture
	step   planeBuf    // intermediate step of a large reduction
	full   planeBuf    // chroma spread to full resolution (u and v only)
	cols   []int32     // chroma column of each pixel, for spreading
	rgba   []byte      // converted picture awaiting an RGBA mirror
}

// Convert scales src to exactly w×h (aspect handling is the caller's job;
// see Fit), optionally mirrored left–right (for the self-view), and returns
// an RGBA image owned by the Converter, valid until the next Convert with
// that Converter. Alpha is opaque. It returns nil when w or h is outside
// 1…MaxSize or src is unusable; ConvertInto reports why.
//
// To hand pictures to another goroutine that draws them later, convert into
// images the caller owns with ConvertInto instead.
func (c *Converter) Convert(src *image.YCbCr, w, h int, mirror bool) *image.RGBA {
	if w <= 0 || h <= 0 || w > MaxSize || h > MaxSize {
		return nil
	}
	if c.out == nil || c.out.Rect.Dx() != w || c.out.Rect.Dy() != h {
		c.out = Reuse(c.out, w, h)
	}
	if c.ConvertInto(c.out, src, mirror) != nil {
		return nil
	}
	return c.out
}

// ConvertInto scales src to the size of dst's rectangle, optionally mirrored
// left–right, and writes it into dst, which may be a sub-image. Alpha is
// opaque. dst stays the caller's: a goroutine that converts frames for a
// drawing thread can alternate between two or three images (see Reuse) and
// allocate nothing per frame.
//
// On error dst is left untouched.
func (c *Converter) ConvertInto(dst *image.RGBA, src *image.YCbCr, mirror bool) error {
	if dst == nil {
		return fmt.Errorf("%w: nil destination", ErrInvalid)
	}
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	if dw <= 0 || dh <= 0 || dw > MaxSize || dh > MaxSize {
		return fmt.Errorf("%w: destination is %dx%d", ErrInvalid, dw, dh)
	}
	// A sub-image's Pix starts at its rectangle's first pixel.
	if dst.Stride < 4*dw || len(dst.Pix) < (dh-1)*dst.Stride+4*dw {
		return fmt.Errorf("%w: destination pixels do not cover %dx%d at stride %d", ErrInvalid, dw, dh, dst.Stride)
	}
	s, err := c.source(src)
	if err != nil {
		return err
	}
	return c.run(s, &dst.Pix[0], dst.Stride, dw, dh, mirror, RGBX)
}

// ConvertPixels is ConvertInto for a picture of w×h 32-bit pixels in
// order, stride bytes a row, at the start of dst: memory shared with a
// window system, say. The fourth byte of each pixel is opaque alpha.
func (c *Converter) ConvertPixels(dst []byte, stride, w, h int, order PixelOrder, src *image.YCbCr, mirror bool) error {
	if w <= 0 || h <= 0 || w > MaxSize || h > MaxSize {
		return fmt.Errorf("%w: destination is %dx%d", ErrInvalid, w, h)
	}
	if stride < 4*w || len(dst) < (h-1)*stride+4*w {
		return fmt.Errorf("%w: destination pixels do not cover %dx%d at stride %d", ErrInvalid, w, h, stride)
	}
	s, err := c.source(src)
	if err != nil {
		return err
	}
	return c.run(s, &dst[0], stride, w, h, mirror, order)
}

// Stage at which the picture is mirrored.
const (
	atNone   = iota
	atSource // in YUV, before scaling
	atTarget // in YUV, after scaling
	atRGBA   // in RGBA, after conversion
)

// run takes the source picture s through scaling, mirroring and conversion
// into the dw×dh pixels (in order) at dst.
func (c *Converter) run(s planar, dst *byte, dstStride, dw, dh int, mirrorLR bool, order PixelOrder) error {
	at := atNone
	if mirrorLR {
		// Mirror the smaller of the two pictures. Horizontally subsampled
		// chroma of an odd width cannot be mirrored in YUV without moving
		// the chroma by a pixel (the unpaired last column would become the
		// first), so such pictures are mirrored in RGBA instead.
		w := s.w
		at = atSource
		if s.w*s.h > dw*dh {
			at, w = atTarget, dw
		}
		if w%2 == 1 && s.sub != sub444 {
			at = atRGBA
		}
	}
	if at == atSource {
		m := c.mid.view(s.w, s.h, s.sub)
		mirror(s, m)
		s = m
	}
	if s.w != dw || s.h != dh {
		// Scaling is always done in YUV, before conversion: 1.5 bytes a
		// pixel rather than 4. (libyuv's RGBA scaler would still be 20–45%
		// faster for enlargements by ratios other than 2, measured here,
		// but its vector column filter loses 1/128 of every value: white
		// comes out 253, and so does alpha.)
		//
		// libyuv's box filter divides each sum by a truncated reciprocal of
		// the box area, which drifts for large boxes (by 12% at 160×, and
		// its 16-bit sums overflow beyond that); so large reductions go in
		// steps of at most 8× each way, where that drift stays under a
		// tenth of a code value. (Each step still rounds its averages
		// down, by less than one.)
		bufs := [2]*planeBuf{&c.scaled, &c.step}
		i := 0
		for s.w > 8*dw || s.h > 8*dh {
			t := bufs[i].view(max(dw, (s.w+7)/8), max(dh, (s.h+7)/8), s.sub)
			if err := scale(s, t); err != nil {
				return err
			}
			s, i = t, 1-i
		}
		t := bufs[i].view(dw, dh, s.sub)
		if err := scale(s, t); err != nil {
			return err
		}
		s = t
	}
	if at == atTarget {
		m := c.mid.view(dw, dh, s.sub)
		mirror(s, m)
		s = m
	}
	if at != atRGBA {
		return toPixels(s, dst, dstStride, order)
	}
	rs := stride(4 * dw)
	c.rgba = grow(c.rgba, rs*dh)
	if err := toPixels(s, &c.rgba[0], rs, order); err != nil {
		return err
	}
	return mirrorRGBA(&c.rgba[0], rs, dst, dstStride, dw, dh)
}

// source validates src and describes it for libyuv: directly when libyuv
// can read it as it is, otherwise through a copy of its chroma spread to one
// sample per pixel (the luma plane is always read in place).
func (c *Converter) source(src *image.YCbCr) (planar, error) {
	if src == nil {
		return planar{}, fmt.Errorf("%w: nil source", ErrInvalid)
	}
	r := src.Rect
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 || w > MaxSize || h > MaxSize {
		return planar{}, fmt.Errorf("%w: source is %dx%d", ErrInvalid, w, h)
	}
	if src.YStride < w || len(src.Y) < (h-1)*src.YStride+w {
		return planar{}, fmt.Errorf("%w: luma plane does not cover %dx%d at stride %d", ErrInvalid, w, h, src.YStride)
	}
	// Chroma offsets grow with x and y, so the last pixel's is the largest
	// index any pixel uses (the first pixel's is 0).
	if src.CStride < 0 {
		return planar{}, fmt.Errorf("%w: negative chroma stride", ErrInvalid)
	}
	last := src.COffset(r.Max.X-1, r.Max.Y-1)
	if last < 0 || last >= len(src.Cb) || last >= len(src.Cr) {
		return planar{}, fmt.Errorf("%w: chroma planes do not cover %v", ErrInvalid, r)
	}

	// image.YCbCr pairs pixels for chroma by their absolute coordinates
	// (x/2 with Go's truncating division), libyuv by their position in the
	// picture; the two agree when the rectangle starts at an even,
	// non-negative coordinate in each subsampled direction.
	evenX := r.Min.X >= 0 && r.Min.X%2 == 0
	evenY := r.Min.Y >= 0 && r.Min.Y%2 == 0
	var sub subsampling
	direct := false
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		sub, direct = sub420, evenX && evenY
	case image.YCbCrSubsampleRatio422:
		sub, direct = sub422, evenX
	case image.YCbCrSubsampleRatio444:
		sub, direct = sub444, true
	}
	p := planar{y: &src.Y[0], ys: src.YStride, w: w, h: h, sub: sub}
	if direct {
		cw, ch := p.chromaSize()
		if src.CStride < cw && ch > 1 {
			return planar{}, fmt.Errorf("%w: chroma stride %d is shorter than a row", ErrInvalid, src.CStride)
		}
		p.u, p.v, p.cs = &src.Cb[0], &src.Cr[0], src.CStride
		return p, nil
	}
	c.spread(src, &p)
	return p, nil
}

// spread fills c.full's chroma planes with the chroma of every pixel of src,
// exactly as src.YCbCrAt would pick it, and points p at them as a 4:4:4
// picture.
func (c *Converter) spread(src *image.YCbCr, p *planar) {
	r := src.Rect
	w, h := p.w, p.h
	// The column part of a chroma offset does not depend on the row.
	if cap(c.cols) < w {
		c.cols = make([]int32, w)
	}
	cols := c.cols[:w]
	for x := range cols {
		cols[x] = int32(src.COffset(r.Min.X+x, r.Min.Y)) // row part is 0
	}
	cs := stride(w)
	c.full.u = grow(c.full.u, cs*h)
	c.full.v = grow(c.full.v, cs*h)
	prev := -1
	for y := range h {
		off := src.COffset(r.Min.X, r.Min.Y+y)
		u := c.full.u[y*cs : y*cs+w]
		v := c.full.v[y*cs : y*cs+w]
		if off == prev {
			// Same chroma row as the row above.
			copy(u, c.full.u[(y-1)*cs:])
			copy(v, c.full.v[(y-1)*cs:])
			continue
		}
		prev = off
		cb, cr := src.Cb[off:], src.Cr[off:]
		for x, k := range cols {
			u[x] = cb[k]
			v[x] = cr[k]
		}
	}
	p.u, p.v, p.cs, p.sub = &c.full.u[0], &c.full.v[0], cs, sub444
}

// Reuse returns a w×h RGBA image with its origin at (0, 0). It returns img
// itself when that already is one, and otherwise reuses img's pixel memory
// when it is large enough, allocating only when it is not (or img is nil).
// The contents are unspecified. Use it to keep a set of images for
// ConvertInto sized to the window without allocating on every frame.
func Reuse(img *image.RGBA, w, h int) *image.RGBA {
	if w < 0 || h < 0 {
		w, h = 0, 0
	}
	r := image.Rect(0, 0, w, h)
	if img != nil && img.Rect == r && img.Stride == 4*w && len(img.Pix) == 4*w*h {
		return img
	}
	if img != nil && cap(img.Pix) >= 4*w*h {
		return &image.RGBA{Pix: img.Pix[:4*w*h], Stride: 4 * w, Rect: r}
	}
	return image.NewRGBA(r)
}

// Fit returns the largest w×h with src's aspect ratio inside a box
// (letterboxing), even sizes. The side that fills the box is the box's,
// rounded down to even; the other is rounded to the nearest even number
// (so the aspect ratio is kept to within one pixel) and at least 2. It
// returns 0, 0 when any argument is not positive or the box is narrower or
// lower than 2 pixels.
func Fit(srcW, srcH, boxW, boxH int) (w, h int) {
	bw, bh := int64(boxW&^1), int64(boxH&^1)
	sw, sh := int64(srcW), int64(srcH)
	if sw <= 0 || sh <= 0 || bw < 2 || bh < 2 {
		return 0, 0
	}
	// even returns num/den rounded to the nearest even number, in 2…limit.
	even := func(num, den, limit int64) int64 {
		v := 2 * ((num + den) / (2 * den))
		return max(2, min(v, limit))
	}
	if sw*bh >= sh*bw {
		// Relatively wider than the box: full width, bars above and below.
		return int(bw), int(even(bw*sh, sw, bh))
	}
	return int(even(bh*sw, sh, bw)), int(bh)
}
