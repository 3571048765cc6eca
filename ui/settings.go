package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/pion/mediadevices"

	"peercall/call"
	"peercall/media/sound"
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
	STUN       []string // nil: the default STUN server
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
		STUN:       splitLines(p.String(prefSTUN)),
		TURN:       strings.TrimSpace(p.String(prefTURN)),
		TURNUser:   p.String(prefTURNUser),
		TURNPass:   p.String(prefTURNPass),
		Microphone: p.String(prefMic),
		Speaker:    p.String(prefSpeaker),
		EchoCancel: p.BoolWithFallback(prefAEC, true),
		Picture:    p.StringWithFallback(prefPicture, pictureChoices[0].id),
	}
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

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// deviceChoice is one entry of a device list.
type deviceChoice struct{ label, id string }

// cameraChoices lists the first camera found, the cameras mediadevices
// finds, the test pattern and "no camera"; a camera saved earlier that is
// not connected now is listed too, so the settings show what is saved.
func cameraChoices(saved string) []deviceChoice {
	out := []deviceChoice{{label: "First camera found", id: ""}}
	for _, d := range mediadevices.EnumerateDevices() {
		if d.Kind == mediadevices.VideoInput {
			out = append(out, deviceChoice{label: d.Label, id: d.DeviceID})
		}
	}
	out = append(out, deviceChoice{label: "Test pattern", id: patternCamera}, deviceChoice{label: "No camera", id: noCamera})
	return withSaved(out, saved)
}

// withSaved adds the saved id to choices when it is not among them (a
// device unplugged since it was chosen).
func withSaved(choices []deviceChoice, saved string) []deviceChoice {
	for _, c := range choices {
		if c.id == saved {
			return choices
		}
	}
	return append(choices, deviceChoice{label: "Not connected now (" + shortID(saved) + ")", id: saved})
}

func shortID(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}

// soundChoices lists microphones or speakers, the system default first,
// and the saved one when it is not connected now.
func soundChoices(list func(*sound.System) ([]sound.Device, error), saved string) []deviceChoice {
	out := []deviceChoice{{label: "System default", id: ""}}
	if sys, err := sound.Open(); err == nil {
		devs, err := list(sys)
		sys.Close()
		if err == nil {
			for _, d := range devs {
				out = append(out, deviceChoice{label: d.Name, id: d.ID})
			}
		}
	}
	return withSaved(out, saved)
}

// choiceSelect makes a select over choices with the one whose id is cur
// selected, and a function that reads the chosen id back.
func choiceSelect(choices []deviceChoice, cur string) (*widget.Select, func() string) {
	labels := make([]string, len(choices))
	for i, c := range choices {
		labels[i] = c.label
	}
	sel := widget.NewSelect(labels, nil)
	sel.SetSelected(labels[0])
	for _, c := range choices {
		if c.id == cur {
			sel.SetSelected(c.label)
			break
		}
	}
	return sel, func() string {
		for _, c := range choices {
			if c.label == sel.Selected {
				return c.id
			}
		}
		return ""
	}
}

// showSettings opens the settings dialog; changes apply to the next call.
func (u *UI) showSettings() {
	cur := loadSettings(u.app.Preferences())
	camera, cameraID := choiceSelect(cameraChoices(cur.Camera), cur.Camera)
	picture, pictureID := choiceSelect(pictureChoices, cur.Picture)
	mic, micID := choiceSelect(soundChoices((*sound.System).Microphones, cur.Microphone), cur.Microphone)
	speaker, speakerID := choiceSelect(soundChoices((*sound.System).Speakers, cur.Speaker), cur.Speaker)
	echo := widget.NewCheck("Cancel echo, suppress noise, level the voice", nil)
	echo.SetChecked(cur.EchoCancel)
	stun := widget.NewMultiLineEntry()
	stun.SetText(strings.Join(cur.STUN, "\n"))
	stun.SetPlaceHolder(call.DefaultSTUN + " (when empty)")
	stun.SetMinRowsVisible(2)
	turn := widget.NewEntry()
	turn.SetText(cur.TURN)
	turn.SetPlaceHolder("turn:host:3478 (optional)")
	user := widget.NewEntry()
	user.SetText(cur.TURNUser)
	pass := widget.NewPasswordEntry()
	pass.SetText(cur.TURNPass)
	form := []*widget.FormItem{
		widget.NewFormItem("Camera", camera),
		widget.NewFormItem("Picture", picture),
		widget.NewFormItem("Microphone", mic),
		widget.NewFormItem("Speaker", speaker),
		widget.NewFormItem("Sound", echo),
		widget.NewFormItem("STUN servers", stun),
		widget.NewFormItem("TURN server", turn),
		widget.NewFormItem("TURN user", user),
		widget.NewFormItem("TURN password", pass),
	}
	d := dialog.NewForm("Settings", "Save", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		next := settings{
			Camera: cameraID(), Picture: pictureID(), Microphone: micID(), Speaker: speakerID(), EchoCancel: echo.Checked,
			STUN: splitLines(stun.Text), TURN: strings.TrimSpace(turn.Text), TURNUser: user.Text, TURNPass: pass.Text,
		}
		next.save(u.app.Preferences())
	}, u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}
