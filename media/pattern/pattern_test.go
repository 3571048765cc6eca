package pattern

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"peercall/media/vp8"
)

var base = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func newPicture(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

func sameMilli(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() }

func TestStampRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	times := []time.Time{
		base, time.Now(), time.UnixMilli(0), time.UnixMilli(-1),
		time.UnixMilli(1<<47 - 1), time.UnixMilli(-1 << 47),
		time.Date(2100, 1, 1, 0, 0, 0, 999_999_999, time.UTC),
		time.Date(1900, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	for range 2000 {
		times = append(times, time.UnixMilli(r.Int64N(1<<48)-1<<47))
	}
	for _, sz := range [][2]int{{80, 40}, {320, 240}, {321, 241}, {640, 480}, {1280, 720}, {1920, 1080}} {
		img := newPicture(sz[0], sz[1])
		for _, tm := range times {
			Stamp(img, tm)
			got, ok := ReadStamp(img)
			if !ok || !sameMilli(got, tm) {
				t.Fatalf("%dx%d: ReadStamp = %v, %v; want %v", sz[0], sz[1], got, ok, tm)
			}
		}
	}
}

func TestStampFormats(t *testing.T) {
	// Any chroma layout and a picture cut out of a larger one.
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440,
	} {
		img := image.NewYCbCr(image.Rect(0, 0, 640, 480), ratio)
		Stamp(img, base)
		if got, ok := ReadStamp(img); !ok || !sameMilli(got, base) {
			t.Errorf("%v: ReadStamp = %v, %v", ratio, got, ok)
		}
	}
	big := newPicture(800, 600)
	for i := range big.Y {
		big.Y[i] = 77
	}
	sub := big.SubImage(image.Rect(81, 33, 721, 513)).(*image.YCbCr)
	Stamp(sub, base)
	if got, ok := ReadStamp(sub); !ok || !sameMilli(got, base) {
		t.Errorf("sub-image: ReadStamp = %v, %v", got, ok)
	}
	if big.Y[0] != 77 || big.Y[32*big.YStride+100] != 77 || big.Y[33*big.YStride+80] != 77 {
		t.Error("Stamp on a sub-image wrote outside it")
	}
	if _, ok := ReadStamp(big); ok {
		t.Error("ReadStamp found a time code in the parent picture")
	}
}

func TestReadStampRejects(t *testing.T) {
	w, h := 640, 480
	gradient := newPicture(w, h)
	for y := range h {
		for x := range w {
			gradient.Y[y*gradient.YStride+x] = uint8(x * 255 / w)
		}
	}
	vertical := newPicture(w, h)
	for y := range h {
		for x := range w {
			vertical.Y[y*vertical.YStride+x] = uint8(y * 255 / h)
		}
	}
	flat := newPicture(w, h)
	noise := newPicture(w, h)
	r := rand.New(rand.NewPCG(2, 2))
	for i := range noise.Y {
		noise.Y[i] = uint8(r.Uint32())
	}
	// Bars that happen to alternate like the sync cells.
	stripes := newPicture(w, h)
	for y := range h {
		for x := range w {
			if (x/(w/Columns))%2 == 0 {
				stripes.Y[y*stripes.YStride+x] = 235
			} else {
				stripes.Y[y*stripes.YStride+x] = 16
			}
		}
	}
	flipped := newPicture(w, h)
	Stamp(flipped, base)
	cw := w / Columns
	for y := 0; y < cw; y++ { // invert one data cell
		for x := 20 * cw; x < 21*cw; x++ {
			flipped.Y[y*flipped.YStride+x] ^= 235 ^ 16
		}
	}
	grey := newPicture(w, h)
	Stamp(grey, base)
	for y := 0; y < cw; y++ { // one cell half-way between black and white
		for x := 20 * cw; x < 21*cw; x++ {
			grey.Y[y*grey.YStride+x] = 126
		}
	}
	for name, img := range map[string]*image.YCbCr{
		"horizontal gradient": gradient,
		"vertical gradient":   vertical,
		"flat":                flat,
		"noise":               noise,
		"stripes":             stripes,
		"one cell flipped":    flipped,
		"one grey cell":       grey,
		"too narrow":          newPicture(MinWidth-2, 100),
		"nil":                 nil,
	} {
		if got, ok := ReadStamp(img); ok {
			t.Errorf("%s: ReadStamp found %v", name, got)
		}
	}
	// A picture that cannot hold the band is left alone.
	tiny := newPicture(40, 10)
	Stamp(tiny, base)
	for _, v := range tiny.Y {
		if v != 0 {
			t.Fatal("Stamp drew into a picture too small for the time code")
		}
	}
}

func TestGenerator(t *testing.T) {
	for _, sz := range [][2]int{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}, {642, 362}, {81, 49}} {
		g := NewGenerator(sz[0], sz[1])
		var prev []byte
		var first *image.YCbCr
		for i := range 200 {
			tm := base.Add(time.Duration(i) * 33 * time.Millisecond)
			img := g.Next(tm)
			if first == nil {
				first = img
			} else if img != first {
				t.Fatalf("%v: Next returned a new picture", sz)
			}
			if img.Rect != image.Rect(0, 0, sz[0], sz[1]) || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
				t.Fatalf("%v: picture %v %v", sz, img.Rect, img.SubsampleRatio)
			}
			got, ok := ReadStamp(img)
			if !ok || !sameMilli(got, tm) {
				t.Fatalf("%v frame %d: ReadStamp = %v, %v; want %v", sz, i, got, ok, tm)
			}
			// Everything below the time code moves every frame.
			band := BandHeight(sz[0]) * img.YStride
			if prev != nil && string(prev[band:]) == string(img.Y[band:]) {
				t.Fatalf("%v frame %d: picture did not change", sz, i)
			}
			prev = append(prev[:0], img.Y...)
		}
		// Drawing only what moves must give the same picture as a fresh
		// generator would after as many frames.
		g2 := NewGenerator(sz[0], sz[1])
		var img2 *image.YCbCr
		for i := range 200 {
			img2 = g2.Next(base.Add(time.Duration(i) * 33 * time.Millisecond))
		}
		if string(img2.Y) != string(first.Y) || string(img2.Cb) != string(first.Cb) || string(img2.Cr) != string(first.Cr) {
			t.Fatalf("%v: generators disagree", sz)
		}
	}
}

func TestGeneratorLeavesNoTrail(t *testing.T) {
	// After the box has moved on, the background under it is restored:
	// compare against a picture drawn from scratch at the same frame.
	g := NewGenerator(640, 480)
	for i := range 500 {
		g.Next(base)
		if i%50 != 0 {
			continue
		}
		want := NewGenerator(640, 480)
		want.n = g.n - 1
		want.boxX, want.boxY, want.boxVX, want.boxVY = g.boxX, g.boxY, g.boxVX, g.boxVY
		want.drawn = false
		wimg := want.Next(base)
		gimg := g.img
		if string(wimg.Y) != string(gimg.Y) || string(wimg.Cb) != string(gimg.Cb) {
			t.Fatalf("frame %d differs from a freshly drawn one", i)
		}
	}
}

func TestNewGeneratorTooSmall(t *testing.T) {
	for _, sz := range [][2]int{{MinWidth - 2, 100}, {640, 40}, {1920, 200}, {0, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewGenerator(%d, %d) did not panic", sz[0], sz[1])
				}
			}()
			NewGenerator(sz[0], sz[1])
		}()
	}
}

// TestThroughVP8 sends the pattern through the call's codec at modest
// bitrates: every decoded frame must carry exactly the time written.
func TestThroughVP8(t *testing.T) {
	cases := []struct{ w, h, kbps int }{
		{640, 480, 300},
		{1280, 720, 300},
		{320, 240, 300},
		{1920, 1080, 300},
		{1280, 720, 1500},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%d@%d", tc.w, tc.h, tc.kbps), func(t *testing.T) {
			if testing.Short() && tc.w > 1280 {
				t.Skip("large picture")
			}
			enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: tc.w, Height: tc.h, FPS: 30, BitrateKbps: tc.kbps})
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			dec, err := vp8.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			g := NewGenerator(tc.w, tc.h)
			decoded, worst := 0, 50
			for i := range 60 {
				tm := base.Add(time.Duration(i)*33*time.Millisecond + time.Duration(i*i)*time.Millisecond)
				frame, _, err := enc.Encode(g.Next(tm), false)
				if err != nil {
					t.Fatal(err)
				}
				if len(frame) == 0 {
					continue // dropped by the rate controller
				}
				pic, err := dec.Decode(frame)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				ms, margin, ok := readStamp(pic)
				if !ok || ms != tm.UnixMilli() {
					t.Fatalf("frame %d: read %d (ok=%v, margin %d%%), wrote %d", i, ms, ok, margin, tm.UnixMilli())
				}
				worst = min(worst, margin)
				decoded++
			}
			t.Logf("%d frames decoded, all stamps exact; weakest cell %d%% of contrast from the threshold (pristine 50%%, reject < 25%%)", decoded, worst)
			// At 1920×1080 and 300 kbit/s even the coarsest quantiser
			// overshoots, so the rate controller drops about two frames in
			// three; smaller pictures keep (almost) all of them.
			want := 55
			if tc.w*tc.h > 1280*720 {
				want = 15
			}
			if decoded < want {
				t.Errorf("only %d of 60 frames came through", decoded)
			}
		})
	}
}

// scale resamples the luma of src to w×h bilinearly (chroma grey).
func scale(src *image.YCbCr, w, h int) *image.YCbCr {
	dst := newPicture(w, h)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		fy := (float64(y)+0.5)*float64(sh)/float64(h) - 0.5
		y0 := int(math.Floor(fy))
		ay := fy - float64(y0)
		y0c, y1c := min(max(y0, 0), sh-1), min(max(y0+1, 0), sh-1)
		for x := range w {
			fx := (float64(x)+0.5)*float64(sw)/float64(w) - 0.5
			x0 := int(math.Floor(fx))
			ax := fx - float64(x0)
			x0c, x1c := min(max(x0, 0), sw-1), min(max(x0+1, 0), sw-1)
			p := func(xx, yy int) float64 { return float64(src.Y[yy*src.YStride+xx]) }
			v := (1-ay)*((1-ax)*p(x0c, y0c)+ax*p(x1c, y0c)) + ay*((1-ax)*p(x0c, y1c)+ax*p(x1c, y1c))
			dst.Y[y*dst.YStride+x] = uint8(math.Round(v))
		}
	}
	for i := range dst.Cb {
		dst.Cb[i], dst.Cr[i] = 128, 128
	}
	return dst
}

func TestReadStampAfterScaling(t *testing.T) {
	for _, tc := range []struct{ w, h, sw, sh int }{
		{1280, 720, 640, 360},
		{1280, 720, 854, 480},
		{1920, 1080, 320, 180},
		{640, 480, 960, 720},
		{640, 480, 400, 300},
		{320, 240, 1280, 960},
	} {
		g := NewGenerator(tc.w, tc.h)
		for i := range 5 {
			tm := base.Add(time.Duration(i*37) * time.Millisecond)
			pic := scale(g.Next(tm), tc.sw, tc.sh)
			got, ok := ReadStamp(pic)
			if !ok || !sameMilli(got, tm) {
				t.Errorf("%dx%d scaled to %dx%d: ReadStamp = %v, %v; want %v", tc.w, tc.h, tc.sw, tc.sh, got, ok, tm)
				break
			}
		}
	}
}

func TestReadStampAfterVP8AndScaling(t *testing.T) {
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: 1280, Height: 720, BitrateKbps: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	g := NewGenerator(1280, 720)
	for i := range 30 {
		tm := base.Add(time.Duration(i) * 33 * time.Millisecond)
		frame, _, err := enc.Encode(g.Next(tm), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(frame) == 0 {
			continue
		}
		pic, err := dec.Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := ReadStamp(scale(pic, 640, 360)); !ok || !sameMilli(got, tm) {
			t.Fatalf("frame %d: ReadStamp = %v, %v; want %v", i, got, ok, tm)
		}
	}
}

func TestStampDoesNotAllocate(t *testing.T) {
	img := newPicture(1280, 720)
	g := NewGenerator(640, 480)
	allocs := testing.AllocsPerRun(50, func() {
		Stamp(img, base)
		ReadStamp(img)
		g.Next(base)
	})
	if allocs != 0 {
		t.Errorf("Stamp/ReadStamp/Next allocate %.1f times", allocs)
	}
}

func benchmarkNext(b *testing.B, w, h int) {
	g := NewGenerator(w, h)
	tm := base
	for b.Loop() {
		g.Next(tm)
		tm = tm.Add(33 * time.Millisecond)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/frame")
}

func BenchmarkNext640x480(b *testing.B)  { benchmarkNext(b, 640, 480) }
func BenchmarkNext1280x720(b *testing.B) { benchmarkNext(b, 1280, 720) }

func BenchmarkReadStamp1280x720(b *testing.B) {
	img := NewGenerator(1280, 720).Next(base)
	for b.Loop() {
		if _, ok := ReadStamp(img); !ok {
			b.Fatal("no stamp")
		}
	}
}
