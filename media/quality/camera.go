package quality

import (
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
)

// Camera describes a clip made from a photograph as a camera would film
// it: a view of Width×Height that moves over the photograph, and sensor
// noise drawn afresh for every picture.
type Camera struct {
	Width, Height int
	Frames        int
	// Pan is how far the view travels across the photograph, as a
	// fraction of the photograph's width, and Zoom how much closer it
	// gets (0.25: the view narrows to 80 %); both go there and back over
	// the clip on a smooth curve, so that the clip loops without a jump.
	// Zero for a camera on a tripod.
	Pan, Zoom float64
	// Noise is the sensor noise's standard deviation in luma levels;
	// chroma gets half of it.
	Noise float64
	// Seed makes the noise repeatable.
	Seed uint64
}

// PhotoDir holds the photographs the benchmarks film (Debian's
// mate-backgrounds package).
const PhotoDir = "/usr/share/backgrounds/mate/nature"

// LoadPhoto reads a JPEG photograph.
func LoadPhoto(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// planes444 is a photograph in video-range BT.601 Y, Cb and Cr at full
// resolution, as float32 for sampling between pixels.
type planes444 struct {
	w, h      int
	y, cb, cr []float32
}

func toPlanes(photo image.Image) planes444 {
	b := photo.Bounds()
	p := planes444{w: b.Dx(), h: b.Dy()}
	n := p.w * p.h
	p.y, p.cb, p.cr = make([]float32, n), make([]float32, n), make([]float32, n)
	for y := range p.h {
		for x := range p.w {
			r, g, bl, _ := photo.At(b.Min.X+x, b.Min.Y+y).RGBA()
			rf, gf, bf := float64(r)/65535, float64(g)/65535, float64(bl)/65535
			i := y*p.w + x
			p.y[i] = float32(16 + 65.481*rf + 128.553*gf + 24.966*bf)
			p.cb[i] = float32(128 - 37.797*rf - 74.203*gf + 112.0*bf)
			p.cr[i] = float32(128 + 112.0*rf - 93.786*gf - 18.214*bf)
		}
	}
	return p
}

// sample reads plane v at (x, y) between pixels, bilinearly.
func (p *planes444) sample(v []float32, x, y float64) float64 {
	x = min(max(x, 0), float64(p.w-1))
	y = min(max(y, 0), float64(p.h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, p.w-1), min(y0+1, p.h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	top := float64(v[y0*p.w+x0])*(1-fx) + float64(v[y0*p.w+x1])*fx
	bot := float64(v[y1*p.w+x0])*(1-fx) + float64(v[y1*p.w+x1])*fx
	return top*(1-fy) + bot*fy
}

// Clip films the photograph: Frames 4:2:0 pictures, each marked with its
// number (Mark).
func (c Camera) Clip(photo image.Image) []*image.YCbCr {
	p := toPlanes(photo)
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	// The widest view of the photograph with the clip's aspect.
	aspect := float64(c.Width) / float64(c.Height)
	viewW := math.Min(float64(p.w)*(1-c.Pan), float64(p.h)*aspect)
	clip := make([]*image.YCbCr, c.Frames)
	for n := range c.Frames {
		phase := 0.5 - 0.5*math.Cos(2*math.Pi*float64(n)/float64(c.Frames)) // 0 → 1 → 0
		vw := viewW / (1 + c.Zoom*phase)
		vh := vw / aspect
		// The view's centre moves across by Pan of the width; it stays
		// inside the photograph.
		cx := viewW/2 + phase*c.Pan*float64(p.w)
		cy := float64(p.h) / 2
		cx = min(max(cx, vw/2), float64(p.w)-vw/2)
		x0, y0 := cx-vw/2, cy-vh/2
		sx, sy := vw/float64(c.Width), vh/float64(c.Height)

		img := image.NewYCbCr(image.Rect(0, 0, c.Width, c.Height), image.YCbCrSubsampleRatio420)
		for y := range c.Height {
			for x := range c.Width {
				v := p.sample(p.y, x0+(float64(x)+0.5)*sx-0.5, y0+(float64(y)+0.5)*sy-0.5) + c.Noise*rng.NormFloat64()
				img.Y[y*img.YStride+x] = clampByte(v)
			}
		}
		for y := range c.Height / 2 {
			for x := range c.Width / 2 {
				px, py := x0+(float64(2*x)+1)*sx-0.5, y0+(float64(2*y)+1)*sy-0.5
				i := y*img.CStride + x
				img.Cb[i] = clampByte(p.sample(p.cb, px, py) + c.Noise/2*rng.NormFloat64())
				img.Cr[i] = clampByte(p.sample(p.cr, px, py) + c.Noise/2*rng.NormFloat64())
			}
		}
		Mark(img, n)
		clip[n] = img
	}
	return clip
}

func clampByte(v float64) byte {
	return byte(min(max(math.Round(v), 0), 255))
}
