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

// tip shows a short text near an object when the pointer rests on it.
type tip struct {
	text  string
	popup *widget.PopUp
	timer *time.Timer
}

// in starts the wait for the tip of o.
func (t *tip) in(o fyne.CanvasObject) {
	t.stop()
	t.timer = time.AfterFunc(tooltipDelay, func() { onUI(func() { t.show(o) }) })
}

// out hides the tip, or stops the wait for it.
func (t *tip) out() {
	t.stop()
	t.hide()
}

func (t *tip) stop() {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// show puts the tip above o, or below when there is no room above.
func (t *tip) show(o fyne.CanvasObject) {
	c := fyne.CurrentApp().Driver().CanvasForObject(o)
	if c == nil || t.text == "" {
		return
	}
	label := widget.NewLabel(t.text)
	t.hide()
	t.popup = widget.NewPopUp(label, c)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	size := label.MinSize()
	x := pos.X + (o.Size().Width-size.Width)/2
	y := pos.Y - size.Height - 4
	if y < 0 {
		y = pos.Y + o.Size().Height + 4
	}
	x = max(0, min(x, c.Size().Width-size.Width))
	t.popup.ShowAtPosition(fyne.NewPos(x, y))
}

func (t *tip) hide() {
	if t.popup != nil {
		t.popup.Hide()
		t.popup = nil
	}
}

// tipButton is a button that shows a short tip (what it does and its
// keyboard shortcut) when the pointer rests on it.
type tipButton struct {
	widget.Button
	tip
	hover func(in bool) // told when the pointer comes and goes; may be nil
}

func newTipButton(icon fyne.Resource, text string, tapped func()) *tipButton {
	b := &tipButton{tip: tip{text: text}}
	b.Icon = icon
	b.OnTapped = tapped
	b.ExtendBaseWidget(b)
	return b
}

// setTip changes what the tip says.
func (b *tipButton) setTip(text string) { b.text = text }

// MouseIn implements desktop.Hoverable.
func (b *tipButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	if b.hover != nil {
		b.hover(true)
	}
	b.in(b)
}

// MouseOut implements desktop.Hoverable.
func (b *tipButton) MouseOut() {
	b.Button.MouseOut()
	if b.hover != nil {
		b.hover(false)
	}
	b.out()
}

// Tapped hides the tip and runs the action.
func (b *tipButton) Tapped(e *fyne.PointEvent) {
	b.out()
	b.Button.Tapped(e)
}
