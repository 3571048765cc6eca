package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"peercall/media/y4m"
)

// ClipSource sends a Y4M clip as the picture, over and over, at the clip's
// frame rate: a camera whose every picture is known, for measuring what
// the other side receives against what was sent.
type ClipSource struct {
	path   string
	header y4m.Header
	fps    int
	f      *os.File
	r      *y4m.Reader
	img    *image.YCbCr // the picture handed out, reused
	primed bool         // img holds the first picture, not handed out yet
	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once
}

// NewClipSource opens the clip at path. Its pictures must have even sides
// (4:2:0 as VP8 codes it); fps is the rate used when the clip does not
// give one. The first picture is read here, so a clip with none, or cut
// short in its first, is refused at once.
func NewClipSource(path string, fps int) (*ClipSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c := &ClipSource{path: path, f: f, done: make(chan struct{})}
	if err := c.rewind(); err != nil {
		f.Close()
		return nil, err
	}
	c.header = c.r.Header()
	if c.header.Width%2 != 0 || c.header.Height%2 != 0 || c.header.Width < 16 || c.header.Height < 16 {
		f.Close()
		return nil, fmt.Errorf("%s: pictures of %dx%d: a clip's sides must be even and at least 16", path, c.header.Width, c.header.Height)
	}
	c.img, c.primed = c.header.NewPicture(), true
	if err := c.r.Read(c.img); err != nil {
		f.Close()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: %w: the clip has no pictures", path, y4m.ErrFormat)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rate := c.header.FPS(); rate > 0 {
		fps = int(math.Round(rate))
	}
	c.fps = min(max(fps, 1), 120)
	c.ticker = time.NewTicker(time.Second / time.Duration(c.fps))
	return c, nil
}

// rewind goes back to the clip's first picture.
func (c *ClipSource) rewind() error {
	if _, err := c.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r, err := y4m.NewReader(c.f)
	if err != nil {
		return fmt.Errorf("%s: %w", c.path, err)
	}
	c.r = r
	return nil
}

// Size is the clip's picture size.
func (c *ClipSource) Size() (width, height int) { return c.header.Width, c.header.Height }

// FPS is the rate the clip is sent at.
func (c *ClipSource) FPS() int { return c.fps }

// ReadFrame waits for the next tick and hands out the next picture; after
// the last one the clip starts again. The first call hands out the picture
// read when the clip was opened.
func (c *ClipSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case <-c.done:
		return nil, time.Time{}, errSourceClosed
	case <-c.ticker.C:
	}
	now := time.Now()
	if c.primed {
		c.primed = false
		return c.img, now, nil
	}
	if c.r == nil {
		return nil, time.Time{}, errSourceClosed
	}
	err := c.r.Read(c.img)
	if err == io.EOF {
		if err = c.rewind(); err == nil {
			err = c.r.Read(c.img)
		}
	}
	if err != nil {
		// A file that changed under the call: the source stops, and the
		// call shows the camera-off picture, as for a camera unplugged.
		c.r = nil
		return nil, time.Time{}, errors.Join(ErrClipUnreadable, fmt.Errorf("%s: %w", c.path, err))
	}
	return c.img, now, nil
}

// Close stops the clip and closes its file.
func (c *ClipSource) Close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		c.ticker.Stop()
		err = c.f.Close()
	})
	return err
}

// Name reports "clip".
func (c *ClipSource) Name() string { return "clip" }
