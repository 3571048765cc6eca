package vp8

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"sync"
	"testing"

	"peercall/media/motion"
	"peercall/media/quality"
)

// The denoiser's worth, measured on camera-like clips (a photograph filmed
// with sensor noise, media/quality): each clip is coded twice over at a
// fixed rate, as the call's encoder would code it, and the second pass is
// decoded and compared with the clip as sent and with the scene (the same
// clip filmed without noise), which is what a viewer wants to see.

// denoiseClip is one camera filmed for the measurement.
type denoiseClip struct {
	name  string
	cam   quality.Camera
	sent  []*image.YCbCr
	scene []*image.YCbCr
}

var denoiseClips = sync.OnceValues(func() ([]*denoiseClip, error) {
	photo, err := quality.LoadPhoto(filepath.Join(quality.PhotoDir, "Blinds.jpg"))
	if err != nil {
		return nil, err
	}
	clips := []*denoiseClip{
		{name: "still-noisy", cam: quality.Camera{Noise: 4, Seed: 21}},
		{name: "still", cam: quality.Camera{Noise: 2, Seed: 22}},
		{name: "moving", cam: quality.Camera{Pan: 0.15, Zoom: 0.25, Noise: 2, Seed: 23}},
	}
	for _, c := range clips {
		c.cam.Width, c.cam.Height, c.cam.Frames = 640, 480, 150
		c.sent = c.cam.Clip(photo)
		clean := c.cam
		clean.Noise = 0
		c.scene = clean.Clip(photo)
	}
	return clips, nil
})

// denoiseResult is one coding of a clip.
type denoiseResult struct {
	psnrSent, psnrScene, ssimScene, kbps float64
}

// autoDenoise stands for the sender's choice: level 2 while the camera is
// still, off while media/motion says it moves.
const autoDenoise = -1

// codeClip codes the clip twice over at kbps with the denoiser at level
// (or autoDenoise) and measures the second pass.
func codeClip(tb testing.TB, c *denoiseClip, kbps, level int) denoiseResult {
	var moving *motion.Detector
	if level == autoDenoise {
		moving, level = motion.New(), 2
	}
	enc, err := NewEncoder(EncoderConfig{Width: 640, Height: 480, FPS: 30, BitrateKbps: kbps, Denoise: level})
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder()
	if err != nil {
		tb.Fatal(err)
	}
	defer dec.Close()
	band := quality.BandRows(640)
	var r denoiseResult
	var bytes, n int
	for pass := range 2 {
		for i, img := range c.sent {
			if moving != nil {
				l := 2
				if moving.Add(img) {
					l = 0
				}
				if err := enc.SetDenoise(l); err != nil {
					tb.Fatal(err)
				}
			}
			frame, _, err := enc.Encode(img, false)
			if err != nil {
				tb.Fatal(err)
			}
			if len(frame) == 0 {
				continue // dropped by the rate controller
			}
			out, err := dec.Decode(frame)
			if err != nil {
				tb.Fatal(err)
			}
			if pass == 0 {
				continue
			}
			bytes += len(frame)
			n++
			r.psnrSent += quality.PSNR(out, c.sent[i], band)
			r.psnrScene += quality.PSNR(out, c.scene[i], band)
			r.ssimScene += quality.SSIM(out, c.scene[i], band)
		}
	}
	if n == 0 {
		tb.Fatal("every picture was dropped")
	}
	r.psnrSent /= float64(n)
	r.psnrScene /= float64(n)
	r.ssimScene /= float64(n)
	r.kbps = float64(bytes*8) / (float64(len(c.sent)) / 30) / 1000
	return r
}

// BenchmarkDenoiser codes each clip at 800 and 1700 kbit/s with the
// denoiser off and at the levels a call might use. make bench reports it.
func BenchmarkDenoiser(b *testing.B) {
	clips, err := denoiseClips()
	if err != nil {
		b.Skipf("needs Debian's mate-backgrounds photographs: %v", err)
	}
	for _, c := range clips {
		for _, kbps := range []int{800, 1700} {
			for _, level := range []int{0, 1, 2, 4, autoDenoise} {
				name := fmt.Sprint(level)
				if level == autoDenoise {
					name = "auto"
				}
				b.Run(fmt.Sprintf("%s/%dk/denoise%s", c.name, kbps, name), func(b *testing.B) {
					var r denoiseResult
					for range b.N {
						r = codeClip(b, c, kbps, level)
					}
					b.ReportMetric(r.psnrSent, "psnr-sent-dB")
					b.ReportMetric(r.psnrScene, "psnr-scene-dB")
					b.ReportMetric(r.ssimScene, "ssim-scene")
					b.ReportMetric(r.kbps, "kbps")
				})
			}
		}
	}
}

// The denoiser's level is checked, and can change between pictures.
func TestSetDenoise(t *testing.T) {
	if _, err := NewEncoder(EncoderConfig{Width: 64, Height: 64, Denoise: 7}); err == nil {
		t.Error("denoiser level 7 accepted")
	}
	enc, err := NewEncoder(EncoderConfig{Width: 64, Height: 64, Denoise: 2})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	for _, level := range []int{2, 0, 4, 1} {
		if err := enc.SetDenoise(level); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if got := enc.Config().Denoise; got != level {
			t.Errorf("config says level %d after setting %d", got, level)
		}
		if _, _, err := enc.Encode(img, false); err != nil {
			t.Fatalf("encoding at level %d: %v", level, err)
		}
	}
	if err := enc.SetDenoise(-1); err == nil {
		t.Error("level -1 accepted")
	}
	enc.Close()
	if err := enc.SetDenoise(2); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
