package headless

import (
	"fmt"
	"log/slog"

	"peercall/media"
	"peercall/media/aec"
	"peercall/media/sound"
)

// callSound is a headless call's audio: what it sends, where the other
// side's sound goes, and the devices behind them. A missing sound system or
// device is logged and the call goes on without it.
type callSound struct {
	input   media.AudioInput
	speaker *media.Speaker
	output  interface{ Close() error }
	aec     *aec.Canceller
	sys     *sound.System
}

func openSound(f *callFlags, log *slog.Logger) (*callSound, error) {
	cs := &callSound{speaker: media.NewSpeaker()}
	needDevices := f.audioSource == "mic" || f.audioOut == "default"
	if needDevices {
		sys, err := sound.Open()
		if err != nil {
			log.Warn("no sound system; the call goes on without sound devices", "why", err)
		}
		cs.sys = sys
	}
	if cs.sys != nil && f.aec == "on" && f.audioSource == "mic" {
		c, err := media.NewEchoCanceller()
		if err != nil {
			log.Warn("echo cancellation unavailable", "why", err)
		}
		cs.aec = c
	}
	switch f.audioSource {
	case "tone":
		cs.input = media.NewToneInput()
	case "mic":
		if cs.sys != nil {
			in, err := media.NewMicInput(cs.sys, "", cs.aec)
			if err != nil {
				log.Warn("no microphone; sending no sound", "why", err)
			} else {
				cs.input = in
			}
		}
	}
	switch f.audioOut {
	case "none":
		cs.output = media.NewNullOutput(cs.speaker)
	case "default":
		if cs.sys != nil {
			out, err := media.NewDeviceOutput(cs.sys, "", cs.speaker, cs.aec)
			if err != nil {
				log.Warn("no speaker; the other side's sound is not played", "why", err)
			} else {
				cs.output = out
			}
		}
		if cs.output == nil {
			cs.output = media.NewNullOutput(cs.speaker)
		}
	default:
		out, err := media.NewFileOutput(f.audioOut, cs.speaker)
		if err != nil {
			if cs.input != nil {
				cs.input.Close()
			}
			cs.close()
			return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot write %s: %v", f.audioOut, err)}
		}
		cs.output = out
	}
	return cs, nil
}

// close releases the output and the devices; the session has closed the
// input by then.
func (cs *callSound) close() {
	if cs.output != nil {
		cs.output.Close()
	}
	if cs.aec != nil {
		cs.aec.Close()
	}
	if cs.sys != nil {
		cs.sys.Close()
	}
}
