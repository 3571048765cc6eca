//go:build !linux

package xdirect

import (
	"errors"
	"image"
)

// Display is a connection to an X server: there is none to put pictures
// on straight here, and the toolkit draws them.
type Display struct{}

// Open fails: pictures go straight to an X server on Linux only.
func Open(parent uintptr) (*Display, error) {
	return nil, errors.New("xdirect: pictures go straight to the screen only on Linux with X")
}

// Close does nothing.
func (d *Display) Close() {}

// Surface would show one picture.
type Surface struct{}

// NewSurface fails.
func (d *Display) NewSurface() (*Surface, error) { return nil, errors.New("xdirect: no X server") }

func (s *Surface) Place(on bool, box image.Rectangle, holes []image.Rectangle) {}
func (s *Surface) On() bool                                                    { return false }
func (s *Surface) Put(srcW, srcH int, fill func(pix []byte, stride, w, h int) error) (bool, error) {
	return false, nil
}
func (s *Surface) Raise() {}
func (s *Surface) Close() {}
