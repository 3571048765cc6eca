package yuv

import (
	"errors"
	"image"
	"testing"
)

// A picture scaled to half size keeps its content where it was: a bright
// left half stays the bright left half, and the chroma follows.
func TestScalerHalvesAndKeepsContent(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			v := uint8(16)
			if x < 320 {
				v = 235
			}
			src.Y[y*src.YStride+x] = v
		}
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 90, 200
	}
	var s Scaler
	out, err := s.Scale(src, 320, 240)
	if err != nil {
		t.Fatal(err)
	}
	if out.Rect != image.Rect(0, 0, 320, 240) || out.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("got %v %v", out.Rect, out.SubsampleRatio)
	}
	if l, r := out.Y[100*out.YStride+40], out.Y[100*out.YStride+280]; l < 230 || r > 20 {
		t.Errorf("left luma %d, right %d; want about 235 and 16", l, r)
	}
	if cb, cr := out.Cb[50*out.CStride+50], out.Cr[50*out.CStride+50]; cb != 90 || cr != 200 {
		t.Errorf("chroma %d,%d, want 90,200", cb, cr)
	}
	if n := testing.AllocsPerRun(10, func() { s.Scale(src, 320, 240) }); n != 0 {
		t.Errorf("%.0f allocations per picture at a settled size", n)
	}
}

func TestScalerRefusesWhatItCannotScale(t *testing.T) {
	var s Scaler
	src422 := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio422)
	src := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	odd := src.SubImage(image.Rect(1, 0, 64, 64)).(*image.YCbCr)
	for name, f := range map[string]func() error{
		"nil":      func() error { _, err := s.Scale(nil, 32, 32); return err },
		"4:2:2":    func() error { _, err := s.Scale(src422, 32, 32); return err },
		"odd size": func() error { _, err := s.Scale(src, 31, 32); return err },
		"odd x":    func() error { _, err := s.Scale(odd, 32, 32); return err },
		"zero":     func() error { _, err := s.Scale(src, 0, 0); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func BenchmarkScale720pTo540p(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	var s Scaler
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Scale(src, 960, 540); err != nil {
			b.Fatal(err)
		}
	}
}
