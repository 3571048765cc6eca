package media

import (
	"context"
	"errors"
	"image"
	"reflect"
	"sync"
	"time"
)

// offFPS is the frame rate of the "camera off" picture: it never changes,
// so a few frames a second keep the stream alive at almost no cost.
const offFPS = 5

// DefaultStallAfter is how long a camera may go without a picture before
// the call shows the "camera off" picture instead of a frozen one. A camera
// delivers a picture every 33–66 ms; one that takes over a second and a
// half has stopped (a driver that hangs, a device that went to sleep).
const DefaultStallAfter = 1500 * time.Millisecond

// pumpStopWait bounds how long Close and SetOff wait for a camera's last
// read to return after the camera was closed: a driver that never returns
// must not hold up a hang-up.
const pumpStopWait = 2 * time.Second

// SwitchSource is a call's video source: the camera while it is on and
// delivering, else a "camera off" picture, so the call goes on either way —
// with no camera, a camera that fails to open, one that fails mid-call and
// one that stops delivering pictures. Turning the camera off releases the
// device.
//
// ReadFrame is called from one goroutine (the send loop); the other methods
// from any.
type SwitchSource struct {
	open          func() (VideoSource, error)
	width, height int
	stallAfter    time.Duration

	mu      sync.Mutex
	pump    *framePump // reads the live source; nil when there is none
	off     bool
	stalled bool // the live source has not delivered for stallAfter
	lastErr error
	changed chan struct{} // closed and replaced when the state changes

	offImg *image.YCbCr
	ticker *time.Ticker
	stall  *time.Timer // the send loop's; stopped when not waiting
	done   chan struct{}
	once   sync.Once
}

// NewSwitchSource opens the camera with open (nil: there is none) and
// falls back to a width×height "camera off" picture. With off, it starts
// with the camera off and opens nothing until SetOff(false).
func NewSwitchSource(open func() (VideoSource, error), width, height int, off bool) *SwitchSource {
	s := &SwitchSource{
		open: open, width: width, height: height,
		stallAfter: DefaultStallAfter,
		offImg:     OffPicture(width, height),
		ticker:     time.NewTicker(time.Second / offFPS),
		stall:      time.NewTimer(time.Hour),
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		off:        off,
	}
	s.stall.Stop()
	if !off {
		s.mu.Lock()
		s.openLocked()
		s.mu.Unlock()
	}
	return s
}

// SetStallAfter changes how long the camera may be silent before the
// "camera off" picture replaces it (tests use a short one).
func (s *SwitchSource) SetStallAfter(d time.Duration) {
	s.mu.Lock()
	s.stallAfter = d
	s.mu.Unlock()
}

// openLocked opens the camera and starts reading it. An opener that
// reports an error, or hands back a nil source of any type, leaves the
// camera missing.
func (s *SwitchSource) openLocked() {
	if s.open == nil {
		s.lastErr = ErrNoCamera
		return
	}
	src, err := s.open()
	if err != nil {
		// src may be a typed nil: never touch it.
		if !errors.Is(err, ErrNoCamera) {
			err = errors.Join(ErrNoCamera, err)
		}
		s.lastErr = err
		return
	}
	if isNilSource(src) {
		s.lastErr = ErrNoCamera
		return
	}
	s.lastErr = nil
	s.stalled = false
	s.pump = startPump(src)
}

// isNilSource reports whether v is nil or an interface holding a nil
// pointer, which a caller would take for a live source.
func isNilSource(v VideoSource) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// notifyLocked wakes whoever waits on Changed.
func (s *SwitchSource) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// dropLocked stops reading p and releases its source, if p is still the
// live one; it returns the pump to wait for (outside the lock).
func (s *SwitchSource) dropLocked(p *framePump, why error) *framePump {
	if s.pump != p || p == nil {
		return nil
	}
	s.pump = nil
	s.stalled = false
	if why != nil {
		s.lastErr = why
	}
	p.stop()
	return p
}

// SetOff turns the camera off (true) or back on. It reports whether the
// camera is live afterwards and, if it could not be opened, why.
func (s *SwitchSource) SetOff(off bool) (live bool, err error) {
	s.mu.Lock()
	s.off = off
	var dropped *framePump
	if off {
		dropped = s.dropLocked(s.pump, nil)
	} else if s.pump == nil {
		s.openLocked()
	}
	s.notifyLocked()
	live, err = s.pump != nil && !s.stalled, s.lastErr
	s.mu.Unlock()
	dropped.wait()
	return live, err
}

// SetOpener makes open the camera from now on: the camera in use is
// released and, unless the camera is turned off, the new one opened in its
// place. The stream goes on: until the new camera delivers, the "camera
// off" picture fills in. It reports whether the new camera is live and, if
// it could not be opened, why.
func (s *SwitchSource) SetOpener(open func() (VideoSource, error)) (live bool, err error) {
	s.mu.Lock()
	s.open = open
	dropped := s.dropLocked(s.pump, nil)
	if !s.off {
		s.openLocked()
	}
	s.notifyLocked()
	live, err = s.pump != nil && !s.stalled, s.lastErr
	s.mu.Unlock()
	dropped.wait()
	return live, err
}

// Retry opens the camera again if it is missing (failed, unplugged, never
// found) and not turned off: a camera plugged back in comes back. It
// reports whether the camera is live afterwards.
func (s *SwitchSource) Retry() (live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.off || s.pump != nil {
		return s.pump != nil && !s.off && !s.stalled
	}
	s.openLocked()
	if s.pump != nil {
		s.notifyLocked()
	}
	return s.pump != nil
}

// Live reports whether the camera's picture is being sent.
func (s *SwitchSource) Live() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pump != nil && !s.off && !s.stalled
}

// Changed is closed the next time the camera goes live, off, missing or
// silent; call it again for the change after that.
func (s *SwitchSource) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// ReadFrame returns the camera's next picture, or the "camera off" picture
// while the camera is off, missing, failed or silent.
func (s *SwitchSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	for {
		s.mu.Lock()
		p, changed, stalled, stallAfter := s.pump, s.changed, s.stalled, s.stallAfter
		s.mu.Unlock()
		if p == nil {
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
		p.request()
		// While the camera is silent the "camera off" picture goes out at
		// its own rate; until then the wait for a picture is bounded.
		var stall, offTick <-chan time.Time
		if stalled {
			offTick = s.ticker.C
		} else {
			s.stall.Reset(stallAfter)
			stall = s.stall.C
		}
		select {
		case r := <-p.got:
			s.stall.Stop()
			p.asked = false
			if r.err == nil {
				if stalled {
					s.mu.Lock()
					if s.pump == p {
						s.stalled = false
						s.notifyLocked()
					}
					s.mu.Unlock()
				}
				return r.img, r.at, nil
			}
			if ctx.Err() != nil {
				return nil, time.Time{}, ctx.Err()
			}
			// The camera failed (unplugged), or was switched while this
			// read was out: go on with whatever is live now.
			s.mu.Lock()
			dropped := s.dropLocked(p, errors.Join(ErrNoCamera, r.err))
			if dropped != nil {
				s.notifyLocked()
			}
			s.mu.Unlock()
			dropped.wait()
		case <-stall:
			s.mu.Lock()
			if s.pump == p && !s.stalled {
				s.stalled = true
				s.notifyLocked()
			}
			s.mu.Unlock()
		case <-offTick:
			return s.offImg, time.Now(), nil
		case <-changed:
			s.stall.Stop()
		case <-ctx.Done():
			s.stall.Stop()
			return nil, time.Time{}, ctx.Err()
		case <-s.done:
			s.stall.Stop()
			return nil, time.Time{}, errSourceClosed
		}
	}
}

// Err says why the camera is not live, if it is not; nil while it is live
// or turned off.
func (s *SwitchSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.off:
		return nil
	case s.pump != nil && s.stalled:
		return ErrCameraSilent
	case s.pump != nil:
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
		dropped := s.dropLocked(s.pump, nil)
		s.mu.Unlock()
		dropped.wait()
	})
	return nil
}

// Name reports the live source's name ("camera", "pattern"), else
// "camera-off".
func (s *SwitchSource) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pump == nil || s.off || s.stalled {
		return "camera-off"
	}
	return s.pump.src.Name()
}

// framePump reads a source on a goroutine of its own, one picture per
// request, so that the send loop can stop waiting for a camera that hangs
// without losing the picture it asked for: the source is never read again
// before the last picture was taken, so that picture stays valid.
type framePump struct {
	src    VideoSource
	ask    chan struct{}    // one request at a time
	got    chan frameResult // its answer
	asked  bool             // a request is out (the send loop's own)
	cancel context.CancelFunc
	exited chan struct{}
}

type frameResult struct {
	img *image.YCbCr
	at  time.Time
	err error
}

func startPump(src VideoSource) *framePump {
	ctx, cancel := context.WithCancel(context.Background())
	p := &framePump{
		src: src, cancel: cancel,
		ask: make(chan struct{}, 1), got: make(chan frameResult, 1),
		exited: make(chan struct{}),
	}
	go p.run(ctx)
	return p
}

func (p *framePump) run(ctx context.Context) {
	defer close(p.exited)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.ask:
		}
		img, at, err := p.src.ReadFrame(ctx)
		p.got <- frameResult{img, at, err}
		if err != nil {
			return
		}
	}
}

// request asks for the next picture unless a request is out already.
func (p *framePump) request() {
	if !p.asked {
		p.asked = true
		p.ask <- struct{}{}
	}
}

// stop ends the pump and releases its source; a read in progress returns
// when the source is closed.
func (p *framePump) stop() {
	p.cancel()
	p.src.Close()
}

// wait waits, bounded, for the pump's goroutine to end. A nil pump waits
// for nothing.
func (p *framePump) wait() {
	if p == nil {
		return
	}
	t := time.NewTimer(pumpStopWait)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
	}
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
