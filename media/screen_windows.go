package media

import (
	"context"
	"image"
	"time"
)

// ScreenSource would capture the screen; on Windows there is no capture
// yet, so none is ever made.
type ScreenSource struct{}

// ScreenSharingAvailable is ErrScreenUnsupported on Windows.
func ScreenSharingAvailable() error { return ErrScreenUnsupported }

// NewScreenSource fails with ErrScreenUnsupported on Windows.
func NewScreenSource(display string, fps int) (*ScreenSource, error) {
	return nil, ErrScreenUnsupported
}

// Size is never reached: no ScreenSource exists on Windows.
func (s *ScreenSource) Size() (w, h int) { return 0, 0 }

// ReadFrame is never reached: no ScreenSource exists on Windows.
func (s *ScreenSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	return nil, time.Time{}, ErrScreenUnsupported
}

// Close does nothing.
func (s *ScreenSource) Close() error { return nil }

// Name is the name the send loop knows a screen by.
func (s *ScreenSource) Name() string { return screenSourceName }
