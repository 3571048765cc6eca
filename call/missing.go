package call

// Missing says which devices a call lacks and why: each field is nil while
// that device works (or was not asked for), else the reason. The call goes
// on without what is missing.
type Missing struct {
	// Camera: none found, it failed to open, it failed mid-call, or it
	// stopped sending pictures. The other side sees the "camera off"
	// picture. Nil while the camera is live, when the person turned it off,
	// and when the test pattern is sent.
	Camera error
	// Microphone: none could be opened, or it went away mid-call; the
	// other side hears nothing.
	Microphone error
	// Speaker: none could be opened, or it went away mid-call; the other
	// side's sound is not played.
	Speaker error
	// SoundServer: neither PulseAudio nor ALSA could be used, so neither
	// microphone nor speaker was opened.
	SoundServer error
}

// The names Missing.Names gives, as the statistics lines carry them.
const (
	MissingCamera      = "camera"
	MissingMicrophone  = "microphone"
	MissingSpeaker     = "speaker"
	MissingSoundServer = "sound server"
)

// Names lists what is missing, in a fixed order; nil when nothing is.
func (m Missing) Names() []string {
	var out []string
	for _, d := range []struct {
		err  error
		name string
	}{
		{m.Camera, MissingCamera},
		{m.Microphone, MissingMicrophone},
		{m.Speaker, MissingSpeaker},
		{m.SoundServer, MissingSoundServer},
	} {
		if d.err != nil {
			out = append(out, d.name)
		}
	}
	return out
}
