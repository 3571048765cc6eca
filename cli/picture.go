package cli

import (
	"errors"
	"image"
	"image/png"
	"os"
	"sync"

	"peercall/media"
)

// teeSink hands every picture to each of its sinks in turn.
type teeSink []media.VideoSink

// WriteFrame implements media.VideoSink.
func (t teeSink) WriteFrame(img *image.YCbCr) {
	for _, s := range t {
		s.WriteFrame(img)
	}
}

// lastPicture keeps a copy of the last picture received from the other
// side, for --last-picture: what the person on this side would be looking
// at when the call ended.
type lastPicture struct {
	mu  sync.Mutex
	img *image.YCbCr
}

// WriteFrame implements media.VideoSink: it copies the picture into a
// buffer of its own, reused while the size stays the same.
func (l *lastPicture) WriteFrame(img *image.YCbCr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.img == nil || l.img.Rect != img.Rect || l.img.SubsampleRatio != img.SubsampleRatio {
		l.img = image.NewYCbCr(img.Rect, img.SubsampleRatio)
	}
	copyPlane(l.img.Y, l.img.YStride, img.Y, img.YStride, img.Rect.Dx(), img.Rect.Dy())
	// A picture of its own has no padding: its chroma stride is the
	// chroma width.
	cw := l.img.CStride
	ch := len(l.img.Cb) / max(cw, 1)
	copyPlane(l.img.Cb, l.img.CStride, img.Cb, img.CStride, cw, ch)
	copyPlane(l.img.Cr, l.img.CStride, img.Cr, img.CStride, cw, ch)
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride, width, rows int) {
	for y := 0; y < rows; y++ {
		d, s := y*dstStride, y*srcStride
		if d+width > len(dst) || s+width > len(src) {
			return
		}
		copy(dst[d:d+width], src[s:s+width])
	}
}

// save writes the picture as PNG; no picture is an error.
func (l *lastPicture) save(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.img == nil {
		return errors.New("no picture came from the other side")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, l.img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
