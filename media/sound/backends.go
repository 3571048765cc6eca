//go:build !windows

package sound

import "github.com/gen2brain/malgo"

// backends are the sound systems Open tries, in order: PulseAudio (or
// PipeWire's PulseAudio server), then ALSA directly.
var backends = []malgo.Backend{malgo.BackendPulseaudio, malgo.BackendAlsa}
