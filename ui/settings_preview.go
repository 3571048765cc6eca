package ui

import (
	"context"
	"errors"
	"sync"

	"peercall/media"
)

// Preview picture size and rate: small, and cheap to draw while the
// settings are open.
const (
	previewWidth  = 320
	previewHeight = 240
	previewFPS    = 15
)

// preview shows one camera choice live in a view until stopped. The
// device is opened and read on a goroutine of its own, never on the UI
// goroutine.
type preview struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	src    media.VideoSource
	closed bool
}

// Placeholders of the settings' camera preview.
const (
	previewOpening  = "Opening the camera…"
	previewNoCamera = "No camera: the call starts with the camera off"
	previewMissing  = "No camera found"
)

// startPreview opens what choice names (a camera id, "" for the first
// camera, patternCamera or noCamera) and draws its pictures in view; failed
// tells the UI goroutine when nothing can be shown. It returns nil for
// noCamera.
func startPreview(choice string, view *VideoView, failed func()) *preview {
	if choice == noCamera {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &preview{cancel: cancel, done: make(chan struct{})}
	go p.run(ctx, choice, view, failed)
	return p
}

func (p *preview) run(ctx context.Context, choice string, view *VideoView, failed func()) {
	defer close(p.done)
	src, err := openPreview(choice)
	if err != nil || src == nil {
		if ctx.Err() == nil {
			onUI(failed)
		}
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		src.Close()
		return
	}
	p.src = src
	p.mu.Unlock()
	defer p.closeSource()
	for ctx.Err() == nil {
		img, _, err := src.ReadFrame(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				onUI(failed)
			}
			return
		}
		view.WriteFrame(img)
	}
}

// closeSource closes the device once, from whichever side gets there first:
// closing is what wakes a camera read that waits for a picture.
func (p *preview) closeSource() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed && p.src != nil {
		p.src.Close()
	}
	p.closed = true
}

// stop ends the preview and releases the device without waiting for it.
func (p *preview) stop() {
	if p == nil {
		return
	}
	p.cancel()
	p.closeSource()
}

// wait returns when the preview's goroutine has ended.
func (p *preview) wait() {
	if p != nil {
		<-p.done
	}
}

// openPreview opens the test pattern or a camera for the preview, small;
// a variable so that tests can count what is opened and closed.
var openPreview = func(choice string) (media.VideoSource, error) {
	if choice == patternCamera {
		return media.NewPatternSource(previewWidth, previewHeight, previewFPS)
	}
	cam, err := media.NewCameraSource(choice, previewWidth, previewHeight, previewFPS)
	if err != nil {
		return nil, err
	}
	return cam, nil
}
