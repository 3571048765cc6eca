package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// tooltipDelay is how long the pointer rests on a control before its tip
// shows.
const tooltipDelay = 600 * time.Millisecond

// tipButton is a button that shows a short tip (what it does and its
// keyboard shortcut) when the pointer rests on it.
type tipButton struct {
	widget.Button
	tip   string
	hover func(in bool) // told when the pointer comes and goes; may be nil
	popup *widget.PopUp
	timer *time.Timer
}

func newTipButton(icon fyne.Resource, tip string, tapped func()) *tipButton {
	b := &tipButton{tip: tip}
	b.Icon = icon
	b.OnTapped = tapped
	b.ExtendBaseWidget(b)
	return b
}

// MouseIn implements desktop.Hoverable.
func (b *tipButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	if b.hover != nil {
		b.hover(true)
	}
	b.stopTimer()
	b.timer = time.AfterFunc(tooltipDelay, func() { onUI(b.showTip) })
}

// MouseOut implements desktop.Hoverable.
func (b *tipButton) MouseOut() {
	b.Button.MouseOut()
	if b.hover != nil {
		b.hover(false)
	}
	b.stopTimer()
	b.hideTip()
}

// Tapped hides the tip and runs the action.
func (b *tipButton) Tapped(e *fyne.PointEvent) {
	b.stopTimer()
	b.hideTip()
	b.Button.Tapped(e)
}

func (b *tipButton) stopTimer() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
}

func (b *tipButton) showTip() {
	c := fyne.CurrentApp().Driver().CanvasForObject(b)
	if c == nil || b.tip == "" {
		return
	}
	label := widget.NewLabel(b.tip)
	b.hideTip()
	b.popup = widget.NewPopUp(label, c)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
	size := label.MinSize()
	x := pos.X + (b.Size().Width-size.Width)/2
	y := pos.Y - size.Height - 4
	if y < 0 {
		y = pos.Y + b.Size().Height + 4
	}
	x = max(0, min(x, c.Size().Width-size.Width))
	b.popup.ShowAtPosition(fyne.NewPos(x, y))
}

func (b *tipButton) hideTip() {
	if b.popup != nil {
		b.popup.Hide()
		b.popup = nil
	}
}
