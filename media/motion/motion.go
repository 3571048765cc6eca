// Package motion tells a camera that moves from one that stands still,
// from the pictures alone: the sender turns the VP8 denoiser off while
// the whole picture moves (a laptop carried or turned, where the denoiser
// smears the picture) and back on when it settles (where it removes the
// sensor's noise).
//
// Each picture is shrunk to a thumbnail of 8×8-pixel block means (sensor
// noise shrinks more than fivefold, detail that matters to motion stays) and
// compared with the previous one in a grid of 6×4 regions: the mean
// absolute difference of each region. A person moving in front of a
// still camera changes a few regions; a moving camera changes most. The
// picture moves when the median region's difference is well above the
// still camera's own, learnt as the lowest median of the last few seconds
// (the noise's share), and the camera counts as moving from the first
// such picture until one second of pictures has gone by without one.
package motion

import "image"

const (
	block             = 8 // thumbnail cell, pixels
	regionsX          = 6
	regionsY          = 4
	marginLevels      = 1.0 // thumbnail luma levels above twice the floor that count as motion
	settlePictures    = 30  // pictures without motion before the camera counts as still
	minThumbWidth     = regionsX * 2
	minThumbHeight    = regionsY * 2
	initialFloor      = 0.5 // thumbnail luma levels, before any picture was seen
	floorRisePerFrame = 1.01
)

// Detector follows one camera's pictures. The zero value is not usable;
// make one with New. It is not safe for concurrent use.
type Detector struct {
	prev, cur []float32
	tw, th    int
	floor     float64 // the still camera's median difference, learnt
	sinceMove int     // pictures since the last one that moved
	moving    bool
}

// New makes a detector.
func New() *Detector { return &Detector{floor: initialFloor, sinceMove: settlePictures} }

// Moving reports whether the camera was moving as of the last picture.
func (d *Detector) Moving() bool { return d.moving }

// Add takes the next picture and reports whether the camera is moving.
// Pictures too small to judge leave the answer as it was; a change of size
// starts afresh.
func (d *Detector) Add(img *image.YCbCr) bool {
	w, h := img.Rect.Dx()/block, img.Rect.Dy()/block
	if w < minThumbWidth || h < minThumbHeight {
		return d.moving
	}
	if w != d.tw || h != d.th {
		*d = Detector{tw: w, th: h, floor: initialFloor, sinceMove: settlePictures,
			prev: make([]float32, w*h), cur: make([]float32, w*h)}
		d.thumbnail(img, d.prev)
		return false
	}
	d.thumbnail(img, d.cur)
	med := d.medianDifference()
	d.prev, d.cur = d.cur, d.prev

	moved := med > 2*d.floor+marginLevels
	if moved {
		d.sinceMove = 0
	} else {
		d.sinceMove++
		// The floor follows the lowest medians: down at once, up slowly,
		// so a still noisy camera's own level is learnt in a few seconds.
		if med < d.floor {
			d.floor = med
		} else {
			d.floor = min(d.floor*floorRisePerFrame+1e-3, med)
		}
	}
	d.moving = d.sinceMove < settlePictures
	return d.moving
}

// thumbnail writes the 8×8 block means of img's luma into t, reading
// every other row of each block (noise still shrinks fivefold).
func (d *Detector) thumbnail(img *image.YCbCr, t []float32) {
	x0, y0 := img.Rect.Min.X, img.Rect.Min.Y
	for ty := range d.th {
		cells := t[ty*d.tw : (ty+1)*d.tw]
		clear(cells)
		for y := 0; y < block; y += 2 {
			off := img.YOffset(x0, y0+ty*block+y)
			row := img.Y[off : off+d.tw*block]
			for tx := range cells {
				c := row[tx*block : tx*block+block : tx*block+block]
				cells[tx] += float32(int(c[0]) + int(c[1]) + int(c[2]) + int(c[3]) + int(c[4]) + int(c[5]) + int(c[6]) + int(c[7]))
			}
		}
		for tx := range cells {
			cells[tx] /= block * block / 2
		}
	}
}

// medianDifference is the median over the regions of the mean absolute
// difference between the previous and the current thumbnail.
func (d *Detector) medianDifference() float64 {
	var diffs [regionsX * regionsY]float64
	for ry := range regionsY {
		for rx := range regionsX {
			xa, xb := rx*d.tw/regionsX, (rx+1)*d.tw/regionsX
			ya, yb := ry*d.th/regionsY, (ry+1)*d.th/regionsY
			var sum float64
			for y := ya; y < yb; y++ {
				for x := xa; x < xb; x++ {
					v := float64(d.cur[y*d.tw+x] - d.prev[y*d.tw+x])
					if v < 0 {
						v = -v
					}
					sum += v
				}
			}
			diffs[ry*regionsX+rx] = sum / float64((xb-xa)*(yb-ya))
		}
	}
	// A small insertion sort: 24 values.
	for i := 1; i < len(diffs); i++ {
		for j := i; j > 0 && diffs[j] < diffs[j-1]; j-- {
			diffs[j], diffs[j-1] = diffs[j-1], diffs[j]
		}
	}
	return (diffs[len(diffs)/2-1] + diffs[len(diffs)/2]) / 2
}
