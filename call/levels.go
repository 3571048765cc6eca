package call

import "peercall/media"

// Levels are what a call's sound meters read: what this side captures and
// what it plays of the other side, as RMS in dBFS falling like a VU meter
// (media.LevelMeter), and whether this side's microphone hears someone
// speaking.
type Levels struct {
	// Local is the level this side captures, measured before the mute:
	// a muted microphone still reads what it hears. media.SilentLevel
	// with no input.
	Local float64
	// Remote is the level of the other side's sound as played, at the
	// volume set.
	Remote float64
	// Speaking says the input hears speech (media.SpeechDetector), muted
	// or not: muted, the window tells the person they are not heard.
	Speaking bool
}

// Levels reads the call's meters; cheap enough to call ten times a
// second from any goroutine.
func (c *Call) Levels() Levels {
	l := Levels{Local: media.SilentLevel, Remote: c.speaker.Level()}
	if c.metered != nil {
		l.Local, l.Speaking = c.metered.Level(), c.metered.Speaking()
	}
	return l
}

// SetVolume sets how loud the other side is played: 1 as received, 0
// silent, up to media.MaxVolume (twice as loud). The change is smooth and
// loud peaks are limited softly; it applies to the speaker and to a sound
// file alike.
func (c *Call) SetVolume(v float64) { c.speaker.SetVolume(v) }

// Volume is the volume last set; 1 unless changed.
func (c *Call) Volume() float64 { return c.speaker.Volume() }
