// Package aec3 removes acoustic echo from Peercall's microphone signal with
// WebRTC's echo canceller AEC3, from the webrtc-audio-processing 1.x
// library, through cgo. It is shaped like package aec (speexdsp), so either
// can sit between the same two device threads:
//
//   - the playout thread calls Playback with every mono frame it hands to
//     the speaker, silence included;
//   - the capture thread calls Capture with every microphone frame and
//     sends the cleaned frame on.
//
// AEC3 finds the speaker-to-microphone delay itself and follows it when it
// changes; it adds a residual echo suppressor and comfort noise to its
// adaptive filter. The audio processing module runs with its high-pass
// filter on, noise suppression as configured, and no automatic gain control
// at all, so nothing ever lifts what is left of an echo.
//
// The library is not a system package on Debian stable: scripts/aec3.sh
// (make aec3) builds it from Debian's source package into bin/deps/aec3,
// and only builds with the aec3 build tag link it. Without the tag, New
// returns ErrNotBuilt.
//
// Like package aec, a Canceller keeps its own queue of played frames,
// guarded by a lock held only to copy a frame, and with each microphone
// frame hands the oldest played frame to the module (ProcessReverseStream)
// just before the microphone frame (ProcessStream), both on the capture
// thread. Playback therefore never waits for signal processing, the
// module's two halves never run at once, and every microphone frame is
// paired with exactly one reference frame: silence when the playout side is
// late, a trimmed backlog when it runs ahead (see refQueue).
//
// Frames are 10 ms long, the module's only frame length; only mono audio is
// supported.
package aec3

import (
	"errors"
	"fmt"
)

// DefaultSampleRate applies to a zero Config.SampleRate.
const DefaultSampleRate = 48000

var (
	// ErrNotBuilt is returned by New when Peercall was built without the
	// aec3 build tag, so without the library.
	ErrNotBuilt = errors.New("aec3: not built (build the library with make aec3, then build with -tags aec3)")
	// ErrConfig is wrapped by New's errors about an invalid Config.
	ErrConfig = errors.New("aec3: invalid config")
)

// Config describes the audio a Canceller processes.
type Config struct {
	// SampleRate in Hz: 16000, 32000 or 48000; 0 means 48000.
	SampleRate int
	// FrameSamples is the number of samples in every Playback and Capture
	// frame; it must be 10 ms worth (480 at 48 kHz), and 0 means that.
	FrameSamples int
	// DelayMs is the expected delay from a Playback call to the Capture
	// call that delivers the frame's echo, device buffering included,
	// passed to the module with every frame. AEC3 estimates the delay
	// itself and does not need it: 0 is fine.
	DelayMs int
	// NoiseSuppression removes stationary background noise (fans, hum,
	// hiss) from the microphone signal after the echo.
	NoiseSuppression bool
}

// Stats counts what a Canceller has seen. The counters only grow.
type Stats struct {
	Played   uint64 // frames accepted by Playback
	Captured uint64 // frames processed by Capture
	// WrongLength counts Playback and Capture calls ignored because a frame
	// did not have Config.FrameSamples samples (or out was too short).
	WrongLength uint64
	// Underruns counts Capture calls that found no played frame waiting and
	// used silence as the reference: the playout side is late or stopped.
	Underruns uint64
	// Dropped counts played frames discarded unused to keep the reference
	// aligned: the capture side fell behind or is stopped.
	Dropped uint64
	// Errors counts Capture calls the module refused; their microphone
	// frame was passed through unchanged.
	Errors uint64
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = DefaultSampleRate
	}
	switch cfg.SampleRate {
	case 16000, 32000, 48000:
	default:
		return cfg, fmt.Errorf("%w: sample rate %d Hz is not 16000, 32000 or 48000", ErrConfig, cfg.SampleRate)
	}
	if cfg.FrameSamples == 0 {
		cfg.FrameSamples = cfg.SampleRate / 100
	}
	if cfg.FrameSamples != cfg.SampleRate/100 {
		return cfg, fmt.Errorf("%w: %d-sample frames at %d Hz are not 10 ms", ErrConfig, cfg.FrameSamples, cfg.SampleRate)
	}
	if cfg.DelayMs < 0 || cfg.DelayMs > 500 {
		return cfg, fmt.Errorf("%w: delay of %d ms is outside 0–500 ms", ErrConfig, cfg.DelayMs)
	}
	return cfg, nil
}
