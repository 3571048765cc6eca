package vp8

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// scene renders a moving synthetic sequence: a textured landscape that pans
// diagonally, with a bright box sliding across it, so every frame carries
// global and local motion as a camera picture would.
type scene struct {
	w, h    int
	texture []uint8 // luma, texW×texH
	texW    int
	texH    int
}

func newScene(w, h int) *scene {
	s := &scene{w: w, h: h, texW: w + 512, texH: h + 512}
	s.texture = make([]uint8, s.texW*s.texH)
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < s.texH; y++ {
		for x := 0; x < s.texW; x++ {
			v := 128 +
				50*math.Sin(float64(x)/23+float64(y)/41) +
				30*math.Sin(float64(x*y)/9000) +
				float64(r.IntN(17)-8)
			s.texture[y*s.texW+x] = uint8(min(max(v, 16), 235))
		}
	}
	return s
}

// frame draws frame n into img (allocating it when nil).
func (s *scene) frame(n int, img *image.YCbCr) *image.YCbCr {
	if img == nil {
		img = image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
	}
	ox, oy := (n*3)%512, (n*2)%512
	for y := 0; y < s.h; y++ {
		copy(img.Y[y*img.YStride:y*img.YStride+s.w], s.texture[(y+oy)*s.texW+ox:])
	}
	bw, bh := s.w/6, s.h/6
	bx := (n * 7) % (s.w - bw)
	by := s.h/2 + int(float64(s.h/4)*math.Sin(float64(n)/8)) - bh/2
	for y := by; y < by+bh; y++ {
		for x := bx; x < bx+bw; x++ {
			v := uint8(220)
			if ((x-bx)/8+(y-by)/8)%2 == 0 {
				v = 40
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	cw, ch := (s.w+1)/2, (s.h+1)/2
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			img.Cb[y*img.CStride+x] = uint8(128 + 40*math.Sin(float64(x+n)/30))
			img.Cr[y*img.CStride+x] = uint8(128 + 40*math.Cos(float64(y+n)/25))
		}
	}
	return img
}

func lumaPSNR(a, b *image.YCbCr) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var sse float64
	for y := 0; y < h; y++ {
		ra := a.Y[y*a.YStride : y*a.YStride+w]
		rb := b.Y[y*b.YStride : y*b.YStride+w]
		for x := range ra {
			d := float64(ra[x]) - float64(rb[x])
			sse += d * d
		}
	}
	if sse == 0 {
		return 100
	}
	return 10 * math.Log10(255*255*float64(w*h)/sse)
}

func mustEncoder(t testing.TB, cfg EncoderConfig) *Encoder {
	t.Helper()
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatalf("NewEncoder(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func mustDecoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// encodeSequence encodes n frames of a scene and returns copies of the
// frames (dropped frames omitted).
func encodeSequence(t testing.TB, cfg EncoderConfig, n int) [][]byte {
	t.Helper()
	e := mustEncoder(t, cfg)
	s := newScene(cfg.Width, cfg.Height)
	var img *image.YCbCr
	var frames [][]byte
	for i := range n {
		img = s.frame(i, img)
		f, _, err := e.Encode(img, false)
		if err != nil {
			t.Fatalf("Encode frame %d: %v", i, err)
		}
		if len(f) > 0 {
			frames = append(frames, bytes.Clone(f))
		}
	}
	return frames
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		w, h, kbps int
		minPSNR    float64
	}{
		{640, 480, 1000, 30},
		{320, 240, 500, 30},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			e := mustEncoder(t, EncoderConfig{Width: tc.w, Height: tc.h, FPS: 30, BitrateKbps: tc.kbps})
			d := mustDecoder(t)
			s := newScene(tc.w, tc.h)
			var img *image.YCbCr
			var total, worst float64 = 0, 100
			decoded, bytesOut := 0, 0
			for i := range 60 {
				img = s.frame(i, img)
				f, key, err := e.Encode(img, false)
				if err != nil {
					t.Fatalf("Encode %d: %v", i, err)
				}
				if i == 0 && !key {
					t.Fatalf("first frame is not a keyframe")
				}
				if len(f) == 0 {
					continue
				}
				if key != IsKeyframe(f) {
					t.Errorf("frame %d: Encode says keyframe=%v, IsKeyframe=%v", i, key, IsKeyframe(f))
				}
				bytesOut += len(f)
				pic, err := d.Decode(f)
				if err != nil {
					t.Fatalf("Decode %d: %v", i, err)
				}
				if got := pic.Rect; got != image.Rect(0, 0, tc.w, tc.h) {
					t.Fatalf("decoded size %v, want %dx%d", got, tc.w, tc.h)
				}
				if pic.SubsampleRatio != image.YCbCrSubsampleRatio420 {
					t.Fatalf("decoded chroma %v", pic.SubsampleRatio)
				}
				p := lumaPSNR(img, pic)
				total += p
				worst = min(worst, p)
				decoded++
			}
			if decoded < 55 {
				t.Errorf("only %d of 60 frames were encoded", decoded)
			}
			avg := total / float64(decoded)
			kbps := float64(bytesOut*8) / 2 / 1000
			t.Logf("%dx%d @%d kbit/s: %d frames, %.0f kbit/s out, luma PSNR avg %.1f dB, worst %.1f dB",
				tc.w, tc.h, tc.kbps, decoded, kbps, avg, worst)
			if avg < tc.minPSNR || worst < tc.minPSNR-3 {
				t.Errorf("luma PSNR avg %.1f dB / worst %.1f dB below floor %.0f dB", avg, worst, tc.minPSNR)
			}
		})
	}
}

func TestForceKeyframe(t *testing.T) {
	e := mustEncoder(t, EncoderConfig{Width: 320, Height: 240, BitrateKbps: 600})
	d := mustDecoder(t)
	s := newScene(320, 240)
	var img *image.YCbCr
	keys := 0
	for i := range 40 {
		img = s.frame(i, img)
		force := i == 15 || i == 30
		f, key, err := e.Encode(img, force)
		if err != nil {
			t.Fatal(err)
		}
		if force && (!key || !IsKeyframe(f)) {
			t.Errorf("frame %d: forced keyframe came out as keyframe=%v (%d bytes)", i, key, len(f))
		}
		if key {
			keys++
		}
		if len(f) > 0 {
			if _, err := d.Decode(f); err != nil {
				t.Fatalf("Decode %d: %v", i, err)
			}
		}
	}
	if keys != 3 {
		t.Errorf("got %d keyframes, want 3 (first + 2 forced)", keys)
	}
}

func TestKeyframeRecoversDecoder(t *testing.T) {
	frames := encodeSequence(t, EncoderConfig{Width: 320, Height: 240, BitrateKbps: 500}, 5)
	d := mustDecoder(t)
	// An inter frame before any keyframe cannot be decoded.
	if _, err := d.Decode(frames[2]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("inter frame first: err = %v, want ErrCorrupt", err)
	}
	for i, f := range frames {
		if _, err := d.Decode(f); err != nil {
			t.Fatalf("frame %d after the keyframe: %v", i, err)
		}
	}
}

func TestCorruptInput(t *testing.T) {
	frames := encodeSequence(t, EncoderConfig{Width: 320, Height: 240, BitrateKbps: 500}, 10)
	key := frames[0]
	r := rand.New(rand.NewPCG(3, 4))
	garbage := make([]byte, 3000)
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	bad := map[string][]byte{
		"empty":              nil,
		"one byte":           {0x00},
		"random bytes":       garbage,
		"truncated keyframe": key[:len(key)/3],
		"keyframe header":    key[:10],
		"bad start code":     append([]byte{key[0], key[1], key[2], 0x00, 0x00, 0x00}, key[6:]...),
		"zero size keyframe": append(append([]byte{}, key[:6]...), 0, 0, 0, 0),
	}
	for name, f := range bad {
		d := mustDecoder(t)
		pic, err := d.Decode(f)
		if err == nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Decode = %v, %v; want an ErrCorrupt error", name, pic, err)
		}
	}

	// A decoder that saw damage must still take a keyframe afterwards.
	d := mustDecoder(t)
	if _, err := d.Decode(garbage); err == nil {
		t.Fatal("garbage decoded")
	}
	if _, err := d.Decode(key); err != nil {
		t.Fatalf("keyframe after garbage: %v", err)
	}
}

// TestMutatedFramesDoNotCrash feeds many damaged copies of a real stream:
// every call must return (a picture or an error) without crashing.
func TestMutatedFramesDoNotCrash(t *testing.T) {
	frames := encodeSequence(t, EncoderConfig{Width: 320, Height: 240, BitrateKbps: 500}, 20)
	d := mustDecoder(t)
	r := rand.New(rand.NewPCG(5, 6))
	errs := 0
	for round := range 300 {
		for i, f := range frames {
			g := bytes.Clone(f)
			switch r.IntN(4) {
			case 0:
				for range 1 + r.IntN(8) {
					g[r.IntN(len(g))] ^= byte(1 << r.IntN(8))
				}
			case 1:
				g = g[:r.IntN(len(g))]
			case 2:
				g = append(g, g[r.IntN(len(g)):]...)
			}
			pic, err := d.Decode(g)
			if err != nil {
				errs++
				continue
			}
			if pic.Rect.Dx() <= 0 || len(pic.Y) < pic.YStride*pic.Rect.Dy() {
				t.Fatalf("round %d frame %d: bad picture %v", round, i, pic.Rect)
			}
		}
	}
	t.Logf("%d of %d damaged frames were rejected", errs, 300*len(frames))
}

func TestDecoderFollowsSizeChange(t *testing.T) {
	small := encodeSequence(t, EncoderConfig{Width: 320, Height: 240}, 5)
	large := encodeSequence(t, EncoderConfig{Width: 640, Height: 360}, 5)
	d := mustDecoder(t)
	for _, part := range []struct {
		frames [][]byte
		size   image.Rectangle
	}{
		{small, image.Rect(0, 0, 320, 240)},
		{large, image.Rect(0, 0, 640, 360)},
		{small, image.Rect(0, 0, 320, 240)},
	} {
		for i, f := range part.frames {
			pic, err := d.Decode(f)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if pic.Rect != part.size {
				t.Fatalf("frame %d: picture %v, want %v", i, pic.Rect, part.size)
			}
		}
	}
}

func TestSetBitrate(t *testing.T) {
	e := mustEncoder(t, EncoderConfig{Width: 640, Height: 480, BitrateKbps: 1500})
	s := newScene(640, 480)
	var img *image.YCbCr
	phase := func(n, offset int) float64 {
		total := 0
		for i := range n {
			img = s.frame(offset+i, img)
			f, _, err := e.Encode(img, false)
			if err != nil {
				t.Fatal(err)
			}
			if i >= n/2 { // let the rate controller settle
				total += len(f)
			}
		}
		return float64(total*8) / (float64(n/2) / 30) / 1000
	}
	high := phase(90, 0)
	if err := e.SetBitrate(250); err != nil {
		t.Fatal(err)
	}
	low := phase(90, 90)
	t.Logf("1500 kbit/s target → %.0f kbit/s; 250 kbit/s target → %.0f kbit/s", high, low)
	if low*2.5 > high {
		t.Errorf("lowering the bitrate from 1500 to 250 kbit/s changed output only from %.0f to %.0f kbit/s", high, low)
	}
	if err := e.SetBitrate(0); err == nil {
		t.Error("SetBitrate(0) succeeded")
	}
}

func TestSetBitrateConcurrent(t *testing.T) {
	e := mustEncoder(t, EncoderConfig{Width: 320, Height: 240})
	s := newScene(320, 240)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			if err := e.SetBitrate(200 + i%800); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var img *image.YCbCr
	for i := range 30 {
		img = s.frame(i, img)
		if _, _, err := e.Encode(img, false); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	frames := encodeSequence(t, EncoderConfig{Width: 640, Height: 480}, 15)
	d := mustDecoder(t)
	allocs := testing.AllocsPerRun(20, func() {
		for _, f := range frames {
			if _, err := d.Decode(f); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %.1f times per %d frames", allocs, len(frames))
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	e := mustEncoder(t, EncoderConfig{Width: 320, Height: 240})
	s := newScene(320, 240)
	pics := []*image.YCbCr{s.frame(0, nil), s.frame(1, nil), s.frame(2, nil)}
	n := 0
	allocs := testing.AllocsPerRun(30, func() {
		if _, _, err := e.Encode(pics[n%3], false); err != nil {
			t.Fatal(err)
		}
		n++
	})
	if allocs != 0 {
		t.Errorf("Encode allocates %.1f times per frame", allocs)
	}
}

func TestEncodeSubImage(t *testing.T) {
	// A picture cropped out of a larger one has strides wider than itself
	// and must encode from its own pixels.
	big := newScene(400, 300).frame(0, nil)
	sub := big.SubImage(image.Rect(40, 30, 360, 270)).(*image.YCbCr)
	e := mustEncoder(t, EncoderConfig{Width: 320, Height: 240, BitrateKbps: 2000})
	d := mustDecoder(t)
	var pic *image.YCbCr
	for range 5 {
		f, _, err := e.Encode(sub, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(f) > 0 {
			if pic, err = d.Decode(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	for y := range 240 {
		copy(want.Y[y*want.YStride:][:320], sub.Y[y*sub.YStride:])
	}
	if p := lumaPSNR(want, pic); p < 30 {
		t.Errorf("cropped picture decoded at %.1f dB", p)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Width: 641, Height: 480},
		{Width: 640, Height: 479},
		{Width: 0, Height: 480},
		{Width: -2, Height: 480},
		{Width: 640, Height: 480, FPS: -1},
		{Width: 640, Height: 480, BitrateKbps: -5},
		{Width: 640, Height: 480, CPUUsed: 17},
		{Width: 640, Height: 480, Threads: -1},
	} {
		if e, err := NewEncoder(cfg); err == nil {
			e.Close()
			t.Errorf("NewEncoder(%+v) succeeded", cfg)
		}
	}
	_, err := NewEncoder(EncoderConfig{Width: 641, Height: 481})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("odd")) {
		t.Errorf("odd size error = %v, want it to say the size is odd", err)
	}
}

func TestEncodeRejectsWrongPicture(t *testing.T) {
	e := mustEncoder(t, EncoderConfig{Width: 320, Height: 240})
	for name, img := range map[string]*image.YCbCr{
		"nil":        nil,
		"wrong size": image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420),
		"4:4:4":      image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio444),
		"short planes": {
			Y: make([]byte, 100), Cb: make([]byte, 100), Cr: make([]byte, 100),
			YStride: 320, CStride: 160, SubsampleRatio: image.YCbCrSubsampleRatio420,
			Rect: image.Rect(0, 0, 320, 240),
		},
	} {
		if _, _, err := e.Encode(img, false); err == nil {
			t.Errorf("%s: Encode succeeded", name)
		}
	}
}

func TestClose(t *testing.T) {
	e := mustEncoder(t, EncoderConfig{Width: 320, Height: 240})
	d := mustDecoder(t)
	img := newScene(320, 240).frame(0, nil)
	f, _, err := e.Encode(img, false)
	if err != nil {
		t.Fatal(err)
	}
	f = bytes.Clone(f)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := e.Encode(img, false); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if err := e.SetBitrate(500); !errors.Is(err, ErrClosed) {
		t.Errorf("SetBitrate after Close: %v", err)
	}
	d.Close()
	if _, err := d.Decode(f); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct{ w, h, lo, hi int }{
		{640, 480, 900, 1100},
		{1280, 720, 1800, 2200},
		{320, 240, 300, 600},
	} {
		if got := DefaultBitrateKbps(tc.w, tc.h); got < tc.lo || got > tc.hi {
			t.Errorf("DefaultBitrateKbps(%d, %d) = %d, want %d..%d", tc.w, tc.h, got, tc.lo, tc.hi)
		}
	}
	e := mustEncoder(t, EncoderConfig{Width: 640, Height: 480})
	cfg := e.Config()
	if cfg.FPS != 30 || cfg.BitrateKbps == 0 || cfg.Threads == 0 || cfg.CPUUsed != DefaultCPUUsed {
		t.Errorf("defaults not filled in: %+v", cfg)
	}
}

func benchmarkEncode(b *testing.B, w, h int) {
	e := mustEncoder(b, EncoderConfig{Width: w, Height: h, FPS: 30})
	s := newScene(w, h)
	pics := make([]*image.YCbCr, 60)
	for i := range pics {
		pics[i] = s.frame(i, nil)
	}
	// Warm the rate controller and speed selection up before timing.
	for i := range 30 {
		if _, _, err := e.Encode(pics[i], false); err != nil {
			b.Fatal(err)
		}
	}
	total := 0
	n := 0
	for b.Loop() {
		f, _, err := e.Encode(pics[(30+n)%len(pics)], false)
		if err != nil {
			b.Fatal(err)
		}
		total += len(f)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1e6, "ms/frame")
	b.ReportMetric(float64(total*8)/float64(n)*30/1000, "kbit/s@30fps")
}

func benchmarkDecode(b *testing.B, w, h int) {
	frames := encodeSequence(b, EncoderConfig{Width: w, Height: h, FPS: 30}, 60)
	d := mustDecoder(b)
	n := 0
	for b.Loop() {
		if _, err := d.Decode(frames[n%len(frames)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1e6, "ms/frame")
}

func BenchmarkEncode640x480(b *testing.B)  { benchmarkEncode(b, 640, 480) }
func BenchmarkEncode1280x720(b *testing.B) { benchmarkEncode(b, 1280, 720) }
func BenchmarkDecode640x480(b *testing.B)  { benchmarkDecode(b, 640, 480) }
func BenchmarkDecode1280x720(b *testing.B) { benchmarkDecode(b, 1280, 720) }
