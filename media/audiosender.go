package media

import (
	"context"
	"sync/atomic"

	"peercall/media/opus"
)

// AudioSender encodes an input as Opus (in-band FEC, DTX) and writes it.
type AudioSender struct {
	in    AudioInput
	write SampleWriter
	muted atomic.Bool
	sent  atomic.Uint64
}

// NewAudioSender prepares the loop; Run starts it.
func NewAudioSender(in AudioInput, write SampleWriter) *AudioSender {
	return &AudioSender{in: in, write: write}
}

// SetMuted sends silence (which DTX shrinks to almost nothing) instead of
// the input. Safe from any goroutine.
func (a *AudioSender) SetMuted(m bool) { a.muted.Store(m) }

// PacketsSent counts packets written so far.
func (a *AudioSender) PacketsSent() uint64 { return a.sent.Load() }

// Run sends until ctx ends or the input stops.
func (a *AudioSender) Run(ctx context.Context) error {
	enc, err := opus.NewEncoder(opus.EncoderConfig{Channels: 1, FEC: true, DTX: true, ExpectedLossPct: 10})
	if err != nil {
		return err
	}
	defer enc.Close()
	pcm := make([]int16, AudioFrameSamples)
	out := make([]byte, 1500)
	for {
		if err := a.in.ReadFrame(ctx, pcm); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if a.muted.Load() {
			clear(pcm)
		}
		n, err := enc.Encode(pcm, out)
		if err != nil {
			return err
		}
		if err := a.write(out[:n], AudioFrame); err == nil {
			a.sent.Add(1)
		}
	}
}
