package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/media"
)

// The volume of the other side's voice, in per cent: 0 to volumeMax×100,
// in steps of volumeStep, 100 unless changed. It is remembered for the
// next call.
const (
	prefVolume    = "volume"
	volumeDefault = 100.0
	volumeMax     = media.MaxVolume
	volumeStep    = 5.0
)

// loadVolume is the volume the last call ended with, in per cent.
func loadVolume(p fyne.Preferences) float64 {
	v := p.FloatWithFallback(prefVolume, volumeDefault)
	if v != v || v < 0 || v > 100*volumeMax { // NaN or out of range: a hand-edited file
		return volumeDefault
	}
	return v
}

// volumeChanged follows the slider: the call plays at the new volume at
// once, and the next call starts with it.
func (s *callSound) volumeChanged(v float64) {
	s.c.att.call.SetVolume(v / 100)
	s.c.u.app.Preferences().SetFloat(prefVolume, v)
	s.showVolume(v)
	s.c.wake()
}

// showVolume sets the button's icon and tip and the popup's figure.
func (s *callSound) showVolume(v float64) {
	icon := theme.VolumeUpIcon()
	switch {
	case v == 0:
		icon = theme.VolumeMuteIcon()
	case v < volumeDefault:
		icon = theme.VolumeDownIcon()
	}
	if s.button.Icon != icon {
		s.button.SetIcon(icon)
	}
	s.button.setTip(fmt.Sprintf("Their volume: %.0f %%", v))
	s.value.SetText(fmt.Sprintf("%.0f %%", v))
}

// togglePopup opens the volume popup above the button, or closes it.
func (s *callSound) togglePopup() {
	if s.popup != nil && s.popup.Visible() {
		s.popup.Hide()
		return
	}
	canvas := s.c.u.win.Canvas()
	if s.popup == nil {
		reset := widget.NewButton("Back to 100 %", func() { s.slider.SetValue(volumeDefault) })
		reset.Importance = widget.LowImportance
		title := widget.NewLabelWithStyle("Their volume", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		row := container.NewBorder(nil, nil, nil, s.value, title)
		slider := container.NewGridWrap(fyne.NewSize(volumePopupWidth, s.slider.MinSize().Height), s.slider)
		s.popup = widget.NewPopUp(container.NewVBox(row, slider, container.NewHBox(reset)), canvas)
	}
	s.popup.Resize(s.popup.Content.MinSize())
	s.popup.ShowAtPosition(s.popupPosition(canvas.Size()))
	canvas.Focus(s.slider)
	s.c.wake()
}

// volumePopupWidth is the slider's length.
const volumePopupWidth = 200

// popupPosition puts the popup above the volume button, inside the window.
func (s *callSound) popupPosition(win fyne.Size) fyne.Position {
	size := s.popup.Content.MinSize().Add(fyne.NewSize(2*theme.InnerPadding(), 2*theme.InnerPadding()))
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(s.button)
	x := at.X + (s.button.Size().Width-size.Width)/2
	y := at.Y - size.Height - theme.Padding()
	x = max(0, min(x, win.Width-size.Width))
	return fyne.NewPos(x, max(y, 0))
}

// volumeSlider is the popup's slider: the arrow keys move it, Esc
// closes the popup.
type volumeSlider struct {
	widget.Slider
	escape func()
}

func newVolumeSlider(escape func()) *volumeSlider {
	s := &volumeSlider{escape: escape}
	s.Min, s.Max, s.Step = 0, 100*volumeMax, volumeStep
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey implements fyne.Focusable.
func (s *volumeSlider) TypedKey(e *fyne.KeyEvent) {
	if e.Name == fyne.KeyEscape {
		s.escape()
		return
	}
	s.Slider.TypedKey(e)
}

// popupOpen reports whether the volume popup is showing: the controls
// stay while it is.
func (s *callSound) popupOpen() bool { return s.popup != nil && s.popup.Visible() }
