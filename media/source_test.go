package media

import (
	"context"
	"image"
	"image/color"
	"testing"
	"time"

	// A camera driver that produces frames without hardware.
	_ "github.com/pion/mediadevices/pkg/driver/videotest"

	"peercall/media/pattern"
)

func TestCameraSourceDeliversI420Frames(t *testing.T) {
	cam, err := NewCameraSource("", 640, 480, 30)
	if err != nil {
		t.Fatalf("opening the test camera: %v", err)
	}
	defer cam.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		img, at, err := cam.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("frame is %v, want 4:2:0", img.SubsampleRatio)
		}
		if img.Rect.Dx() != 640 || img.Rect.Dy() != 480 {
			t.Fatalf("frame is %v, want 640x480", img.Rect)
		}
		if time.Since(at) > time.Second {
			t.Fatalf("capture time %v is stale", at)
		}
	}
	if cam.Name() != "camera" {
		t.Errorf("name %q", cam.Name())
	}
}

func TestPatternSourcePacesAndStamps(t *testing.T) {
	src, err := NewPatternSource(320, 240, 30)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		img, at, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stamp, ok := pattern.ReadStamp(img)
		if !ok || stamp.UnixMilli() != at.UnixMilli() {
			t.Fatalf("frame %d stamp %v (ok %v), want its capture time %v", i, stamp, ok, at)
		}
	}
	src.Close()
	if _, _, err := src.ReadFrame(ctx); err == nil {
		t.Error("a closed source still gave frames")
	}
	if _, err := NewPatternSource(17, 240, 30); err == nil {
		t.Error("an odd width was accepted")
	}
}

func TestConverterMakesEven420(t *testing.T) {
	var c i420Converter
	// 4:2:2 as cameras deliver YUYV, with an odd height to crop.
	src := image.NewYCbCr(image.Rect(0, 0, 64, 49), image.YCbCrSubsampleRatio422)
	for i := range src.Y {
		src.Y[i] = 100
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 60, 200
	}
	out := c.convert(src)
	if out.SubsampleRatio != image.YCbCrSubsampleRatio420 || out.Rect.Dx() != 64 || out.Rect.Dy() != 48 {
		t.Fatalf("got %v %v", out.SubsampleRatio, out.Rect)
	}
	if out.Y[0] != 100 || out.Cb[0] != 60 || out.Cr[0] != 200 {
		t.Errorf("samples changed: %d %d %d", out.Y[0], out.Cb[0], out.Cr[0])
	}
	// Any other picture goes through colour conversion.
	rgba := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := 0; i < 32*32; i++ {
		rgba.Set(i%32, i/32, color.RGBA{255, 0, 0, 255})
	}
	out = c.convert(rgba)
	y, cb, cr := color.RGBToYCbCr(255, 0, 0)
	if out.Y[0] != y || out.Cb[0] != cb || out.Cr[0] != cr {
		t.Errorf("red became %d %d %d, want %d %d %d", out.Y[0], out.Cb[0], out.Cr[0], y, cb, cr)
	}
	// 4:2:0 passes through untouched.
	i420 := image.NewYCbCr(image.Rect(0, 0, 32, 32), image.YCbCrSubsampleRatio420)
	if c.convert(i420) != i420 {
		t.Error("a 4:2:0 picture was copied")
	}
}
