package sound

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

// dev makes a Device as the sound system lists it: the ID is the
// sound system's name in a 256-byte field, in hex.
func dev(id, name string, def bool) Device {
	raw := make([]byte, 256)
	copy(raw, id)
	return Device{ID: hex.EncodeToString(raw), Name: name, Default: def}
}

func names(devs []Device) []string {
	var out []string
	for _, d := range devs {
		out = append(out, d.Name)
	}
	return out
}

// What ALSA lists on this machine with no sound server running: every
// entry is a plugin or another server's bridge, none is a device.
var alsaWithoutServer = []Device{
	dev("null", "Discard all samples (playback) or generate zero samples (capture)", false),
	dev("lavrate", "Rate Converter Plugin Using Libav/FFmpeg Library", false),
	dev("samplerate", "Rate Converter Plugin Using Samplerate Library", false),
	dev("speexrate", "Rate Converter Plugin Using Speex Resampler", false),
	dev("jack", "JACK Audio Connection Kit", false),
	dev("oss", "Open Sound System", false),
	dev("pulse", "PulseAudio Sound Server", false),
	dev("speex", "Plugin using Speex DSP (resample, agc, denoise, echo, dereverb)", false),
	dev("upmix", "Plugin for channel upmix (4,6,8)", false),
	dev("vdownmix", "Plugin for channel downmix (stereo) with a simple spacialization", false),
}

func TestChoosable(t *testing.T) {
	for _, mic := range []bool{true, false} {
		if got := Choosable(alsaWithoutServer, mic); len(got) != 0 {
			t.Errorf("ALSA without a sound server (microphones %v): %q, want nothing", mic, names(got))
		}
	}
	// With make test's null sink: its monitor is the only microphone, so
	// it stays.
	if got := names(Choosable([]Device{dev("nullsink.monitor", "Monitor of Null Output", true)}, true)); !slices.Equal(got, []string{"Monitor of Null Output"}) {
		t.Errorf("null sink's monitor alone: %q", got)
	}
	// A laptop under PulseAudio: the built-in microphone and a headset; the
	// monitors of its outputs are not microphones.
	pulseMics := []Device{
		dev("alsa_output.pci-0000_00_1f.3.analog-stereo.monitor", "Monitor of Built-in Audio Analog Stereo", false),
		dev("alsa_input.pci-0000_00_1f.3.analog-stereo", "Built-in Audio Analog Stereo", true),
		dev("alsa_input.usb-Logitech_H390-00.mono-fallback", "H390 headset Mono", false),
	}
	if got := names(Choosable(pulseMics, true)); !slices.Equal(got, []string{"Built-in Audio Analog Stereo", "H390 headset Mono"}) {
		t.Errorf("PulseAudio microphones: %q", got)
	}
	// Plain ALSA with a sound card: the card once (plughw: converts), its
	// HDMI output, no mixers; descriptions shown by their first line.
	alsaCard := append(slices.Clone(alsaWithoutServer),
		dev("default", "Default ALSA Output (currently PulseAudio Sound Server)", true),
		dev("hw:CARD=PCH,DEV=0", "HDA Intel PCH, ALC892 Analog\nDirect hardware device without any conversions", false),
		dev("plughw:CARD=PCH,DEV=0", "HDA Intel PCH, ALC892 Analog\nHardware device with all software conversions", false),
		dev("dmix:CARD=PCH,DEV=0", "HDA Intel PCH, ALC892 Analog\nDirect sample mixing device", false),
		dev("surround51:CARD=PCH,DEV=0", "HDA Intel PCH, ALC892 Analog\n5.1 Surround output to Front, Center, Rear and Subwoofer speakers", false),
		dev("hdmi:CARD=HDMI,DEV=0", "HDA Intel HDMI, HDMI 0\nHDMI Audio Output", false),
	)
	if got := names(Choosable(alsaCard, false)); !slices.Equal(got, []string{"HDA Intel PCH, ALC892 Analog", "HDA Intel HDMI, HDMI 0"}) {
		t.Errorf("ALSA speakers: %q", got)
	}
	if SystemName(dev("nullsink", "Null Output", true).ID) != "nullsink" || SystemName("zz") != "" {
		t.Error("SystemName")
	}
}

// What this machine's sound system lists now (ALSA's plugins without a
// sound server; the null sink under make test) leaves no plugin in the
// lists a person picks from.
func TestChoosableHere(t *testing.T) {
	sys := openOrSkip(t)
	for _, mic := range []bool{true, false} {
		list := sys.Speakers
		if mic {
			list = sys.Microphones
		}
		devs, err := list()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range Choosable(devs, mic) {
			for _, bad := range []string{"Plugin", "Discard all samples", "Rate Converter", "JACK", "Sound Server", "Open Sound System"} {
				if d.Name == "" || strings.Contains(d.Name, bad) {
					t.Errorf("%q (%s) offered", d.Name, SystemName(d.ID))
				}
			}
		}
		t.Logf("microphones %v: %d listed, offered %q", mic, len(devs), names(Choosable(devs, mic)))
	}
}
