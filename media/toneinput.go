package media

import (
	"context"
	"sync"
	"time"

	"peercall/media/tone"
)

// ToneInput is a generated 440 Hz tone with a latency marker each second
// (tone.Marked): the audio of headless calls and tests.
type ToneInput struct {
	tone   *tone.Marked
	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once
}

// NewToneInput starts the tone's clock.
func NewToneInput() *ToneInput {
	return &ToneInput{
		tone:   tone.NewMarked(),
		ticker: time.NewTicker(AudioFrame),
		done:   make(chan struct{}),
	}
}

// ReadFrame waits for the next 20 ms and fills it.
func (t *ToneInput) ReadFrame(ctx context.Context, pcm []int16) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return errSourceClosed
	case <-t.ticker.C:
	}
	// The frame was "captured" over the last 20 ms.
	t.tone.Fill(pcm, time.Now().Add(-AudioFrame))
	return nil
}

// Close stops the tone.
func (t *ToneInput) Close() error {
	t.once.Do(func() {
		close(t.done)
		t.ticker.Stop()
	})
	return nil
}

// Name reports "tone".
func (t *ToneInput) Name() string { return "tone" }
