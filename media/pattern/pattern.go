// Package pattern is Peercall's synthetic video source and latency probe.
//
// A Generator draws a moving test picture (colour bars, a grey ramp, a
// scrolling striped band and a bouncing checkered box) for calls without a
// camera; the motion makes the encoder do real work, like a browser's fake
// camera. Every picture carries its capture time as a band of large black
// and white cells (see Stamp) that survives VP8 compression, so the
// receiver can read it back with ReadStamp after decoding and measure the
// call's glass-to-glass latency.
package pattern

import (
	"fmt"
	"image"
	"math"
	"time"
)

// Generator draws the test pattern. It is not safe for concurrent use.
type Generator struct {
	w, h   int
	img    *image.YCbCr // the picture handed out by Next
	bg     *image.YCbCr // the static picture under the moving parts
	n      int          // frames drawn
	bits   [dataBits]bool
	row    []byte // scratch luma row for the time code
	top    int    // first row of the moving area
	stripY int    // first row of the scrolling band
	// Scrolling band texture, period stripP pixels, stored stripP+w wide so
	// any window of w columns is contiguous.
	stripY0, stripCb, stripCr []byte
	stripP, stripStep         int
	// Bouncing box.
	box              *image.YCbCr // pre-drawn box picture
	boxX, boxY       int          // its current position (even)
	boxVX, boxVY     int          // speed in px per frame (even)
	boxMaxX, boxMaxY int
	drawn            bool // whether the box has been drawn at boxX, boxY
}

// NewGenerator prepares a generator of width×height pictures with 4:2:0
// chroma. It panics when the picture is too small to hold the time code
// and the moving parts: width must be at least MinWidth and height at least
// width/8 and 48 px.
func NewGenerator(width, height int) *Generator {
	if width < MinWidth || height < 48 || height < width/8 {
		panic(fmt.Sprintf("pattern: picture %d×%d too small (need width ≥ %d, height ≥ 48 and ≥ width/8)", width, height, MinWidth))
	}
	g := &Generator{w: width, h: height}
	band := BandHeight(width)
	g.top = band + band&1 // keep the moving parts on even rows
	g.stripY = even(height - max(height/8, 8))
	g.row = make([]byte, width)

	g.bg = image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	g.drawBackground()
	g.makeStrip()
	g.makeBox()

	g.img = image.NewYCbCr(g.bg.Rect, image.YCbCrSubsampleRatio420)
	copy(g.img.Y, g.bg.Y)
	copy(g.img.Cb, g.bg.Cb)
	copy(g.img.Cr, g.bg.Cr)
	return g
}

func even(v int) int { return v &^ 1 }

// Size returns the picture size.
func (g *Generator) Size() (width, height int) { return g.w, g.h }

// Next draws the next frame, stamped with t (the capture time), and returns
// it. Only the moving parts and the time code are redrawn. The picture is
// reused: it stays valid until the next call to Next.
func (g *Generator) Next(t time.Time) *image.YCbCr {
	g.scrollStrip()
	g.moveBox()
	g.bits = encodeBits(t.UnixMilli())
	stampRows(g.img, &g.bits, g.row)
	g.n++
	return g.img
}

// barColours are 75% colour bars in video-range BT.601 YCbCr: white,
// yellow, cyan, green, magenta, red, blue, black.
var barColours = [8][3]uint8{
	{180, 128, 128},
	{168, 44, 136},
	{145, 147, 44},
	{133, 63, 52},
	{63, 193, 204},
	{51, 109, 212},
	{28, 212, 120},
	{16, 128, 128},
}

// drawBackground paints the static parts: colour bars over the upper part
// of the moving area and a grey ramp with a chroma sweep below them.
func (g *Generator) drawBackground() {
	bg := g.bg
	cw, ch := (g.w+1)/2, (g.h+1)/2
	barsEnd := g.top + (g.stripY-g.top)*3/5
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			var v uint8
			switch {
			case y < g.top:
				v = 128 // under the time code
			case y < barsEnd:
				v = barColours[x*8/g.w][0]
			case y < g.stripY:
				v = uint8(16 + x*219/max(g.w-1, 1))
			default:
				v = 128
			}
			bg.Y[y*bg.YStride+x] = v
		}
	}
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			cb, cr := uint8(128), uint8(128)
			switch ly := y * 2; {
			case ly < g.top:
			case ly < barsEnd:
				c := barColours[min(x*2*8/g.w, 7)]
				cb, cr = c[1], c[2]
			case ly < g.stripY:
				cb = uint8(64 + x*128/max(cw-1, 1))
				cr = uint8(192 - x*128/max(cw-1, 1))
			}
			bg.Cb[y*bg.CStride+x] = cb
			bg.Cr[y*bg.CStride+x] = cr
		}
	}
}

// makeStrip precomputes the scrolling band: smooth light and dark blobs
// (a product of sine waves) with a slow colour wave, repeating every
// stripP pixels. Smooth content keeps the band cheap to code at low
// bitrates while its motion still exercises the encoder's motion search.
func (g *Generator) makeStrip() {
	stripH := g.h - g.stripY
	g.stripP = even(max(g.w/2, 64))
	g.stripStep = even(max(g.w/320, 2))
	tw := g.stripP + g.w
	g.stripY0 = make([]byte, stripH*tw)
	for y := range stripH {
		vy := math.Cos(2 * math.Pi * float64(y) / float64(stripH))
		for x := range tw {
			vx := math.Sin(2 * math.Pi * 4 * float64(x) / float64(g.stripP))
			g.stripY0[y*tw+x] = uint8(128 + 80*vx*vy)
		}
	}
	ctw, csh := tw/2, (stripH+1)/2
	g.stripCb = make([]byte, csh*ctw)
	g.stripCr = make([]byte, csh*ctw)
	for y := range csh {
		for x := range ctw {
			a := 2 * math.Pi * float64(2*x) / float64(g.stripP)
			g.stripCb[y*ctw+x] = uint8(128 + 40*math.Sin(a))
			g.stripCr[y*ctw+x] = uint8(128 + 40*math.Cos(a))
		}
	}
}

// scrollStrip copies the band's window for the current frame.
func (g *Generator) scrollStrip() {
	img := g.img
	tw := g.stripP + g.w
	off := (g.n * g.stripStep) % g.stripP
	stripH := g.h - g.stripY
	for y := range stripH {
		d := (g.stripY + y) * img.YStride
		copy(img.Y[d:d+g.w], g.stripY0[y*tw+off:])
	}
	ctw, cw := tw/2, (g.w+1)/2
	for y := range (stripH + 1) / 2 {
		d := (g.stripY/2 + y) * img.CStride
		s := y*ctw + off/2
		copy(img.Cb[d:d+cw], g.stripCb[s:s+cw])
		copy(img.Cr[d:d+cw], g.stripCr[s:s+cw])
	}
}

// makeBox pre-draws the bouncing box: an orange frame around a checkered
// face.
func (g *Generator) makeBox() {
	size := even(max(min(g.w, g.stripY-g.top)/4, 8))
	g.box = image.NewYCbCr(image.Rect(0, 0, size, size), image.YCbCrSubsampleRatio420)
	sq := max(size/6, 2)
	border := max(size/12, 2)
	for y := range size {
		for x := range size {
			v := uint8(230)
			switch {
			case x < border || y < border || x >= size-border || y >= size-border:
				v = 150
			case ((x-border)/sq+(y-border)/sq)%2 == 1:
				v = 30
			}
			g.box.Y[y*g.box.YStride+x] = v
		}
	}
	for y := range size / 2 {
		for x := range size / 2 {
			cb, cr := uint8(128), uint8(128)
			if 2*x < border || 2*y < border || 2*x >= size-border || 2*y >= size-border {
				cb, cr = 60, 190 // orange
			}
			g.box.Cb[y*g.box.CStride+x] = cb
			g.box.Cr[y*g.box.CStride+x] = cr
		}
	}
	g.boxMaxX = even(g.w - size)
	g.boxMaxY = even(g.stripY - g.top - size)
	g.boxVX = even(max(g.w/120, 2))
	g.boxVY = even(max(g.h/140, 2))
	g.boxX, g.boxY = 0, 0
}

// moveBox restores the background where the box was and draws it at its
// next position, bouncing off the edges of the moving area.
func (g *Generator) moveBox() {
	if g.drawn {
		x, y := g.boxX, g.top+g.boxY
		copySquare(g.img, x, y, g.bg, x, y, g.box.Rect.Dx())
		g.boxX, g.boxVX = bounce(g.boxX, g.boxVX, g.boxMaxX)
		g.boxY, g.boxVY = bounce(g.boxY, g.boxVY, g.boxMaxY)
	}
	copySquare(g.img, g.boxX, g.top+g.boxY, g.box, 0, 0, g.box.Rect.Dx())
	g.drawn = true
}

func bounce(pos, v, hi int) (int, int) {
	pos += v
	if pos < 0 {
		pos, v = -pos, -v
	}
	if pos > hi {
		pos, v = 2*hi-pos, -v
	}
	return min(max(pos, 0), hi), v
}

// copySquare copies the size×size square at (sx, sy) in src to (dx, dy) in
// dst; coordinates and size are even so the 4:2:0 chroma lines up.
func copySquare(dst *image.YCbCr, dx, dy int, src *image.YCbCr, sx, sy, size int) {
	for y := range size {
		d := (dy+y)*dst.YStride + dx
		s := (sy+y)*src.YStride + sx
		copy(dst.Y[d:d+size], src.Y[s:s+size])
	}
	for y := range size / 2 {
		d := (dy/2+y)*dst.CStride + dx/2
		s := (sy/2+y)*src.CStride + sx/2
		copy(dst.Cb[d:d+size/2], src.Cb[s:s+size/2])
		copy(dst.Cr[d:d+size/2], src.Cr[s:s+size/2])
	}
}
