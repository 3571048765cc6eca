package media

import (
	"context"
	"time"

	"peercall/media/opus"
)

// The audio of a call: mono 16-bit PCM at 48 kHz, sent in 20 ms Opus
// packets (audiosender.go) and played in 10 ms frames (speaker.go).

// AudioFrame is the length of one Opus packet Peercall sends.
const AudioFrame = 20 * time.Millisecond

// AudioFrameSamples is one send frame of mono audio at 48 kHz.
const AudioFrameSamples = opus.SampleRate / int(time.Second/AudioFrame)

// OutputFrameSamples is what outputs pull at a time: 10 ms at 48 kHz.
const OutputFrameSamples = opus.SampleRate / 100

// AudioInput produces the audio a call sends.
type AudioInput interface {
	// ReadFrame blocks until the next 20 ms of mono audio is in pcm
	// (AudioFrameSamples long). It returns ctx.Err() when ctx ends and an
	// error when the input stopped (a microphone unplugged).
	ReadFrame(ctx context.Context, pcm []int16) error
	Close() error
	Name() string
}
