package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// The call screen's choice of camera, microphone and speaker: a menu over
// the controls, each device a tick away, applied at once in the same call
// and kept for the next one.

// deviceKind is one of the three kinds of device the menu changes.
type deviceKind int

const (
	kindCamera deviceKind = iota
	kindMicrophone
	kindSpeaker
)

// deviceLists are what the menu offers, with the ids in use.
type deviceLists struct {
	cameras, microphones, speakers []deviceChoice
	camera, microphone, speaker    string
}

// listDevices lists the devices the call can change to. It asks the
// camera driver and the sound server, which can take a moment: off the UI
// goroutine.
func (c *callScreen) listDevices() deviceLists {
	var l deviceLists
	l.camera, l.microphone, l.speaker = c.att.call.Devices()
	cam, mic, spk := c.att.call.CanChange()
	if cam {
		// The cameras only: the pattern and "no camera" are for the
		// settings; the camera button turns the camera off.
		for _, d := range cameraChoices(l.camera) {
			if d.id != patternCamera && d.id != noCamera {
				l.cameras = append(l.cameras, d)
			}
		}
	}
	if mic {
		l.microphones = soundChoices(true, l.microphone)
	}
	if spk {
		l.speakers = soundChoices(false, l.speaker)
	}
	return l
}

// deviceMenu is the menu for l; choose runs when a device is picked.
func deviceMenu(l deviceLists, choose func(deviceKind, string)) *fyne.Menu {
	var items []*fyne.MenuItem
	section := func(title string, kind deviceKind, choices []deviceChoice, inUse string) {
		if len(choices) == 0 {
			return
		}
		if len(items) > 0 {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		head := fyne.NewMenuItem(title, nil)
		head.Disabled = true
		items = append(items, head)
		for _, d := range choices {
			item := fyne.NewMenuItem(d.label, func() { choose(kind, d.id) })
			item.Checked = d.id == inUse
			items = append(items, item)
		}
	}
	section("Camera", kindCamera, l.cameras, l.camera)
	section("Microphone", kindMicrophone, l.microphones, l.microphone)
	section("Speaker", kindSpeaker, l.speakers, l.speaker)
	if len(items) == 0 {
		none := fyne.NewMenuItem("No devices to choose from in this call", nil)
		none.Disabled = true
		items = append(items, none)
	}
	return fyne.NewMenu("", items...)
}

// showDevices opens the device menu above the devices button.
func (c *callScreen) showDevices() {
	go func() {
		l := c.listDevices()
		onUI(func() {
			if c.u.call != c {
				return // the call ended meanwhile
			}
			canvas := c.u.win.Canvas()
			items := deviceMenu(l, c.chooseDevice)
			m := widget.NewPopUpMenu(items, canvas)
			btn := fyne.CurrentApp().Driver().AbsolutePositionForObject(c.devices)
			size := m.MinSize()
			at := fyne.NewPos(btn.X, btn.Y-size.Height)
			win := canvas.Size()
			at.X = max(0, min(at.X, win.Width-size.Width))
			at.Y = max(0, at.Y)
			m.ShowAtPosition(at)
			c.devicesMenu, c.deviceItems = m, items
		})
	}()
}

// chooseDevice puts the device picked in place in the call, off the UI
// goroutine (opening a device can take a moment), and keeps it for the
// next call. What cannot be opened shows in the call's notice, as a device
// that went away does.
func (c *callScreen) chooseDevice(kind deviceKind, id string) {
	prefs := c.u.app.Preferences()
	s := loadSettings(prefs)
	switch kind {
	case kindCamera:
		s.Camera = id
	case kindMicrophone:
		s.Microphone = id
	case kindSpeaker:
		s.Speaker = id
	}
	s.save(prefs)
	cl := c.att.call
	go func() {
		switch kind {
		case kindCamera:
			cl.SetCamera(id)
		case kindMicrophone:
			cl.SetMicrophone(id)
		case kindSpeaker:
			cl.SetSpeaker(id)
		}
	}()
}
