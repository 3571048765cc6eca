package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/pion/mediadevices"
	"github.com/pion/webrtc/v4"

	"peercall/media/sound"
)

// patternCamera is the camera setting that sends the test pattern.
const patternCamera = "pattern"

// defaultSTUN is used until the settings name other servers.
const defaultSTUN = "stun:stun.l.google.com:19302"

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
	Camera     string // device id, "" for the first camera, or patternCamera
	STUN       []string
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
	return sendWidth, sendHeight
}

func loadSettings(p fyne.Preferences) settings {
	return settings{
		Camera:     p.String(prefCamera),
		STUN:       splitLines(p.StringWithFallback(prefSTUN, defaultSTUN)),
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

func (s settings) iceServers() []webrtc.ICEServer {
	var servers []webrtc.ICEServer
	for _, u := range s.STUN {
		if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
			u = "stun:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}})
	}
	if s.TURN != "" {
		u := s.TURN
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			u = "turn:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}, Username: s.TURNUser, Credential: s.TURNPass})
	}
	return servers
}

// deviceChoice is one entry of a device list.
type deviceChoice struct{ label, id string }

// cameraChoices lists the cameras mediadevices finds, then the pattern.
func cameraChoices() []deviceChoice {
	var out []deviceChoice
	for _, d := range mediadevices.EnumerateDevices() {
		if d.Kind == mediadevices.VideoInput {
			out = append(out, deviceChoice{label: d.Label, id: d.DeviceID})
		}
	}
	return append(out, deviceChoice{label: "Test pattern", id: patternCamera})
}

// soundChoices lists microphones or speakers, the system default first.
func soundChoices(list func(*sound.System) ([]sound.Device, error)) []deviceChoice {
	out := []deviceChoice{{label: "System default", id: ""}}
	sys, err := sound.Open()
	if err != nil {
		return out
	}
	defer sys.Close()
	devs, err := list(sys)
	if err != nil {
		return out
	}
	for _, d := range devs {
		out = append(out, deviceChoice{label: d.Name, id: d.ID})
	}
	return out
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
	camera, cameraID := choiceSelect(cameraChoices(), cur.Camera)
	picture, pictureID := choiceSelect(pictureChoices, cur.Picture)
	mic, micID := choiceSelect(soundChoices((*sound.System).Microphones), cur.Microphone)
	speaker, speakerID := choiceSelect(soundChoices((*sound.System).Speakers), cur.Speaker)
	echo := widget.NewCheck("Cancel echo, suppress noise, level the voice", nil)
	echo.SetChecked(cur.EchoCancel)
	stun := widget.NewMultiLineEntry()
	stun.SetText(strings.Join(cur.STUN, "\n"))
	stun.SetPlaceHolder("stun:host:3478, one a line")
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
