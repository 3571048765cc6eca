package motion

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"peercall/media/quality"
)

// photo is a synthetic photograph with detail at several scales: value
// noise (random levels on grids of 64 and 24 pixels, interpolated) over
// colour ramps, and a fine checker.
func photo(w, h int) image.Image {
	rng := rand.New(rand.NewPCG(1, 2))
	grid := func(cell int) func(x, y int) float64 {
		gw, gh := w/cell+2, h/cell+2
		v := make([]float64, gw*gh)
		for i := range v {
			v[i] = rng.Float64()
		}
		return func(x, y int) float64 {
			gx, gy := float64(x)/float64(cell), float64(y)/float64(cell)
			x0, y0 := int(gx), int(gy)
			fx, fy := gx-float64(x0), gy-float64(y0)
			at := func(i, j int) float64 { return v[j*gw+i] }
			return (at(x0, y0)*(1-fx)+at(x0+1, y0)*fx)*(1-fy) + (at(x0, y0+1)*(1-fx)+at(x0+1, y0+1)*fx)*fy
		}
	}
	coarse, medium := grid(64), grid(24)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 30 + 100*coarse(x, y) + 80*medium(x, y) + 20*float64((x/3+y/3)%2)
			img.Set(x, y, color.RGBA{uint8(v), uint8(0.8*v + 40*float64(y)/float64(h)), uint8(0.7 * v), 255})
		}
	}
	return img
}

// movingShare is the share of a clip's pictures the detector calls moving,
// after the first second.
func movingShare(clip []*image.YCbCr) float64 {
	d := New()
	n := 0
	for i, img := range clip {
		if d.Add(img) && i >= 30 {
			n++
		}
	}
	return float64(n) / float64(len(clip)-30)
}

func TestStillAndMovingCameras(t *testing.T) {
	src := photo(1000, 700)
	for _, c := range []struct {
		name     string
		cam      quality.Camera
		min, max float64
	}{
		{"still, noisy", quality.Camera{Noise: 4, Seed: 1}, 0, 0.02},
		{"still, very noisy", quality.Camera{Noise: 8, Seed: 2}, 0, 0.02},
		{"still, clean", quality.Camera{Noise: 1, Seed: 3}, 0, 0.02},
		{"panning and zooming", quality.Camera{Pan: 0.15, Zoom: 0.25, Noise: 2, Seed: 4}, 0.8, 1},
	} {
		c.cam.Width, c.cam.Height, c.cam.Frames = 320, 240, 75
		got := movingShare(c.cam.Clip(src))
		t.Logf("%s: moving in %.0f %% of the pictures", c.name, 100*got)
		if got < c.min || got > c.max {
			t.Errorf("%s: moving in %.0f %% of the pictures, want %.0f–%.0f %%", c.name, 100*got, 100*c.min, 100*c.max)
		}
	}
}

// A person moving in front of a still camera is not the camera moving: a
// textured patch a fifth of the picture wide and two thirds high sweeps
// across it.
func TestPersonInFrontOfAStillCamera(t *testing.T) {
	clip := quality.Camera{Width: 320, Height: 240, Frames: 100, Noise: 3, Seed: 6}.Clip(photo(1000, 700))
	band := quality.BandRows(320) // the clip's picture numbers: not part of the scene
	for i, img := range clip {
		copy(img.Y[:band*img.YStride], clip[0].Y[:band*img.YStride])
		x0 := 20 + 4*(i%110) // there and back across the picture
		if i%110 >= 55 {
			x0 = 20 + 4*(110-i%110)
		}
		for y := 60; y < 220; y++ {
			for x := x0; x < x0+64; x++ {
				img.Y[y*img.YStride+x] = byte(90 + 80*(((x-x0)/6+y/9+i)%2))
			}
		}
	}
	if got := movingShare(clip); got > 0.05 {
		t.Errorf("a person moving in front of a still camera: the camera counted as moving in %.0f %% of the pictures", 100*got)
	}
}

// The camera counts as still again a second after it stops, and a change
// of picture size starts afresh.
func TestSettles(t *testing.T) {
	src := photo(1000, 700)
	moving := quality.Camera{Width: 320, Height: 240, Frames: 60, Pan: 0.5, Zoom: 0.3, Noise: 2, Seed: 7}.Clip(src)
	still := quality.Camera{Width: 320, Height: 240, Frames: 40, Noise: 2, Seed: 8}.Clip(src)
	d := New()
	for _, img := range moving[5:25] { // the fastest part of the pan
		d.Add(img)
	}
	if !d.Moving() {
		t.Fatal("a panning camera is not moving")
	}
	var settledAt int = -1
	for i, img := range still {
		if !d.Add(img) && settledAt < 0 {
			settledAt = i
		}
	}
	if settledAt < 25 || settledAt > 35 {
		t.Errorf("still again after %d pictures, want about 30", settledAt)
	}
	small := quality.Camera{Width: 160, Height: 120, Frames: 2, Pan: 0.2, Noise: 2, Seed: 9}.Clip(src)
	d.Add(moving[0])
	if d.Add(small[0]) {
		t.Error("the first picture of a new size counted as moving")
	}
	tiny := image.NewYCbCr(image.Rect(0, 0, 32, 24), image.YCbCrSubsampleRatio420)
	before := d.Moving()
	if d.Add(tiny) != before {
		t.Error("a picture too small to judge changed the answer")
	}
}

// BenchmarkAdd is the detector's cost for one 640×480 picture.
func BenchmarkAdd(b *testing.B) {
	clip := quality.Camera{Width: 640, Height: 480, Frames: 2, Pan: 0.2, Noise: 2, Seed: 10}.Clip(photo(1000, 700))
	d := New()
	i := 0
	for b.Loop() {
		d.Add(clip[i%2])
		i++
	}
}
