// Package mediatest has stand-ins for devices, for tests of what a call
// does when one misbehaves.
package mediatest

import (
	"context"
	"errors"
	"image"
	"io"
	"sync"
	"time"

	"peercall/media/pattern"
)

// ErrUnplugged is what a Camera's reads return once it failed.
var ErrUnplugged = errors.New("mediatest: the camera was unplugged")

// Camera delivers the moving, time-stamped test pattern at a steady rate,
// as a camera does, until it is told to fail (unplugged: every read
// fails) or to hang (a driver that stops delivering: reads block until
// Resume or Close). It is a media.VideoSource.
type Camera struct {
	gen    *pattern.Generator
	ticker *time.Ticker
	closed chan struct{}
	once   sync.Once

	mu     sync.Mutex
	failed bool
	hung   chan struct{} // while hanging: closed by Resume
}

// NewCamera makes a width×height camera at fps frames a second.
func NewCamera(width, height, fps int) *Camera {
	return &Camera{
		gen:    pattern.NewGenerator(width, height),
		ticker: time.NewTicker(time.Second / time.Duration(fps)),
		closed: make(chan struct{}),
	}
}

// Fail makes every read from now on fail with ErrUnplugged.
func (c *Camera) Fail() {
	c.mu.Lock()
	c.failed = true
	c.mu.Unlock()
}

// Hang makes reads block until Resume or Close.
func (c *Camera) Hang() {
	c.mu.Lock()
	if c.hung == nil {
		c.hung = make(chan struct{})
	}
	c.mu.Unlock()
}

// Resume ends a hang: pictures come again.
func (c *Camera) Resume() {
	c.mu.Lock()
	if c.hung != nil {
		close(c.hung)
		c.hung = nil
	}
	c.mu.Unlock()
}

// Closed reports whether the camera was released.
func (c *Camera) Closed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// ReadFrame waits for the next picture.
func (c *Camera) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	c.mu.Lock()
	failed, hung := c.failed, c.hung
	c.mu.Unlock()
	if failed {
		return nil, time.Time{}, ErrUnplugged
	}
	if hung != nil {
		select {
		case <-hung:
		case <-c.closed:
			return nil, time.Time{}, io.EOF
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		}
	}
	select {
	case <-c.ticker.C:
	case <-c.closed:
		return nil, time.Time{}, io.EOF
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	}
	now := time.Now()
	return c.gen.Next(now), now, nil
}

// Close releases the camera; a read blocked in a hang returns.
func (c *Camera) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.ticker.Stop()
	})
	return nil
}

// Name reports "camera".
func (c *Camera) Name() string { return "camera" }
