package yuv

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// flat returns a w×h picture of one colour with the given chroma layout.
func flat(w, h int, ratio image.YCbCrSubsampleRatio, y, cb, cr uint8) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	for i := range img.Y {
		img.Y[i] = y
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = cb, cr
	}
	return img
}

// expandLimited maps a limited-range sample (luma 16–235 or chroma 16–240
// around 128) to full range, rounded and clamped, which is what Go's
// JFIF-based color.YCbCrToRGB expects.
func expandLimited(v uint8, chroma bool) uint8 {
	var f float64
	if chroma {
		f = (float64(v)-128)*255/224 + 128
	} else {
		f = (float64(v) - 16) * 255 / 219
	}
	return uint8(math.Round(max(0, min(255, f))))
}

// goRef is Go's own conversion corrected for range: color.YCbCrToRGB is
// full-range BT.601 (JFIF), so limited-range samples are first stretched to
// full range. Its Cr coefficient 1.402 times the chroma stretch 255/224 is
// 1.596, the limited-range BT.601 coefficient, and likewise for the others.
func goRef(y, cb, cr uint8) (r, g, b uint8) {
	return color.YCbCrToRGB(expandLimited(y, false), expandLimited(cb, true), expandLimited(cr, true))
}

// floatRef is the textbook limited-range BT.601 conversion.
func floatRef(y, cb, cr uint8) (r, g, b uint8) {
	yy := 1.164383 * (float64(y) - 16)
	u, v := float64(cb)-128, float64(cr)-128
	c := func(f float64) uint8 { return uint8(math.Round(max(0, min(255, f)))) }
	return c(yy + 1.596027*v), c(yy - 0.391762*u - 0.812968*v), c(yy + 2.017232*u)
}

func near(a, b uint8, tol int) bool { return math.Abs(float64(a)-float64(b)) <= float64(tol) }

func TestColours(t *testing.T) {
	// Expected values, derived with goRef; floatRef agrees to within 1:
	//   black  Y=16  Cb=128 Cr=128 →   0,   0,   0
	//   white  Y=235 Cb=128 Cr=128 → 255, 255, 255
	//   grey   Y=126 Cb=128 Cr=128 → 128, 128, 128
	//   red    Y=81  Cb=90  Cr=240 → 254,   0,   0 (Cr stretches to 255.5 → 255)
	//   green  Y=145 Cb=54  Cr=34  →   0, 255,   1
	//   blue   Y=41  Cb=240 Cr=110 →   1,   0, 254 (formula: 0, 0, 255)
	//   skin   Y=150 Cb=110 Cr=160 → 207, 137, 121 (formula: B 120)
	cases := []struct {
		name      string
		y, cb, cr uint8
		r, g, b   uint8
	}{
		{"black", 16, 128, 128, 0, 0, 0},
		{"white", 235, 128, 128, 255, 255, 255},
		{"grey", 126, 128, 128, 128, 128, 128},
		{"red", 81, 90, 240, 254, 0, 0},
		{"green", 145, 54, 34, 0, 255, 1},
		{"blue", 41, 240, 110, 1, 0, 254},
		{"skin", 150, 110, 160, 207, 137, 121},
	}
	type path struct {
		name         string
		ratio        image.YCbCrSubsampleRatio
		sw, sh, w, h int
		mirror       bool
		cropX, cropY int
	}
	paths := []path{
		{"same", image.YCbCrSubsampleRatio420, 64, 48, 64, 48, false, 0, 0},
		{"down", image.YCbCrSubsampleRatio420, 64, 48, 30, 20, false, 0, 0},
		{"up", image.YCbCrSubsampleRatio420, 64, 48, 130, 98, false, 0, 0},
		{"mirror", image.YCbCrSubsampleRatio420, 64, 48, 64, 48, true, 0, 0},
		{"mirror-odd", image.YCbCrSubsampleRatio420, 63, 47, 63, 47, true, 0, 0},
		{"odd-crop", image.YCbCrSubsampleRatio420, 64, 48, 40, 30, true, 1, 1},
		{"422", image.YCbCrSubsampleRatio422, 64, 48, 32, 24, false, 0, 0},
		{"444", image.YCbCrSubsampleRatio444, 64, 48, 64, 48, true, 0, 0},
		{"440", image.YCbCrSubsampleRatio440, 64, 48, 64, 48, false, 0, 0},
		{"tiny", image.YCbCrSubsampleRatio420, 2, 2, 2, 2, true, 0, 0},
	}
	var c Converter
	for _, tc := range cases {
		gr, gg, gb := goRef(tc.y, tc.cb, tc.cr)
		fr, fg, fb := floatRef(tc.y, tc.cb, tc.cr)
		if !near(gr, tc.r, 1) || !near(gg, tc.g, 1) || !near(gb, tc.b, 1) ||
			!near(fr, tc.r, 1) || !near(fg, tc.g, 1) || !near(fb, tc.b, 1) {
			t.Fatalf("%s: table says %d,%d,%d; Go-with-range %d,%d,%d; formula %d,%d,%d",
				tc.name, tc.r, tc.g, tc.b, gr, gg, gb, fr, fg, fb)
		}
		for _, p := range paths {
			src := flat(p.sw+p.cropX, p.sh+p.cropY, p.ratio, tc.y, tc.cb, tc.cr)
			src = src.SubImage(image.Rect(p.cropX, p.cropY, p.cropX+p.sw, p.cropY+p.sh)).(*image.YCbCr)
			out := c.Convert(src, p.w, p.h, p.mirror)
			if out == nil {
				t.Fatalf("%s/%s: Convert returned nil", tc.name, p.name)
			}
			if out.Rect != image.Rect(0, 0, p.w, p.h) {
				t.Fatalf("%s/%s: got %v", tc.name, p.name, out.Rect)
			}
			// libyuv's box filter (reductions beyond 2× that are not
			// exactly 4×) truncates its averages, so a flat picture can
			// come out one code value low in Y and Cb (blue 41,240,110
			// becomes 40,239,110): about 3 more units of blue. Every
			// other path must be within ±3.
			tol := 3
			if 2*p.w < p.sw && 2*p.h < p.sh {
				tol = 5
			}
			for y := range p.h {
				for x := range p.w {
					px := out.RGBAAt(x, y)
					if !near(px.R, gr, tol) || !near(px.G, gg, tol) || !near(px.B, gb, tol) || px.A != 255 {
						t.Fatalf("%s/%s: pixel %d,%d is %v, want %d,%d,%d,255 ±%d",
							tc.name, p.name, x, y, px, gr, gg, gb, tol)
					}
				}
			}
		}
	}
}

// limitedAt is the reference colour of one pixel of src: the samples
// image.YCbCr itself associates with it, converted as limited range.
func limitedAt(src *image.YCbCr, x, y int) (r, g, b uint8) {
	c := src.YCbCrAt(x, y)
	return goRef(c.Y, c.Cb, c.Cr)
}

// noise returns a picture of random samples within the legal ranges, over
// a rectangle that may start anywhere.
func noise(rng *rand.Rand, r image.Rectangle, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	img := image.NewYCbCr(r, ratio)
	for i := range img.Y {
		img.Y[i] = uint8(16 + rng.IntN(220))
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(16 + rng.IntN(225))
		img.Cr[i] = uint8(16 + rng.IntN(225))
	}
	return img
}

// TestPixelExact converts random pictures at their own size, where no
// filtering blurs anything, and checks every pixel against the colour Go
// gives it — which catches chroma that is off by a pixel, as happens when a
// sub-image starts at an odd coordinate or a mirror misplaces chroma pairs.
func TestPixelExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	rects := []image.Rectangle{
		image.Rect(0, 0, 2, 2),
		image.Rect(0, 0, 33, 17),
		image.Rect(0, 0, 64, 36),
		image.Rect(-5, -3, 30, 20),
		image.Rect(-4, -2, 30, 20),
	}
	// Sub-images of a parent, with every parity of origin and size.
	subs := []image.Rectangle{
		image.Rect(1, 1, 31, 21),
		image.Rect(1, 0, 32, 20),
		image.Rect(0, 1, 31, 22),
		image.Rect(2, 2, 30, 20),
		image.Rect(3, 5, 5, 7),
		image.Rect(7, 3, 40, 30),
	}
	var c Converter
	check := func(name string, src *image.YCbCr) {
		t.Helper()
		r := src.Rect
		for _, mirror := range []bool{false, true} {
			out := c.Convert(src, r.Dx(), r.Dy(), mirror)
			if out == nil {
				t.Fatalf("%s: Convert returned nil", name)
			}
			for y := range r.Dy() {
				for x := range r.Dx() {
					sx := x
					if mirror {
						sx = r.Dx() - 1 - x
					}
					wr, wg, wb := limitedAt(src, r.Min.X+sx, r.Min.Y+y)
					px := out.RGBAAt(x, y)
					if !near(px.R, wr, 3) || !near(px.G, wg, 3) || !near(px.B, wb, 3) {
						t.Fatalf("%s mirror=%v: pixel %d,%d is %d,%d,%d, want %d,%d,%d",
							name, mirror, x, y, px.R, px.G, px.B, wr, wg, wb)
					}
				}
			}
		}
	}
	for _, ratio := range ratios {
		for _, r := range rects {
			check(fmt.Sprintf("%v %v", ratio, r), noise(rng, r, ratio))
		}
		parent := noise(rng, image.Rect(0, 0, 48, 40), ratio)
		for _, r := range subs {
			check(fmt.Sprintf("%v sub %v", ratio, r), parent.SubImage(r).(*image.YCbCr))
		}
	}
}

// halves returns a w×h picture, white left of column edge and black from
// it on, as a sub-image starting at (ox, oy) of a larger one.
func halves(w, h, edge, ox, oy int) *image.YCbCr {
	img := flat(w+ox+1, h+oy+1, image.YCbCrSubsampleRatio420, 16, 128, 128)
	for y := range img.Rect.Dy() {
		for x := range ox + edge {
			img.Y[y*img.YStride+x] = 235
		}
	}
	return img.SubImage(image.Rect(ox, oy, ox+w, oy+h)).(*image.YCbCr)
}

// edgeAt returns the first column of row y on the other side of the edge
// from column 0 (0.5 grey as the threshold), or -1.
func edgeAt(img *image.RGBA, y int) int {
	left := img.RGBAAt(0, y).R >= 128
	for x := range img.Rect.Dx() {
		if (img.RGBAAt(x, y).R >= 128) != left {
			return x
		}
	}
	return -1
}

func TestScalingKeepsEdge(t *testing.T) {
	type src struct{ w, h, ox, oy int }
	sizes := [][2]int{
		{320, 240}, {160, 90}, {1280, 960}, {1920, 1080}, // down and up
		{200, 300}, {333, 101}, {97, 55}, {1000, 200}, // odd aspects and sizes
		{2, 2}, {4, 2}, {640, 480},
	}
	// Tiny sources are only enlarged moderately: libyuv's bilinear
	// enlargement steps in 1/128 of a source pixel, which at 300× is a
	// few output pixels.
	tiny := [][2]int{{2, 2}, {4, 2}, {8, 8}, {16, 12}, {66, 50}}
	cases := []struct {
		src
		sizes [][2]int
	}{
		{src{640, 480, 0, 0}, sizes},
		{src{1280, 720, 0, 0}, sizes},
		{src{320, 180, 1, 1}, sizes}, // odd origin
		{src{4, 4, 0, 0}, tiny},
		{src{2, 2, 0, 0}, tiny},
		{src{6, 2, 1, 0}, tiny},
	}
	var c Converter
	for _, tc := range cases {
		s := tc.src
		pic := halves(s.w, s.h, s.w/2, s.ox, s.oy)
		for _, sz := range tc.sizes {
			w, h := sz[0], sz[1]
			for _, mirror := range []bool{false, true} {
				out := c.Convert(pic, w, h, mirror)
				if out == nil {
					t.Fatalf("%v → %dx%d: nil", s, w, h)
				}
				// Left and right outer columns: white | black, or swapped.
				wantLeftWhite := !mirror
				for _, y := range []int{0, h / 2, h - 1} {
					l, r := out.RGBAAt(0, y).R, out.RGBAAt(w-1, y).R
					if (l >= 128) != wantLeftWhite || (r >= 128) == wantLeftWhite {
						t.Fatalf("%v → %dx%d mirror=%v row %d: left %d right %d", s, w, h, mirror, y, l, r)
					}
					// The edge lies at w/2 in continuous coordinates, so the
					// first pixel past it is column w/2 (rounded), ±1.
					e := edgeAt(out, y)
					if math.Abs(float64(e)-float64(w)/2) > 1 {
						t.Fatalf("%v → %dx%d mirror=%v row %d: edge at column %d, want %v±1",
							s, w, h, mirror, y, e, float64(w)/2)
					}
				}
			}
		}
	}
}

func TestConvertInto(t *testing.T) {
	var c Converter
	src := flat(64, 48, image.YCbCrSubsampleRatio420, 81, 90, 240)
	// Into a sub-image: only its rectangle changes.
	canvas := image.NewRGBA(image.Rect(0, 0, 50, 40))
	sub := canvas.SubImage(image.Rect(5, 7, 37, 31)).(*image.RGBA)
	if err := c.ConvertInto(sub, src, true); err != nil {
		t.Fatal(err)
	}
	for y := range 40 {
		for x := range 50 {
			px := canvas.RGBAAt(x, y)
			inside := image.Pt(x, y).In(sub.Rect)
			if inside && (px.R < 250 || px.G > 3 || px.A != 255) || !inside && px != (color.RGBA{}) {
				t.Fatalf("pixel %d,%d is %v (inside=%v)", x, y, px, inside)
			}
		}
	}

	bad := []struct {
		name string
		dst  *image.RGBA
		src  *image.YCbCr
	}{
		{"nil dst", nil, src},
		{"nil src", image.NewRGBA(image.Rect(0, 0, 4, 4)), nil},
		{"empty dst", image.NewRGBA(image.Rect(0, 0, 0, 4)), src},
		{"empty src", image.NewRGBA(image.Rect(0, 0, 4, 4)), src.SubImage(image.Rect(3, 3, 3, 9)).(*image.YCbCr)},
		{"short dst", &image.RGBA{Pix: make([]byte, 4*4*4-1), Stride: 16, Rect: image.Rect(0, 0, 4, 4)}, src},
		{"narrow dst stride", &image.RGBA{Pix: make([]byte, 4*4*4), Stride: 12, Rect: image.Rect(0, 0, 4, 4)}, src},
		{"huge dst", &image.RGBA{Rect: image.Rect(0, 0, MaxSize+1, 2)}, src},
		{"short luma", image.NewRGBA(image.Rect(0, 0, 4, 4)), &image.YCbCr{
			Y: make([]byte, 15), Cb: make([]byte, 4), Cr: make([]byte, 4), YStride: 4, CStride: 2,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 4, 4)}},
		{"short chroma", image.NewRGBA(image.Rect(0, 0, 4, 4)), &image.YCbCr{
			Y: make([]byte, 16), Cb: make([]byte, 4), Cr: make([]byte, 3), YStride: 4, CStride: 2,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 4, 4)}},
		{"short odd-origin chroma", image.NewRGBA(image.Rect(0, 0, 4, 4)), &image.YCbCr{
			Y: make([]byte, 16), Cb: make([]byte, 5), Cr: make([]byte, 5), YStride: 4, CStride: 3,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(1, 1, 5, 5)}},
		{"narrow luma stride", image.NewRGBA(image.Rect(0, 0, 4, 4)), &image.YCbCr{
			Y: make([]byte, 16), Cb: make([]byte, 4), Cr: make([]byte, 4), YStride: 3, CStride: 2,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 4, 4)}},
	}
	for _, b := range bad {
		before := []byte(nil)
		if b.dst != nil {
			before = append(before, b.dst.Pix...)
		}
		err := c.ConvertInto(b.dst, b.src, false)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", b.name, err)
		}
		if b.dst != nil && string(before) != string(b.dst.Pix) {
			t.Errorf("%s: destination changed", b.name)
		}
	}
	if c.Convert(src, 0, 10, false) != nil || c.Convert(nil, 10, 10, false) != nil {
		t.Error("Convert of nothing returned an image")
	}
}

// ConvertPixels in BGRX order gives ConvertInto's pixels with red and blue
// swapped, mirrored or not, scaled or not, at odd widths too; it writes
// nothing past each row's pixels and refuses a short buffer.
func TestConvertPixelsBGRX(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(16 + i*7%220)
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = byte(40+i*3%180), byte(200-i*5%150)
	}
	var c, ref Converter
	for _, tc := range []struct {
		w, h   int
		mirror bool
	}{{64, 48, false}, {64, 48, true}, {97, 61, true}, {31, 23, false}} {
		want := ref.Convert(src, tc.w, tc.h, tc.mirror)
		stride := 4*tc.w + 12
		buf := make([]byte, stride*tc.h)
		for i := range buf {
			buf[i] = 0x5a
		}
		if err := c.ConvertPixels(buf, stride, tc.w, tc.h, BGRX, src, tc.mirror); err != nil {
			t.Fatal(err)
		}
		for y := range tc.h {
			for x := range tc.w {
				p := buf[y*stride+4*x:]
				q := want.Pix[y*want.Stride+4*x:]
				if p[0] != q[2] || p[1] != q[1] || p[2] != q[0] || p[3] != 255 {
					t.Fatalf("%dx%d mirror=%v: pixel %d,%d is % x, want the B,G,R,A of % x", tc.w, tc.h, tc.mirror, x, y, p[:4], q[:4])
				}
			}
			for _, b := range buf[y*stride+4*tc.w : (y+1)*stride] {
				if b != 0x5a {
					t.Fatalf("%dx%d: row %d written past its pixels", tc.w, tc.h, y)
				}
			}
		}
	}
	if err := c.ConvertPixels(make([]byte, 4*8*8-1), 32, 8, 8, BGRX, src, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("a short buffer: got %v, want ErrInvalid", err)
	}
}

func TestFit(t *testing.T) {
	cases := []struct{ sw, sh, bw, bh, w, h int }{
		{1280, 720, 1920, 1080, 1920, 1080}, // same aspect, larger
		{1280, 720, 640, 360, 640, 360},     // same aspect, smaller
		{1280, 720, 800, 800, 800, 450},     // bars above and below
		{640, 480, 1000, 500, 666, 500},     // bars at the sides; 666.7 → 666
		{640, 480, 333, 333, 332, 250},      // odd box: 332 wide, 249 → 250
		{480, 640, 1920, 1080, 810, 1080},   // portrait in landscape
		{1280, 720, 1281, 721, 1280, 720},   // odd box rounds down
		{1280, 720, 1000, 561, 996, 560},    // bars at the sides, 995.6 → 996
		{1920, 1080, 100, 100, 100, 56},     // 56.25 → 56
		{1000, 1, 100, 100, 100, 2},         // extreme aspect: never below 2
		{1, 1000, 100, 100, 2, 100},
		{2, 2, 2, 2, 2, 2},
		{640, 480, 1, 100, 0, 0}, // box too narrow
		{640, 480, 100, 1, 0, 0},
		{0, 480, 100, 100, 0, 0},
		{640, -1, 100, 100, 0, 0},
		{640, 480, 0, 0, 0, 0},
	}
	for _, c := range cases {
		w, h := Fit(c.sw, c.sh, c.bw, c.bh)
		if w != c.w || h != c.h {
			t.Errorf("Fit(%d, %d, %d, %d) = %d, %d, want %d, %d", c.sw, c.sh, c.bw, c.bh, w, h, c.w, c.h)
		}
		if w%2 != 0 || h%2 != 0 || w > c.bw || h > c.bh {
			t.Errorf("Fit(%d, %d, %d, %d) = %d, %d: odd or outside the box", c.sw, c.sh, c.bw, c.bh, w, h)
		}
	}
}

func TestReuse(t *testing.T) {
	a := Reuse(nil, 8, 6)
	if a.Rect != image.Rect(0, 0, 8, 6) || len(a.Pix) != 8*6*4 {
		t.Fatalf("got %v with %d bytes", a.Rect, len(a.Pix))
	}
	if Reuse(a, 8, 6) != a {
		t.Error("same size did not return the image itself")
	}
	b := Reuse(a, 4, 4)
	if b.Rect != image.Rect(0, 0, 4, 4) || b.Stride != 16 || &b.Pix[0] != &a.Pix[0] {
		t.Error("smaller size did not reuse the pixels")
	}
	if d := Reuse(b, 16, 16); len(d.Pix) != 16*16*4 {
		t.Error("larger size not allocated")
	}
}

func TestNoAllocations(t *testing.T) {
	var c Converter
	hd := flat(1280, 720, image.YCbCrSubsampleRatio420, 100, 120, 140)
	vga := flat(640, 480, image.YCbCrSubsampleRatio420, 100, 120, 140)
	odd := flat(642, 482, image.YCbCrSubsampleRatio420, 100, 120, 140).SubImage(image.Rect(1, 1, 641, 481)).(*image.YCbCr)
	cases := []struct {
		name   string
		src    *image.YCbCr
		w, h   int
		mirror bool
	}{
		{"same", hd, 1280, 720, false},
		{"down", hd, 640, 360, false},
		{"up", vga, 1280, 960, false},
		{"down mirrored", vga, 320, 240, true},
		{"up mirrored", vga, 1280, 960, true},
		{"odd width mirrored", vga, 321, 240, true},
		{"odd origin", odd, 320, 240, true},
	}
	for _, tc := range cases {
		if n := testing.AllocsPerRun(20, func() { c.Convert(tc.src, tc.w, tc.h, tc.mirror) }); n != 0 {
			t.Errorf("Convert %s: %v allocations per frame", tc.name, n)
		}
		dst := [2]*image.RGBA{image.NewRGBA(image.Rect(0, 0, tc.w, tc.h)), image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))}
		i := 0
		if n := testing.AllocsPerRun(20, func() {
			if err := c.ConvertInto(dst[i%2], tc.src, tc.mirror); err != nil {
				t.Fatal(err)
			}
			i++
		}); n != 0 {
			t.Errorf("ConvertInto %s: %v allocations per frame", tc.name, n)
		}
	}
}
