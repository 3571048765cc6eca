// Package quality measures a call's pictures the way a viewer sees them:
// each picture received is matched to the picture of the sent clip it
// shows, and compared with it.
//
// The sent clip carries each picture's number in a band of black and
// white cells across its top (Mark; the test pattern's time code, holding
// the number where the pattern holds a time), so that a received picture
// names its source even after loss, repeats and skips. The band is left
// out of the comparison.
//
// Figures, per received picture whose number could be read:
//
//   - PSNR over the three planes together: 10·log10(255² / MSE), the mean
//     squared error taken over every Y, Cb and Cr sample below the band
//     (libyuv's I420Psnr does the same over the whole picture); 99 dB for
//     identical pictures.
//   - SSIM on luma below the band: the mean over 8×8 windows, every 4
//     pixels, of Wang et al.'s index with C1 = (0.01·255)² and C2 =
//     (0.03·255)² (as ffmpeg's ssim filter computes it).
//
// A received picture of another size than the clip's is scaled to the
// clip's before it is compared, as WebRTC's frame analyzer scales to its
// reference.
package quality

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"time"

	"peercall/media/pattern"
	"peercall/media/y4m"
	"peercall/media/yuv"
)

// Mark writes picture number n into the top band of img.
func Mark(img *image.YCbCr, n int) { pattern.Stamp(img, time.UnixMilli(int64(n))) }

// ReadMark reads the picture number Mark wrote; false when the band
// cannot be read.
func ReadMark(img *image.YCbCr) (int, bool) {
	t, ok := pattern.ReadStamp(img)
	if !ok {
		return 0, false
	}
	n := t.UnixMilli()
	if n < 0 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// BandRows is how many rows at the top of a picture width wide the mark
// takes: the rows left out of the figures.
func BandRows(width int) int {
	b := pattern.BandHeight(width)
	return b + b&1
}

// maxPSNR stands for identical pictures.
const maxPSNR = 99

// PSNR compares two pictures of one size over their three planes, below
// the first fromRow rows (even).
func PSNR(a, b *image.YCbCr, fromRow int) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var se float64
	var n int
	plane := func(pa, pb []byte, sa, sb, ox, oy, pw, from, ph int) {
		for y := from; y < ph; y++ {
			ra := pa[ox+y*sa : ox+y*sa+pw]
			rb := pb[oy+y*sb : oy+y*sb+pw]
			for x := range ra {
				d := float64(ra[x]) - float64(rb[x])
				se += d * d
			}
			n += pw
		}
	}
	plane(a.Y, b.Y, a.YStride, b.YStride, a.YOffset(a.Rect.Min.X, a.Rect.Min.Y), b.YOffset(b.Rect.Min.X, b.Rect.Min.Y), w, fromRow, h)
	cw, ch := (w+1)/2, (h+1)/2
	ca, cb := a.COffset(a.Rect.Min.X, a.Rect.Min.Y), b.COffset(b.Rect.Min.X, b.Rect.Min.Y)
	plane(a.Cb, b.Cb, a.CStride, b.CStride, ca, cb, cw, fromRow/2, ch)
	plane(a.Cr, b.Cr, a.CStride, b.CStride, ca, cb, cw, fromRow/2, ch)
	if se == 0 || n == 0 {
		return maxPSNR
	}
	return min(10*math.Log10(255*255*float64(n)/se), maxPSNR)
}

// SSIM compares two pictures of one size on luma, below the first
// fromRow rows.
func SSIM(a, b *image.YCbCr, fromRow int) float64 {
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	w, h := a.Rect.Dx(), a.Rect.Dy()
	oa, ob := a.YOffset(a.Rect.Min.X, a.Rect.Min.Y), b.YOffset(b.Rect.Min.X, b.Rect.Min.Y)
	var sum float64
	var n int
	for y0 := fromRow; y0+8 <= h; y0 += 4 {
		for x0 := 0; x0+8 <= w; x0 += 4 {
			var sa, sb, saa, sbb, sab float64
			for y := y0; y < y0+8; y++ {
				ra := a.Y[oa+y*a.YStride+x0 : oa+y*a.YStride+x0+8]
				rb := b.Y[ob+y*b.YStride+x0 : ob+y*b.YStride+x0+8]
				for x := range 8 {
					va, vb := float64(ra[x]), float64(rb[x])
					sa += va
					sb += vb
					saa += va * va
					sbb += vb * vb
					sab += va * vb
				}
			}
			const m = 64.0
			ma, mb := sa/m, sb/m
			va := saa/m - ma*ma
			vb := sbb/m - mb*mb
			cov := sab/m - ma*mb
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}

// Result is a received clip measured against the sent one.
type Result struct {
	// Received is the number of pictures in the received clip; Unread
	// those whose mark could not be read (left out of every figure).
	Received, Unread int
	// Repeated counts pictures showing the same source picture as the one
	// before; Skipped the source pictures, between the first and last
	// shown, that never were.
	Repeated, Skipped int
	// PSNR and SSIM: mean and 5th percentile over the pictures read.
	PSNRMean, PSNRP5 float64
	SSIMMean, SSIMP5 float64
}

func (r Result) String() string {
	return fmt.Sprintf("%d pictures (%d unread, %d repeated, %d skipped): PSNR %.2f dB (5th percentile %.2f), SSIM %.4f (%.4f)",
		r.Received, r.Unread, r.Repeated, r.Skipped, r.PSNRMean, r.PSNRP5, r.SSIMMean, r.SSIMP5)
}

// Analyze reads the received clip and measures it against the sent
// pictures (numbered from 0 by Mark, sent over and over in a loop).
func Analyze(received *y4m.Reader, sent []*image.YCbCr) (Result, error) {
	var r Result
	if len(sent) == 0 {
		return r, errors.New("quality: no sent pictures")
	}
	size := sent[0].Rect.Size()
	band := BandRows(size.X)
	img := received.Header().NewPicture()
	var scaler yuv.Scaler
	var psnrs, ssims []float64
	first, last, prev := -1, -1, -1
	seen := map[int]bool{}
	n := len(sent)
	for {
		err := received.Read(img)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, err
		}
		r.Received++
		pic := img
		if pic.Rect.Size() != size {
			if pic, err = scaler.Scale(img, size.X, size.Y); err != nil {
				return r, err
			}
		}
		mark, ok := ReadMark(pic)
		if !ok || mark >= n {
			r.Unread++
			continue
		}
		// The clip loops: the number runs on from the last one read, to
		// the nearest count of whole loops forward of it.
		at := mark
		if prev >= 0 {
			loops := int(math.Round(float64(prev+1-mark) / float64(n)))
			at = mark + max(loops, 0)*n
		}
		if at == prev {
			r.Repeated++
		}
		if first < 0 {
			first = at
		}
		last = max(last, at)
		prev = at
		seen[at] = true
		psnrs = append(psnrs, PSNR(pic, sent[mark], band))
		ssims = append(ssims, SSIM(pic, sent[mark], band))
	}
	if first >= 0 {
		r.Skipped = last - first + 1 - len(seen)
	}
	r.PSNRMean, r.PSNRP5 = meanAndP5(psnrs)
	r.SSIMMean, r.SSIMP5 = meanAndP5(ssims)
	return r, nil
}

// meanAndP5 is the mean of v and its 5th percentile (nearest rank).
func meanAndP5(v []float64) (mean, p5 float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	s := slices.Sorted(slices.Values(v))
	return mean / float64(len(v)), s[(len(s)-1)*5/100]
}
