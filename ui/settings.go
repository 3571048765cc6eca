package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"github.com/pion/mediadevices"

	"peercall/call"
	"peercall/media"
	"peercall/media/dshow"
	"peercall/media/sound"
	"peercall/rtc/probe"
)

// Camera settings besides a device id: the test pattern, and no camera
// (the call starts with the camera off).
const (
	patternCamera = "pattern"
	noCamera      = "none"
)

// Preference keys.
const (
	prefCamera   = "camera"
	prefSTUN     = "stun"
	prefTURN     = "turn"
	prefTURNUser = "turn_user"
	prefTURNPass = "turn_pass"
	prefMic      = "microphone"
	prefSpeaker  = "speaker"
	prefAEC      = "echo_cancellation"
	prefPicture  = "picture_size"
)

// pictureChoices are the picture sizes the window offers to send.
var pictureChoices = []deviceChoice{
	{label: "Standard (640×480)", id: "640x480"},
	{label: "HD (1280×720)", id: "1280x720"},
}

// settings are what the next call uses.
type settings struct {
	Camera     string   // device id, "" for the first camera, patternCamera or noCamera
	STUN       []string // nil: the default STUN server; call.NoSTUN: none
	TURN       string
	TURNUser   string
	TURNPass   string
	Microphone string // device id, "" for the default
	Speaker    string
	EchoCancel bool
	Picture    string // WxH to send, one of pictureChoices
}

// pictureSize is the size the next call sends: the one given on the
// command line, else the one chosen in the settings, else 640×480.
func pictureSize(opts Options, s settings) (w, h int) {
	if opts.Width > 0 && opts.Height > 0 {
		return opts.Width, opts.Height
	}
	for _, c := range pictureChoices {
		if c.id == s.Picture {
			if _, err := fmt.Sscanf(c.id, "%dx%d", &w, &h); err == nil {
				return w, h
			}
		}
	}
	return call.DefaultWidth, call.DefaultHeight
}

// callOptions turns the settings, and the window's own options, into what
// the next call is opened with.
func (s settings) callOptions(opts Options) call.Options {
	o := call.Options{
		Video:      call.VideoCamera,
		Camera:     s.Camera,
		Audio:      call.AudioMic,
		Microphone: s.Microphone,
		Output:     call.OutputSpeaker,
		Speaker:    s.Speaker,
		EchoCancel: s.EchoCancel,
		STUN:       s.STUN,
		TURNUser:   s.TURNUser,
		TURNPass:   s.TURNPass,
		Interfaces: opts.Interfaces,
		Logger:     opts.Logger,
	}
	switch {
	case opts.Source == "pattern" || s.Camera == patternCamera:
		o.Video, o.Camera = call.VideoPattern, ""
	case s.Camera == noCamera:
		o.Camera, o.CameraOff = "", true
	}
	if s.TURN != "" {
		o.TURN = []string{s.TURN}
	}
	o.Width, o.Height = pictureSize(opts, s)
	return o
}

func loadSettings(p fyne.Preferences) settings {
	return settings{
		Camera:     p.String(prefCamera),
		STUN:       probe.SplitList(p.String(prefSTUN)),
		TURN:       strings.TrimSpace(p.String(prefTURN)),
		TURNUser:   p.String(prefTURNUser),
		TURNPass:   p.String(prefTURNPass),
		Microphone: p.String(prefMic),
		Speaker:    p.String(prefSpeaker),
		EchoCancel: p.BoolWithFallback(prefAEC, true),
		Picture:    p.StringWithFallback(prefPicture, pictureChoices[0].id),
	}
}

// defaultSettings are what a fresh install uses, and what "Restore
// defaults" puts back.
func defaultSettings() settings {
	return settings{EchoCancel: true, Picture: pictureChoices[0].id}
}

func (s settings) save(p fyne.Preferences) {
	p.SetString(prefCamera, s.Camera)
	p.SetString(prefSTUN, strings.Join(s.STUN, "\n"))
	p.SetString(prefTURN, s.TURN)
	p.SetString(prefTURNUser, s.TURNUser)
	p.SetString(prefTURNPass, s.TURNPass)
	p.SetString(prefMic, s.Microphone)
	p.SetString(prefSpeaker, s.Speaker)
	p.SetBool(prefAEC, s.EchoCancel)
	p.SetString(prefPicture, s.Picture)
}

// serverErrors are the sentences that refuse what was typed in the STUN
// and TURN fields; all empty when a call can use it.
type serverErrors struct{ STUN, TURN, Credentials string }

func (e serverErrors) ok() bool { return e == serverErrors{} }

// checkServers reads the STUN list and the TURN server as typed, with the
// parsers the call reads them with: an entry accepted here is one the call
// accepts. It returns the STUN entries to keep (nil for the default).
func checkServers(stunText, turnText, user, pass string) ([]string, serverErrors) {
	var e serverErrors
	entries := probe.SplitList(stunText)
	var bad []string
	for i, entry := range entries {
		if strings.EqualFold(entry, call.NoSTUN) {
			entries[i] = call.NoSTUN
			continue
		}
		if srv, err := probe.ParseSTUN(entry); err != nil {
			bad = append(bad, capitalize(err.Error())+".")
		} else if srv.Secure {
			// WebRTC asks STUN servers over UDP only (pion's ICE agent
			// skips stuns: entries): refused rather than kept unused.
			host := srv.Host
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			bad = append(bad, fmt.Sprintf("%q is STUN over TLS, which calls do not use: write stun:%s instead.", entry, host))
		}
	}
	e.STUN = strings.Join(bad, "\n")
	if turn := strings.TrimSpace(turnText); turn != "" {
		if _, err := probe.ParseTURN(turn); err != nil {
			e.TURN = capitalize(err.Error()) + "."
		} else if err := probe.CheckTURN(user, pass); err != nil {
			e.Credentials = capitalize(err.Error()) + "."
		}
	}
	if isDefaultSTUN(entries) {
		entries = nil
	}
	return entries, e
}

// isDefaultSTUN reports a list that is the default server alone, typed or
// put back by "Restore defaults": it is kept as "the default", so that it
// follows the default if that changes.
func isDefaultSTUN(entries []string) bool {
	if len(entries) != 1 {
		return false
	}
	s, err := probe.ParseSTUN(entries[0])
	d, _ := probe.ParseSTUN(call.DefaultSTUN)
	return err == nil && s.URL == d.URL
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// deviceChoice is one entry of a device list.
type deviceChoice struct{ label, id string }

// cameraChoices lists the first camera found (named when there is one),
// the cameras mediadevices finds, the test pattern and "no camera"; a
// camera saved earlier that is not connected now is listed as such, so the
// settings show what is saved.
func cameraChoices(saved string) []deviceChoice {
	cams := cameraDevices()
	first := deviceChoice{label: "First camera found (none connected now)", id: ""}
	if len(cams) > 0 {
		first.label = "First camera (" + cams[0].label + ")"
	}
	out := append([]deviceChoice{first}, cams...)
	out = append(out, deviceChoice{label: "Test pattern", id: patternCamera}, deviceChoice{label: "No camera", id: noCamera})
	return withSaved(out, saved, shortID(saved))
}

// cameraDevices lists the cameras the camera driver found, listed again
// first if one has been plugged in since (media.RescanCameras).
// A camera is kept by its driver's label (its device path), which stays
// the same from one run to the next; the driver's device id is made anew
// each time the program starts (media.NewCameraSource takes either).
var cameraDevices = func() []deviceChoice {
	media.RescanCameras()
	var cams []deviceChoice
	for _, d := range mediadevices.EnumerateDevices() {
		if d.Kind == mediadevices.VideoInput {
			cams = append(cams, deviceChoice{label: dshow.Label(d.Label), id: d.Label})
		}
	}
	return cams
}

// withSaved adds the saved id to choices when it is not among them (a
// device unplugged since it was chosen), named as not connected.
func withSaved(choices []deviceChoice, saved, name string) []deviceChoice {
	for _, c := range choices {
		if c.id == saved {
			return choices
		}
	}
	return append(choices, deviceChoice{label: "Not connected now (" + name + ")", id: saved})
}

func shortID(id string) string {
	if len([]rune(id)) > 24 {
		return string([]rune(id)[:24]) + "…"
	}
	return id
}

// soundChoices lists microphones or speakers as a person picks them: the
// system default first, named after the device it is now, then the devices
// (no plugins or virtual devices, see sound.Choosable), and the saved one
// as not connected when it is gone.
func soundChoices(microphones bool, saved string) []deviceChoice {
	return soundChoicesFrom(soundDevices(microphones), microphones, saved)
}

// soundDevices lists the sound system's microphones or speakers, all of
// them; nothing when there is no sound system.
var soundDevices = func(microphones bool) []sound.Device {
	sys, err := sound.Open()
	if err != nil {
		return nil
	}
	defer sys.Close()
	list := sys.Speakers
	if microphones {
		list = sys.Microphones
	}
	devs, _ := list()
	return devs
}

func soundChoicesFrom(devs []sound.Device, microphones bool, saved string) []deviceChoice {
	shown := sound.Choosable(devs, microphones)
	def := deviceChoice{label: "System default", id: ""}
	for _, d := range shown {
		if d.Default {
			def.label = "System default (" + d.Name + ")"
		}
	}
	out := []deviceChoice{def}
	for _, d := range shown {
		out = append(out, deviceChoice{label: d.Name, id: d.ID})
	}
	// A device chosen earlier that is listed but not offered (a plugin
	// picked before) is still what is saved: show it by its name.
	for _, d := range devs {
		if d.ID == saved && saved != "" && !containsID(out, saved) {
			name, _, _ := strings.Cut(d.Name, "\n")
			return append(out, deviceChoice{label: name, id: saved})
		}
	}
	name := sound.SystemName(saved)
	if name == "" {
		name = shortID(saved)
	}
	return withSaved(out, saved, shortID(name))
}

func containsID(choices []deviceChoice, id string) bool {
	for _, c := range choices {
		if c.id == id {
			return true
		}
	}
	return false
}
