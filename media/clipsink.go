package media

import (
	"errors"
	"fmt"
	"image"
	"os"
	"sync"

	"peercall/media/y4m"
	"peercall/media/yuv"
)

// ClipWriter is a VideoSink that writes every picture it is given to a Y4M
// clip, in the order received: the other side's pictures as this side
// decoded them, for measuring a call against the clip that was sent.
// The clip takes the first picture's size; later pictures of another size
// (the sender stepped down to fewer pixels) are scaled to it, as a viewer
// would see them.
type ClipWriter struct {
	mu     sync.Mutex
	f      *os.File
	fps    int
	w      *y4m.Writer // nil until the first picture
	scaler yuv.Scaler
	frames int
	err    error // the first write error; later pictures are dropped
	closed bool
}

// NewClipWriter creates the clip at path; fps, the nominal frame rate,
// only goes into its header. The file stays empty until a picture comes.
func NewClipWriter(path string, fps int) (*ClipWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &ClipWriter{f: f, fps: max(fps, 1)}, nil
}

// WriteFrame implements VideoSink.
func (c *ClipWriter) WriteFrame(img *image.YCbCr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.err != nil || img == nil {
		return
	}
	if c.w == nil {
		size := img.Rect.Size()
		c.w, c.err = y4m.NewWriter(c.f, y4m.Header{Width: size.X &^ 1, Height: size.Y &^ 1, RateNum: c.fps, RateDen: 1})
		if c.err != nil {
			c.err = fmt.Errorf("%s: %w", c.f.Name(), c.err)
			return
		}
	}
	if want := c.w.Size(); img.Rect.Size() != want || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		scaled, err := c.scaler.Scale(img, want.X, want.Y)
		if err != nil {
			c.err = err
			return
		}
		img = scaled
	}
	if c.err = c.w.Write(img); c.err == nil {
		c.frames++
	}
}

// Frames is how many pictures were written.
func (c *ClipWriter) Frames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

// Close finishes the clip and reports the first error writing it.
func (c *ClipWriter) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.err
	}
	c.closed = true
	var flushErr error
	if c.w != nil {
		flushErr = c.w.Flush()
	}
	err := errors.Join(c.err, flushErr, c.f.Close())
	c.err = err
	return err
}
