package sound

import "errors"

// What can go wrong with the sound system, wrapped with %w with the
// system's own words where it gave any.
var (
	// ErrNoSoundSystem means neither PulseAudio nor ALSA could be used.
	ErrNoSoundSystem = errors.New("no sound system: neither PulseAudio nor ALSA is available")
	// ErrNoMicrophone and ErrNoSpeaker mean the device could not be opened.
	ErrNoMicrophone = errors.New("no microphone could be opened")
	ErrNoSpeaker    = errors.New("no speaker could be opened")
	// ErrStopped is reported when a device stops by itself (unplugged,
	// the sound server went away).
	ErrStopped = errors.New("the sound device stopped")
)
