package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// tightBelow is the window width below which the control buttons touch:
// ten buttons theme.Padding() apart would leave the smallest window little
// room beside them for the other side's badge and meter.
const tightBelow = 560

// controlsRow lays the control buttons out in a row, each as wide as it
// asks and as tall as the row, theme.Padding() apart or, tight, touching.
type controlsRow struct{ tight bool }

func (r *controlsRow) gap() float32 {
	if r.tight {
		return 0
	}
	return theme.Padding()
}

func (r *controlsRow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		ms := o.MinSize()
		s.Width += ms.Width
		s.Height = max(s.Height, ms.Height)
		n++
	}
	if n > 1 {
		s.Width += float32(n-1) * r.gap()
	}
	return s
}

func (r *controlsRow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var x float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		w := o.MinSize().Width
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + r.gap()
	}
}
