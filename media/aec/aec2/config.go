// Package aec2 removes acoustic echo from Peercall's microphone signal with
// WebRTC's echo canceller AEC2, from the webrtc-audio-processing 0.3
// library that Debian stable ships (libwebrtc-audio-processing-dev),
// through cgo. It is shaped like packages aec (speexdsp) and aec3, so any
// of them can sit between the same two device threads:
//
//   - the playout thread calls Playback with every mono frame it hands to
//     the speaker, silence included;
//   - the capture thread calls Capture with every microphone frame and
//     sends the cleaned frame on.
//
// AEC2 is an adaptive filter followed by a nonlinear suppressor of the
// residual echo, whose aggressiveness is Config.Suppression. It needs to
// know the speaker-to-microphone delay: either from the caller with every
// frame (Config.DelayMs), or, in delay-agnostic mode, estimated from the
// signals themselves. Peercall does not know its device delays, so
// delay-agnostic mode is on by default, together with the extended filter,
// which AEC2 needs to lock onto an unknown delay and which covers more of a
// room's reverberation. The audio processing module runs with its
// high-pass filter on (unless turned off), noise suppression as configured,
// and no automatic gain control at all, so nothing ever lifts what is left
// of an echo.
//
// Like packages aec and aec3, a Canceller keeps its own queue of played
// frames (package refq), guarded by a lock held only to copy a frame, and
// with each microphone frame hands the oldest played frame to the module
// (ProcessReverseStream) just before the microphone frame (ProcessStream),
// both on the capture thread. Playback therefore never waits for signal
// processing, the module's two halves never run at once, and every
// microphone frame is paired with exactly one reference frame.
//
// The library defines the same C++ symbols as the webrtc-audio-processing
// 1.x that package aec3 links statically, so one binary must not link
// both packages: the aec3 build's definitions would win for both.
//
// Frames are 10 ms long, the module's only frame length; only mono audio is
// supported. The output lags the microphone by Config.Latency samples:
// at 48 kHz 862 (18 ms), or 1150 (24 ms) with noise suppression.
package aec2

import (
	"errors"
	"fmt"
)

// DefaultSampleRate applies to a zero Config.SampleRate.
const DefaultSampleRate = 48000

var (
	// ErrNotBuilt is returned by New when Peercall was built without cgo,
	// so without the library.
	ErrNotBuilt = errors.New("aec2: not built (needs cgo and libwebrtc-audio-processing-dev)")
	// ErrConfig is wrapped by New's errors about an invalid Config.
	ErrConfig = errors.New("aec2: invalid config")
	// ErrCreate is returned by New when the library could not create or
	// configure its audio processing module.
	ErrCreate = errors.New("aec2: the audio processing module could not be created")
)

// Suppression is how hard AEC2's nonlinear processor suppresses the echo
// its filter leaves: a higher level removes more echo and more of the
// local voice while both talk.
type Suppression int

const (
	// DefaultSuppression is HighSuppression.
	DefaultSuppression  Suppression = iota
	LowSuppression                  // the library's kLowSuppression
	ModerateSuppression             // kModerateSuppression, the library's default
	HighSuppression                 // kHighSuppression
)

func (s Suppression) String() string {
	switch s {
	case DefaultSuppression:
		return "default"
	case LowSuppression:
		return "low"
	case ModerateSuppression:
		return "moderate"
	case HighSuppression:
		return "high"
	}
	return fmt.Sprintf("Suppression(%d)", int(s))
}

// NoiseSuppression is the level of the module's stationary noise
// suppressor (fans, hum, hiss), which runs after the echo canceller.
type NoiseSuppression int

const (
	NoiseOff      NoiseSuppression = iota // no noise suppression
	NoiseLow                              // the library's kLow
	NoiseModerate                         // kModerate
	NoiseHigh                             // kHigh
)

func (n NoiseSuppression) String() string {
	switch n {
	case NoiseOff:
		return "off"
	case NoiseLow:
		return "low"
	case NoiseModerate:
		return "moderate"
	case NoiseHigh:
		return "high"
	}
	return fmt.Sprintf("NoiseSuppression(%d)", int(n))
}

// Config describes the audio a Canceller processes and how. The zero
// Config is 48 kHz, high suppression, delay-agnostic mode, the extended
// filter, the high-pass filter and the microphone delay, no noise
// suppression.
type Config struct {
	// SampleRate in Hz: 16000, 32000 or 48000; 0 means 48000.
	SampleRate int
	// FrameSamples is the number of samples in every Playback and Capture
	// frame; it must be 10 ms worth (480 at 48 kHz), and 0 means that.
	FrameSamples int
	// Suppression is the residual echo suppressor's level.
	Suppression Suppression
	// NoDelayAgnostic turns delay-agnostic mode off: the canceller then
	// relies on DelayMs being right.
	NoDelayAgnostic bool
	// NoExtendedFilter turns the extended filter off (a filter a third as
	// long, and faster but less careful delay tracking).
	NoExtendedFilter bool
	// DelayMs is the expected delay from a Playback call to the Capture
	// call that delivers the frame's echo, device buffering included,
	// passed to the module with every frame. In delay-agnostic mode it is
	// only a starting point.
	DelayMs int
	// Noise is the noise suppressor's level.
	Noise NoiseSuppression
	// NoHighPassFilter turns off the high-pass filter that removes DC and
	// rumble from the microphone signal before the echo canceller.
	NoHighPassFilter bool
	// NoMicDelay turns off the MicDelayMs delay of the microphone signal
	// in front of the module.
	NoMicDelay bool
}

// MicDelayMs is how long a Canceller delays the microphone signal before
// the module sees it, unless Config.NoMicDelay. AEC2 aligns its reference
// on the assumption that an echo arrives a good 10 ms or more after the
// frame was played; an echo that arrives sooner (a device path with very
// little buffering) falls partly before the reference and is only partly
// cancelled. Delaying the microphone makes every echo late enough, for
// that much more output latency.
const MicDelayMs = 10

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
	if cfg.Suppression == DefaultSuppression {
		cfg.Suppression = HighSuppression
	}
	if cfg.Suppression < LowSuppression || cfg.Suppression > HighSuppression {
		return cfg, fmt.Errorf("%w: suppression level %d", ErrConfig, int(cfg.Suppression))
	}
	if cfg.Noise < NoiseOff || cfg.Noise > NoiseHigh {
		return cfg, fmt.Errorf("%w: noise suppression level %d", ErrConfig, int(cfg.Noise))
	}
	if cfg.DelayMs < 0 || cfg.DelayMs > 500 {
		return cfg, fmt.Errorf("%w: delay of %d ms is outside 0–500 ms", ErrConfig, cfg.DelayMs)
	}
	return cfg, nil
}

// Latency is how many samples Capture's output lags its input with cfg:
// the microphone delay (MicDelayMs), the module's band-splitting filter
// bank, the canceller's block buffering and, when it runs, the noise
// suppressor's overlap (6 ms). It is 0 for an invalid Config.
func (cfg Config) Latency() int {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return 0
	}
	var n int
	switch cfg.SampleRate {
	case 16000:
		n = 112
	case 32000:
		n = 228
	case 48000:
		n = 382
	}
	if cfg.Noise != NoiseOff {
		n += 6 * cfg.SampleRate / 1000
	}
	if !cfg.NoMicDelay {
		n += MicDelayMs * cfg.SampleRate / 1000
	}
	return n
}
