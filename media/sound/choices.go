package sound

import (
	"encoding/hex"
	"strings"
)

// SystemName is the name the sound system itself gives a device, read
// from its ID: a PulseAudio sink or source ("nullsink.monitor") or an ALSA
// PCM ("hw:CARD=PCH,DEV=0"). It is "" for an ID that is not one.
func SystemName(id string) string {
	raw, err := hex.DecodeString(id)
	if err != nil {
		return ""
	}
	if i := strings.IndexByte(string(raw), 0); i >= 0 {
		raw = raw[:i]
	}
	for _, b := range raw {
		if b < 0x20 || b > 0x7e {
			return ""
		}
	}
	return string(raw)
}

// virtualPCMs are ALSA PCMs that are plugins, converters or other sound
// servers rather than a device: with no sound server running, ALSA lists
// them all ("Discard all samples…", "Rate Converter Plugin…", "JACK Audio
// Connection Kit"), and none of them is something to talk into or listen
// to. "pulse" is among them: when it is listed, PulseAudio did not answer,
// so it would not work either.
var virtualPCMs = map[string]bool{
	"null": true, "lavrate": true, "samplerate": true, "speexrate": true,
	"jack": true, "oss": true, "pulse": true, "pipewire": true, "speex": true,
	"upmix": true, "vdownmix": true, "dmix": true, "dsnoop": true,
	"surround21": true, "surround40": true, "surround41": true, "surround50": true,
	"surround51": true, "surround71": true, "usbstream": true, "a52": true,
	"dca": true, "vdpau": true, "plug": true, "asym": true, "file": true,
	"tee": true, "route": true, "rate": true, "linear": true, "softvol": true,
	"shm": true, "lfloat": true, "modem": true, "phoneline": true,
	// The system's default is the list's first entry already.
	"default": true,
}

// virtualName reports a description that belongs to a plugin, whatever
// its PCM is called.
func virtualName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"plugin", "discard all samples", "rate converter", "jack audio connection kit",
		"pulseaudio sound server", "open sound system", "pipewire sound server"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Virtual reports whether d is not a device a person would pick: an ALSA
// plugin, converter or mixer, or another sound server's bridge.
func Virtual(d Device) bool {
	pcm, _, _ := strings.Cut(SystemName(d.ID), ":")
	return virtualPCMs[strings.ToLower(pcm)] || virtualName(d.Name)
}

// Monitor reports whether d is the monitor of a speaker: a "microphone"
// that hears what the machine plays, not the room.
func Monitor(d Device) bool {
	return strings.HasSuffix(SystemName(d.ID), ".monitor") || strings.HasPrefix(d.Name, "Monitor of ")
}

// Choosable keeps the devices of devs a person would pick, in their
// order: no plugins or virtual devices; for microphones, no monitors of
// speakers unless there is nothing else; of ALSA's hw: and plughw: views
// of one device, only plughw: (it converts to the format asked for).
// A device's name is its description's first line.
func Choosable(devs []Device, microphones bool) []Device {
	plug := map[string]bool{}
	for _, d := range devs {
		if rest, ok := strings.CutPrefix(SystemName(d.ID), "plughw:"); ok {
			plug[rest] = true
		}
	}
	var out, monitors []Device
	for _, d := range devs {
		if Virtual(d) {
			continue
		}
		if rest, ok := strings.CutPrefix(SystemName(d.ID), "hw:"); ok && plug[rest] {
			continue
		}
		d.Name = firstLine(d.Name)
		if microphones && Monitor(d) {
			monitors = append(monitors, d)
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return monitors
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
