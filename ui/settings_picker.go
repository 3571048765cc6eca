package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// picker chooses one of a list of choices. It looks like a select, but its
// list opens in a pop-up that always fits the window: as long as the
// window is high at most, scrolling inside, moved up when there is no
// room below.
type picker struct {
	widget.BaseWidget
	label     *widget.Label // the choice, cut short with "…" when narrow
	choices   []deviceChoice
	selected  int
	onChanged func(id string)
	popup     *widget.PopUp
}

// newPicker makes a picker over choices with the one whose id is cur
// chosen (the first when none is).
func newPicker(choices []deviceChoice, cur string) *picker {
	p := &picker{choices: choices, label: widget.NewLabel("")}
	p.label.Truncation = fyne.TextTruncateEllipsis
	p.ExtendBaseWidget(p)
	p.setID(cur)
	return p
}

// ID is the chosen choice's id; Selected its label.
func (p *picker) ID() string       { return p.choices[p.selected].id }
func (p *picker) Selected() string { return p.choices[p.selected].label }

// setID chooses the choice whose id is id, or the first.
func (p *picker) setID(id string) {
	p.selected = 0
	for i, c := range p.choices {
		if c.id == id {
			p.selected = i
			break
		}
	}
	p.label.SetText(p.Selected())
}

func (p *picker) choose(i int) {
	if p.popup != nil {
		p.popup.Hide()
		p.popup = nil
	}
	if i < 0 || i >= len(p.choices) || i == p.selected {
		return
	}
	p.selected = i
	p.label.SetText(p.Selected())
	if p.onChanged != nil {
		p.onChanged(p.ID())
	}
}

// CreateRenderer draws the choice on a field's background with the
// drop-down mark.
func (p *picker) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	icon := widget.NewIcon(theme.MenuDropDownIcon())
	return widget.NewSimpleRenderer(container.NewStack(bg, container.NewBorder(nil, nil, nil, icon, p.label)))
}

// Tapped opens the list.
func (p *picker) Tapped(*fyne.PointEvent) { p.open() }

// open shows the list under the picker, sized to the window.
func (p *picker) open() {
	c := fyne.CurrentApp().Driver().CanvasForObject(p)
	if c == nil {
		return
	}
	list := widget.NewList(
		func() int { return len(p.choices) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.choices[i].label) },
	)
	list.OnSelected = func(i widget.ListItemID) { p.choose(i) }
	// A list's rows are its template's height apart by a padding; the
	// pop-up adds its inner padding around the list.
	row := widget.NewLabel("").MinSize().Height + theme.Padding()
	p.popup = widget.NewPopUp(list, c)
	pad := theme.Padding()
	canvas := c.Size()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(p)
	w := min(max(p.Size().Width, p.MinSize().Width), canvas.Width-2*pad)
	h := min(row*float32(len(p.choices))-theme.Padding()+theme.InnerPadding(), canvas.Height-2*pad)
	y := pos.Y + p.Size().Height
	if y+h > canvas.Height-pad {
		y = max(pad, canvas.Height-pad-h)
	}
	x := max(pad, min(pos.X, canvas.Width-pad-w))
	p.popup.Resize(fyne.NewSize(w, h))
	p.popup.ShowAtPosition(fyne.NewPos(x, y))
	list.ScrollTo(p.selected)
}
