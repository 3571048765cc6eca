package media

import (
	"context"
	"errors"
	"image"
	"sync"
	"time"
)

// offFPS is the frame rate of the "camera off" picture: it never changes,
// so a few frames a second keep the stream alive at almost no cost.
const offFPS = 5

// SwitchSource is the window's video source: the camera while it is on and
// present, else a "camera off" picture, so the call goes on either way.
// Turning the camera off releases the device.
type SwitchSource struct {
	open          func() (VideoSource, error)
	width, height int

	mu      sync.Mutex
	live    VideoSource
	off     bool
	lastErr error
	changed chan struct{} // closed and replaced when the state changes

	offImg *image.YCbCr
	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once
}

// NewSwitchSource opens the camera with open (nil: there is none) and
// falls back to a width×height "camera off" picture.
func NewSwitchSource(open func() (VideoSource, error), width, height int) *SwitchSource {
	s := &SwitchSource{
		open: open, width: width, height: height,
		offImg:  OffPicture(width, height),
		ticker:  time.NewTicker(time.Second / offFPS),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	s.mu.Lock()
	s.openLocked()
	s.mu.Unlock()
	return s
}

func (s *SwitchSource) openLocked() {
	if s.open == nil {
		s.lastErr = ErrNoCamera
		return
	}
	src, err := s.open()
	s.live, s.lastErr = src, err
}

// SetOff turns the camera off (true) or back on. It reports whether the
// camera is live afterwards and, if it could not be opened, why.
func (s *SwitchSource) SetOff(off bool) (live bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.off = off
	if off && s.live != nil {
		s.live.Close()
		s.live = nil
	}
	if !off && s.live == nil {
		s.openLocked()
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return s.live != nil, s.lastErr
}

// Live reports whether the camera's picture is being sent.
func (s *SwitchSource) Live() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live != nil && !s.off
}

// ReadFrame returns the camera's next picture, or the "camera off" picture.
func (s *SwitchSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	for {
		s.mu.Lock()
		src, changed := s.live, s.changed
		s.mu.Unlock()
		if src == nil {
			select {
			case <-ctx.Done():
				return nil, time.Time{}, ctx.Err()
			case <-s.done:
				return nil, time.Time{}, errSourceClosed
			case <-changed:
				continue
			case <-s.ticker.C:
				return s.offImg, time.Now(), nil
			}
		}
		img, at, err := src.ReadFrame(ctx)
		if err == nil {
			return img, at, nil
		}
		if ctx.Err() != nil {
			return nil, time.Time{}, ctx.Err()
		}
		select {
		case <-s.done:
			return nil, time.Time{}, errSourceClosed
		default:
		}
		s.mu.Lock()
		if s.live == src {
			// The camera failed (unplugged): go on without it.
			src.Close()
			s.live = nil
			s.lastErr = errors.Join(ErrNoCamera, err)
		}
		s.mu.Unlock()
	}
}

// Err says why the camera is not live, if it is not.
func (s *SwitchSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live != nil {
		return nil
	}
	return s.lastErr
}

// Close releases the camera and stops the picture.
func (s *SwitchSource) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.ticker.Stop()
		s.mu.Lock()
		if s.live != nil {
			s.live.Close()
			s.live = nil
		}
		s.mu.Unlock()
	})
	return nil
}

// Name reports "camera" while the camera is live, else "camera-off".
func (s *SwitchSource) Name() string {
	if s.Live() {
		return "camera"
	}
	return "camera-off"
}

// OffPicture draws the picture sent while the camera is off or missing: a
// dark frame with a struck-through camera in the middle.
func OffPicture(width, height int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 40
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	unit := float64(min(width, height)) / 12
	cx, cy := float64(width)/2, float64(height)/2
	inCamera := func(x, y float64) bool {
		// body
		if x > cx-2.2*unit && x < cx+0.9*unit && y > cy-1.3*unit && y < cy+1.3*unit {
			return true
		}
		// lens hood, a trapezoid on the right
		if x >= cx+0.9*unit && x < cx+2.2*unit {
			half := 0.5*unit + (x-cx-0.9*unit)*0.6
			return y > cy-half && y < cy+half
		}
		return false
	}
	onSlash := func(x, y float64) bool {
		// a thick diagonal from top-left to bottom-right
		d := (x - cx) - (y - cy)
		return d > -0.35*unit && d < 0.35*unit && x > cx-2.6*unit && x < cx+2.6*unit
	}
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			switch {
			case onSlash(fx, fy):
				img.Y[y*img.YStride+x] = 200
			case inCamera(fx, fy):
				img.Y[y*img.YStride+x] = 150
			}
		}
	}
	return img
}
