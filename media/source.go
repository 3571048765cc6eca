package media

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"peercall/media/pattern"
)

// VideoSource produces the pictures the call sends.
type VideoSource interface {
	// ReadFrame blocks until the next picture and returns it as 4:2:0
	// YCbCr with its capture time. The picture stays valid until the next
	// call. It returns ctx.Err() when ctx ends and io.EOF when the source
	// is closed.
	ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error)
	// Close stops the source and releases the device.
	Close() error
	// Name says what it is, for logs and statistics ("pattern", "camera").
	Name() string
}

// PatternSource is a generated moving test pattern stamped with each
// frame's capture time, produced at a steady frame rate.
type PatternSource struct {
	gen    *pattern.Generator
	ticker *time.Ticker
	done   chan struct{}
}

// NewPatternSource makes a width×height test pattern at fps frames a second.
func NewPatternSource(width, height, fps int) (*PatternSource, error) {
	if width < pattern.MinWidth || height < max(48, width/8) || width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("media: pattern size %dx%d: need even sizes, at least %d wide and an eighth of the width high",
			width, height, pattern.MinWidth)
	}
	if fps < 1 || fps > 120 {
		return nil, fmt.Errorf("media: frame rate %d out of range 1..120", fps)
	}
	return &PatternSource{
		gen:    pattern.NewGenerator(width, height),
		ticker: time.NewTicker(time.Second / time.Duration(fps)),
		done:   make(chan struct{}),
	}, nil
}

// ReadFrame waits for the next tick and draws the frame.
func (p *PatternSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case <-p.done:
		return nil, time.Time{}, errSourceClosed
	case <-p.ticker.C:
	}
	now := time.Now()
	return p.gen.Next(now), now, nil
}

// Close stops the ticker.
func (p *PatternSource) Close() error {
	select {
	case <-p.done:
	default:
		close(p.done)
		p.ticker.Stop()
	}
	return nil
}

// Name reports "pattern".
func (p *PatternSource) Name() string { return "pattern" }

// CameraSource reads a camera through mediadevices' camera driver (the
// caller links it with a blank import of its driver package).
type CameraSource struct {
	track  *mediadevices.VideoTrack
	reader video.Reader
	conv   i420Converter
}

// NewCameraSource opens the camera closest to width×height at fps. deviceID
// picks one camera ("" for the first): the driver's label for it (its device
// path, the same from one run to the next) or its device id (made anew each
// time the program starts).
func NewCameraSource(deviceID string, width, height, fps int) (src *CameraSource, err error) {
	deviceID = cameraDeviceID(deviceID)
	defer func() {
		// Some drivers panic on devices they cannot drive; that is a
		// missing camera to the user, not a crash.
		if r := recover(); r != nil {
			src, err = nil, fmt.Errorf("%w: %v", ErrNoCamera, r)
		}
	}()
	stream, err := mediadevices.GetUserMedia(mediadevices.MediaStreamConstraints{
		Video: func(c *mediadevices.MediaTrackConstraints) {
			if deviceID != "" {
				c.DeviceID = prop.String(deviceID)
			}
			c.Width = prop.Int(width)
			c.Height = prop.Int(height)
			c.FrameRate = prop.Float(float32(fps))
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCamera, err)
	}
	tracks := stream.GetVideoTracks()
	if len(tracks) == 0 {
		return nil, ErrNoCamera
	}
	vt, ok := tracks[0].(*mediadevices.VideoTrack)
	if !ok {
		tracks[0].Close()
		return nil, ErrNoCamera
	}
	return &CameraSource{track: vt, reader: vt.NewReader(false)}, nil
}

// ReadFrame returns the camera's next picture, converted to 4:2:0 if the
// camera delivers another layout.
func (c *CameraSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	img, release, err := c.reader.Read()
	if err != nil {
		return nil, time.Time{}, err
	}
	now := time.Now()
	out := c.conv.convert(img)
	release()
	if out == nil {
		return nil, time.Time{}, fmt.Errorf("media: camera picture of type %T has no usable size", img)
	}
	return out, now, nil
}

// Close releases the camera.
func (c *CameraSource) Close() error {
	return c.track.Close()
}

// Name reports "camera".
func (c *CameraSource) Name() string { return "camera" }

// cameraDeviceID is the device id of the camera whose label or id is
// chosen; a choice that names no camera now is left as it is (and fails to
// open as a missing camera).
func cameraDeviceID(chosen string) string {
	if chosen == "" {
		return ""
	}
	for _, d := range mediadevices.EnumerateDevices() {
		if d.Kind == mediadevices.VideoInput && (d.Label == chosen || d.DeviceID == chosen) {
			return d.DeviceID
		}
	}
	return chosen
}
