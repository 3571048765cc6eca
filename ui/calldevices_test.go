package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
	"peercall/media"
	"peercall/media/mediatest"
	"peercall/media/sound"
	"peercall/media/sound/soundtest"
)

// deviceCall opens a call with two cameras ("front", "usb") and a sound
// server with two speakers ("Left", "Right") whose monitors are the
// microphones, on the call screen.
func deviceCall(t *testing.T, u *UI) *callScreen {
	t.Helper()
	soundtest.Start(t, []string{
		"module-null-sink sink_name=left sink_properties=device.description=Left",
		"module-null-sink sink_name=right sink_properties=device.description=Right",
	}).Use(t)
	saved := cameraDevices
	cameraDevices = func() []deviceChoice {
		return []deviceChoice{{label: "Front camera", id: "front"}, {label: "USB camera", id: "usb"}}
	}
	t.Cleanup(func() { cameraDevices = saved })
	c0, err := call.Open(call.Options{
		STUN: []string{call.NoSTUN}, Interfaces: []string{"lo"},
		Video: call.VideoCamera, Camera: "front", Width: 320, Height: 240, FPS: 15,
		Audio: call.AudioMic, Output: call.OutputSpeaker,
		OpenCamera: func(id string, w, h, fps int) (media.VideoSource, error) {
			if id != "front" && id != "usb" {
				return nil, media.ErrNoCamera
			}
			return mediatest.NewCamera(w, h, fps), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c0.Close() })
	a := &attempt{call: c0, sess: c0.Session(), remote: NewVideoView("Connecting…", false), self: NewVideoView("", true),
		sendW: 320, sendH: 240}
	u.attempt = a
	c := u.showCallFor(a)
	c.fadeAfter, c.safetyFor = time.Hour, time.Hour
	at := time.Date(2026, 12, 6, 10, 42, 0, 0, time.UTC)
	c.now = func() time.Time { return at }
	return c
}

// menuItem is the item of the open device menu labelled label.
func menuItem(t *testing.T, c *callScreen, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range c.deviceItems.Items {
		if it.Label == label {
			return it
		}
	}
	var labels []string
	for _, it := range c.deviceItems.Items {
		labels = append(labels, it.Label)
	}
	t.Fatalf("no %q in the device menu: %q", label, labels)
	return nil
}

// The device menu of the call screen lists the cameras, microphones and
// speakers with the ones in use ticked; picking one puts it in place in the
// call and keeps it for the next call.
func TestCallScreenChangesDevices(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, size fyne.Size) {
		c := deviceCall(t, u)
		// The button and its shortcut open the menu.
		test.Tap(c.devices)
		waitFor(t, "the device menu", func() bool { return c.devicesMenu != nil && c.devicesMenu.Visible() })
		test.AssertRendersToMarkup(t, "call/devices_"+name+".xml", u.win.Canvas())
		menu := c.devicesMenu
		if r := menuRect(menu); r.x < 0 || r.y < 0 || r.x+r.w > size.Width+0.5 || r.y+r.h > size.Height+0.5 {
			t.Errorf("the menu at %+v runs off the %v window", r, size)
		}
		if !menuItem(t, c, "Front camera").Checked || menuItem(t, c, "USB camera").Checked {
			t.Error("the camera in use is not the one ticked")
		}
		if !strings.HasPrefix(c.deviceItems.Items[0].Label, "Camera") || !c.deviceItems.Items[0].Disabled {
			t.Errorf("the menu does not start with its Camera heading: %q", c.deviceItems.Items[0].Label)
		}
		menu.Hide()

		sys, err := sound.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer sys.Close()
		right := ""
		spk, _ := sys.Speakers()
		for _, d := range spk {
			if d.Name == "Right" {
				right = d.ID
			}
		}

		c.devicesMenu = nil
		u.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutSettings)
		waitFor(t, "the device menu from Ctrl+,", func() bool { return c.devicesMenu != nil && c.devicesMenu.Visible() })
		menuItem(t, c, "USB camera").Action()
		menuItem(t, c, "Right").Action()
		waitFor(t, "the USB camera and the Right speaker in use", func() bool {
			cam, _, sp := c.att.call.Devices()
			return cam == "usb" && sp == right
		})
		if !c.att.call.CameraLive() {
			t.Error("the USB camera sends no picture")
		}
		s := loadSettings(u.app.Preferences())
		if s.Camera != "usb" || s.Speaker != right {
			t.Errorf("kept for the next call: camera %q, speaker %q", s.Camera, s.Speaker)
		}
		if m := c.att.call.Missing(); len(m.Names()) != 0 {
			t.Errorf("missing %v after the change", m.Names())
		}
		// Opened again, the menu ticks the new ones.
		c.devicesMenu.Hide()
		c.devicesMenu = nil
		c.showDevices()
		waitFor(t, "the device menu again", func() bool { return c.devicesMenu != nil && c.devicesMenu.Visible() })
		if !menuItem(t, c, "USB camera").Checked || !menuItem(t, c, "Right").Checked || menuItem(t, c, "Front camera").Checked {
			t.Error("the menu does not tick the devices now in use")
		}
	})
}

type rect struct{ x, y, w, h float32 }

func menuRect(m *widget.PopUpMenu) rect {
	p, s := m.Position(), m.Size()
	return rect{p.X, p.Y, s.Width, s.Height}
}
