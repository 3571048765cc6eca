package quality

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"

	"peercall/media/y4m"
	"peercall/media/yuv"
)

// photo is a small synthetic photograph: smooth colour ramps with a
// checkered patch, so that motion and noise show.
func photo(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 128, 255}
			if (x/6+y/6)%2 == 0 && x > w/3 && x < 2*w/3 {
				c.B = 230
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func TestCameraClipIsMarkedAndNoisy(t *testing.T) {
	cam := Camera{Width: 160, Height: 120, Frames: 12, Pan: 0.2, Zoom: 0.2, Noise: 3, Seed: 1}
	clip := cam.Clip(photo(400, 300))
	if len(clip) != 12 {
		t.Fatalf("%d pictures", len(clip))
	}
	for n, img := range clip {
		if got, ok := ReadMark(img); !ok || got != n {
			t.Errorf("picture %d reads as %d (%v)", n, got, ok)
		}
	}
	// The camera moves: picture 6 (the far end of the path) differs from
	// picture 0 much more than the noise makes two still pictures differ.
	still := Camera{Width: 160, Height: 120, Frames: 2, Noise: 3, Seed: 2}.Clip(photo(400, 300))
	band := BandRows(160)
	noiseOnly, moved := PSNR(still[0], still[1], band), PSNR(clip[0], clip[6], band)
	if moved > noiseOnly-6 {
		t.Errorf("PSNR between the path's ends %.1f dB, between two still noisy pictures %.1f dB: the camera did not move", moved, noiseOnly)
	}
	// Two independent draws of noise σ=3 on luma (σ=1.5 on chroma): a
	// difference of variance 18 on 4 of 6 samples and 4.5 on the others,
	// about 35.7 dB.
	if noiseOnly < 34.5 || noiseOnly > 37 {
		t.Errorf("PSNR between two still pictures %.1f dB, want about 35.7 for noise of σ 3", noiseOnly)
	}
	// The path goes there and back: the last picture is next to the first.
	if end := PSNR(clip[0], clip[11], band); end < moved+3 {
		t.Errorf("PSNR last to first %.1f dB, want well above the path's ends' %.1f: the loop jumps", end, moved)
	}
}

func TestPSNRAndSSIM(t *testing.T) {
	a := Camera{Width: 160, Height: 120, Frames: 1, Seed: 3}.Clip(photo(200, 150))[0]
	b := image.NewYCbCr(a.Rect, a.SubsampleRatio)
	copy(b.Y, a.Y)
	copy(b.Cb, a.Cb)
	copy(b.Cr, a.Cr)
	band := BandRows(160)
	if p, s := PSNR(a, b, band), SSIM(a, b, band); p != 99 || s != 1 {
		t.Errorf("identical pictures: PSNR %v, SSIM %v; want 99 and 1", p, s)
	}
	for _, plane := range [][]byte{b.Y, b.Cb, b.Cr} {
		for i := range plane {
			plane[i] = byte(min(int(plane[i])+2, 255))
		}
	}
	// Every sample 2 off (none clipped in this photo): MSE 4.
	if p := PSNR(a, b, band); math.Abs(p-10*math.Log10(255*255/4.0)) > 0.05 {
		t.Errorf("all samples 2 off: PSNR %.3f, want 42.11", p)
	}
	// A brightness shift barely changes structure; a blur does.
	if s := SSIM(a, b, band); s < 0.99 {
		t.Errorf("all samples 2 off: SSIM %.4f, want about 1", s)
	}
	var sc yuv.Scaler
	small, _ := sc.Scale(a, 40, 30)
	var up yuv.Scaler
	blurred, _ := up.Scale(small, 160, 120)
	if s := SSIM(a, blurred, band); s > 0.95 {
		t.Errorf("a picture blurred to a quarter's size: SSIM %.4f, want clearly under 1", s)
	}
}

// The analysis names what a viewer saw: pictures repeated, skipped,
// unreadable, shown smaller, and the clip's loop.
func TestAnalyze(t *testing.T) {
	sent := Camera{Width: 160, Height: 120, Frames: 6, Pan: 0.3, Noise: 2, Seed: 4}.Clip(photo(400, 300))
	var buf bytes.Buffer
	w, err := y4m.NewWriter(&buf, y4m.Header{Width: 160, Height: 120, RateNum: 30, RateDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	var sc yuv.Scaler
	write := func(img *image.YCbCr) {
		if img.Rect.Dx() != 160 {
			img, _ = sc.Scale(img, 160, 120)
		}
		if err := w.Write(img); err != nil {
			t.Fatal(err)
		}
	}
	var half yuv.Scaler
	smaller, _ := half.Scale(sent[4], 80, 60)
	unreadable := image.NewYCbCr(sent[0].Rect, sent[0].SubsampleRatio) // all black: no mark
	// Shown: 0 1 1 3 [unreadable] 4 (sent at half size) 5, then the loop:
	// 0 1. Skipped: 2. Repeated: one.
	for _, img := range []*image.YCbCr{sent[0], sent[1], sent[1], sent[3], unreadable, smaller, sent[5], sent[0], sent[1]} {
		write(img)
	}
	w.Flush()
	r, err := y4m.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(r, sent)
	if err != nil {
		t.Fatal(err)
	}
	if res.Received != 9 || res.Unread != 1 || res.Repeated != 1 || res.Skipped != 1 {
		t.Errorf("%v; want 9 pictures, 1 unread, 1 repeated, 1 skipped", res)
	}
	// Seven pictures are exact (99 dB), the smaller one is blurred.
	if res.PSNRMean < 80 || res.PSNRP5 > 45 || res.SSIMP5 > 0.99 || res.SSIMMean < 0.9 {
		t.Errorf("%v; want exact pictures and one blurred", res)
	}
	t.Log(res)
}
