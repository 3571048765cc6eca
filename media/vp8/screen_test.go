package vp8_test

import (
	"image"
	"testing"
	"time"

	"peercall/media/mediatest"
	"peercall/media/quality"
	"peercall/media/vp8"
	"peercall/media/yuv"
)

// textFrame is page n of 12-point text as the screen source delivers it.
func textFrame(t testing.TB, w, h, n int) *image.YCbCr {
	t.Helper()
	page := mediatest.TextPage(w, h, n)
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	if err := yuv.FromRGB(img, page.Pix, page.Stride, w, h, yuv.RGBX); err != nil {
		t.Fatal(err)
	}
	return img
}

// screenShareQuality encodes a page of text for a second, changes every
// line, and returns the PSNR of the decoded picture against the new page
// one second (fps frames) after the change.
func screenShareQuality(t *testing.T, cfg vp8.EncoderConfig) float64 {
	t.Helper()
	enc, err := vp8.NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	pages := []*image.YCbCr{textFrame(t, cfg.Width, cfg.Height, 0), textFrame(t, cfg.Width, cfg.Height, 1)}
	var last *image.YCbCr
	var bytes int
	for i := range 2 * cfg.FPS {
		frame, _, err := enc.Encode(pages[i/cfg.FPS], i == 0)
		if err != nil {
			t.Fatal(err)
		}
		bytes += len(frame)
		if len(frame) == 0 {
			continue // dropped by the rate controller
		}
		img, err := dec.Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		last = img
	}
	if last == nil {
		t.Fatal("nothing decoded")
	}
	psnr := quality.PSNR(last, pages[1], 0)
	t.Logf("%dx%d at %d kbit/s, screen content %v: %.1f dB one second after the change, %.0f kbit/s sent",
		cfg.Width, cfg.Height, cfg.BitrateKbps, cfg.ScreenContent, psnr, float64(bytes*8)/2/1000)
	return psnr
}

// A 1920×1080 screen of 12-point text is readable on the other side one
// second after every line of it changed, at the bitrate a good link gives
// a shared screen, and sharper than with the camera's tuning.
func TestScreenContentKeepsTextSharp(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 1080p")
	}
	base := vp8.EncoderConfig{Width: 1920, Height: 1080, FPS: 15, BitrateKbps: 1500}
	screen := base
	screen.ScreenContent = true
	got := screenShareQuality(t, screen)
	camera := screenShareQuality(t, base)
	if got < 30 {
		t.Errorf("text one second after a change: %.1f dB, want at least 30", got)
	}
	if got <= camera {
		t.Errorf("screen-content tuning %.1f dB, camera tuning %.1f dB: want it sharper", got, camera)
	}
}

// BenchmarkScreenPageChange is what a shared 1920×1080 screen costs when
// every line of its text changes: encoding the new page (at a target a
// loopback call reaches, 3500 kbit/s) and decoding it. The frame's size
// is reported too.
func BenchmarkScreenPageChange(b *testing.B) {
	const w, h = 1920, 1080
	var pages []*image.YCbCr
	for n := range 8 {
		pages = append(pages, textFrame(b, w, h, n))
	}
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: w, Height: h, FPS: 15, BitrateKbps: 3500, ScreenContent: true})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	var encode, decode time.Duration
	var bytes, frames int
	b.ResetTimer()
	for i := range 2*b.N + 1 {
		start := time.Now()
		// A keyframe, then a new page every second frame (the one
		// between is the same page again, nearly free).
		frame, _, err := enc.Encode(pages[(i+1)/2%len(pages)], i == 0)
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(frame) == 0 {
			continue
		}
		start = time.Now()
		if _, err := dec.Decode(frame); err != nil {
			b.Fatal(err)
		}
		if i%2 == 1 {
			encode += took
			decode += time.Since(start)
			bytes += len(frame)
			frames++
		}
	}
	if frames > 0 {
		b.ReportMetric(float64(encode.Microseconds())/1000/float64(frames), "encode-ms")
		b.ReportMetric(float64(decode.Microseconds())/1000/float64(frames), "decode-ms")
		b.ReportMetric(float64(bytes)/1000/float64(frames), "frame-kB")
	}
}
