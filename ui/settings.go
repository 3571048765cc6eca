package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/pion/mediadevices"
	"github.com/pion/webrtc/v4"
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
)

// settings are what the next call uses.
type settings struct {
	Camera   string // device id, "" for the first camera, or patternCamera
	STUN     []string
	TURN     string
	TURNUser string
	TURNPass string
}

func loadSettings(p fyne.Preferences) settings {
	return settings{
		Camera:   p.String(prefCamera),
		STUN:     splitLines(p.StringWithFallback(prefSTUN, defaultSTUN)),
		TURN:     strings.TrimSpace(p.String(prefTURN)),
		TURNUser: p.String(prefTURNUser),
		TURNPass: p.String(prefTURNPass),
	}
}

func (s settings) save(p fyne.Preferences) {
	p.SetString(prefCamera, s.Camera)
	p.SetString(prefSTUN, strings.Join(s.STUN, "\n"))
	p.SetString(prefTURN, s.TURN)
	p.SetString(prefTURNUser, s.TURNUser)
	p.SetString(prefTURNPass, s.TURNPass)
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

// cameraChoice is one entry of the camera list.
type cameraChoice struct{ label, id string }

// cameraChoices lists the cameras mediadevices finds, then the pattern.
func cameraChoices() []cameraChoice {
	var out []cameraChoice
	for _, d := range mediadevices.EnumerateDevices() {
		if d.Kind == mediadevices.VideoInput {
			out = append(out, cameraChoice{label: d.Label, id: d.DeviceID})
		}
	}
	return append(out, cameraChoice{label: "Test pattern", id: patternCamera})
}

// showSettings opens the settings dialog; changes apply to the next call.
func (u *UI) showSettings() {
	cur := loadSettings(u.app.Preferences())
	cams := cameraChoices()
	labels := make([]string, len(cams))
	selected := ""
	for i, c := range cams {
		labels[i] = c.label
		if c.id == cur.Camera {
			selected = c.label
		}
	}
	if selected == "" {
		selected = labels[0]
	}
	camera := widget.NewSelect(labels, nil)
	camera.SetSelected(selected)
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
		widget.NewFormItem("STUN servers", stun),
		widget.NewFormItem("TURN server", turn),
		widget.NewFormItem("TURN user", user),
		widget.NewFormItem("TURN password", pass),
	}
	d := dialog.NewForm("Settings", "Save", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		next := settings{STUN: splitLines(stun.Text), TURN: strings.TrimSpace(turn.Text), TURNUser: user.Text, TURNPass: pass.Text}
		for _, c := range cams {
			if c.label == camera.Selected {
				next.Camera = c.id
			}
		}
		next.save(u.app.Preferences())
	}, u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}
