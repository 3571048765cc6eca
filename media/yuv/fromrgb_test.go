package yuv

import (
	"errors"
	"image"
	"testing"
)

// FromRGB gives limited-range BT.601 in either byte order, and refuses
// sizes and buffers it cannot use.
func TestFromRGB(t *testing.T) {
	const w, h = 64, 32
	for _, order := range []PixelOrder{BGRX, RGBX} {
		px := make([]byte, 4*w*h)
		for i := 0; i < len(px); i += 4 {
			// Left half white, right half pure red.
			if (i/4)%w < w/2 {
				px[i], px[i+1], px[i+2] = 255, 255, 255
			} else if order == BGRX {
				px[i+2] = 255
			} else {
				px[i] = 255
			}
		}
		dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		if err := FromRGB(dst, px, 4*w, w, h, order); err != nil {
			t.Fatal(err)
		}
		if y := dst.Y[0]; y < 234 || y > 236 {
			t.Errorf("order %d: white has Y %d, want 235", order, y)
		}
		// Red: Y 81, Cr 240 in BT.601 limited range.
		if y, cr := dst.Y[w-1], dst.Cr[w/2-1]; y < 79 || y > 83 || cr < 236 {
			t.Errorf("order %d: red has Y %d Cr %d, want about 81 and 240", order, y, cr)
		}
	}
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for _, bad := range []struct {
		w, h, stride, n int
	}{{w - 1, h, 4 * w, 4 * w * h}, {w, h, 4 * w, 4*w*h - 1}, {w, h, 2 * w, 4 * w * h}, {2 * w, h, 8 * w, 8 * w * h}} {
		if err := FromRGB(dst, make([]byte, bad.n), bad.stride, bad.w, bad.h, BGRX); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
}
