package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Colours of the call screen's overlays, chosen to read over any picture.
var (
	overlayFill = color.NRGBA{0, 0, 0, 160}
	alertFill   = color.NRGBA{200, 40, 40, 220}
	goodColour  = color.NRGBA{70, 200, 90, 255}
	fairColour  = color.NRGBA{240, 180, 40, 255}
	poorColour  = color.NRGBA{230, 60, 50, 255}
	dimColour   = color.NRGBA{255, 255, 255, 70}
)

// overlay puts o on a translucent dark panel so it reads over video.
func overlay(o fyne.CanvasObject) fyne.CanvasObject {
	return panelOn(overlayFill, o)
}

func panelOn(fill color.Color, o fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(fill)
	bg.CornerRadius = 6
	return container.NewStack(bg, container.NewPadded(o))
}

// badge is a small labelled sign over a picture: "You are muted", "Their
// camera is off". It shows whatever the controls do. Where the window has
// no room for its words, it shows its icons alone.
type badge struct {
	box   fyne.CanvasObject
	icons [2]*widget.Icon
	label *canvas.Text
	text  string // what it says; empty: hidden
}

func newBadge(fill color.Color) *badge {
	b := &badge{label: canvas.NewText("", color.White)}
	for i := range b.icons {
		b.icons[i] = widget.NewIcon(nil)
		b.icons[i].Hide()
	}
	b.box = panelOn(fill, container.NewHBox(b.icons[0], b.icons[1], container.NewCenter(b.label)))
	b.box.Hide()
	return b
}

// set gives the badge its icons and words; empty words: nothing to show.
func (b *badge) set(text string, icons ...fyne.Resource) {
	b.text = text
	for i, ic := range b.icons {
		if i < len(icons) && icons[i] != nil {
			ic.SetResource(icons[i])
			ic.Show()
		} else {
			ic.Hide()
		}
	}
	b.label.Text = text
	b.label.Show()
	b.label.Refresh()
}

// setMedia says what of a microphone and a camera is off, in the words
// given for both, the microphone alone, and the camera alone.
func (b *badge) setMedia(muted, cameraOff bool, both, mic, camera string) {
	switch {
	case muted && cameraOff:
		b.set(both, iconMicOff, iconCameraOff)
	case muted:
		b.set(mic, iconMicOff)
	case cameraOff:
		b.set(camera, iconCameraOff)
	default:
		b.set("")
	}
}

// setCompact shows the icons alone, or the words too.
func (b *badge) setCompact(compact bool) {
	if compact == !b.label.Visible() {
		return
	}
	showIf(b.label, !compact)
	b.box.Refresh()
}

// Connection quality, from what the person would notice.
type quality int

const (
	qualityUnknown quality = iota
	qualityPoor
	qualityFair
	qualityGood
)

func (q quality) String() string {
	switch q {
	case qualityGood:
		return "good"
	case qualityFair:
		return "fair"
	case qualityPoor:
		return "poor"
	}
	return "not known yet"
}

// qualityMeter draws the connection quality as three bars, like a phone's
// signal: three green, two amber, one red.
type qualityMeter struct {
	widget.BaseWidget
	tip
	q    quality
	bars [3]*canvas.Rectangle
}

// MouseIn implements desktop.Hoverable: what the bars stand for shows.
func (m *qualityMeter) MouseIn(*desktop.MouseEvent)    { m.in(m) }
func (m *qualityMeter) MouseMoved(*desktop.MouseEvent) {}
func (m *qualityMeter) MouseOut()                      { m.out() }

func newQualityMeter() *qualityMeter {
	m := &qualityMeter{}
	for i := range m.bars {
		m.bars[i] = canvas.NewRectangle(dimColour)
		m.bars[i].CornerRadius = 1
	}
	m.ExtendBaseWidget(m)
	return m
}

func (m *qualityMeter) set(q quality) {
	if q == m.q {
		return
	}
	m.q = q
	fill := [...]color.Color{dimColour, poorColour, fairColour, goodColour}[q]
	for i, b := range m.bars {
		if i < int(q) {
			b.FillColor = fill
		} else {
			b.FillColor = dimColour
		}
		b.Refresh()
	}
}

func (m *qualityMeter) CreateRenderer() fyne.WidgetRenderer { return &meterRenderer{m} }

type meterRenderer struct{ m *qualityMeter }

func (r *meterRenderer) Layout(size fyne.Size) {
	const gap = 2
	w := (size.Width - 2*gap) / 3
	for i, b := range r.m.bars {
		h := size.Height * float32(i+1) / 3
		b.Resize(fyne.NewSize(w, h))
		b.Move(fyne.NewPos(float32(i)*(w+gap), size.Height-h))
	}
}

func (r *meterRenderer) MinSize() fyne.Size { return fyne.NewSize(16, 14) }
func (r *meterRenderer) Refresh() {
	for _, b := range r.m.bars {
		b.Refresh()
	}
}
func (r *meterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.m.bars[0], r.m.bars[1], r.m.bars[2]}
}
func (r *meterRenderer) Destroy() {}

// activityArea lies over the remote picture and under everything else: a
// pointer moving or a click anywhere on the picture brings the controls
// back.
type activityArea struct {
	widget.BaseWidget
	onActivity func()
}

func newActivityArea(onActivity func()) *activityArea {
	a := &activityArea{onActivity: onActivity}
	a.ExtendBaseWidget(a)
	return a
}

func (a *activityArea) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

func (a *activityArea) MouseIn(*desktop.MouseEvent)    { a.onActivity() }
func (a *activityArea) MouseMoved(*desktop.MouseEvent) { a.onActivity() }
func (a *activityArea) MouseOut()                      {}
func (a *activityArea) Tapped(*fyne.PointEvent)        { a.onActivity() }

// selfBox is the self-view in its frame. It can be dragged with the pointer
// and snaps to the nearest corner when let go.
type selfBox struct {
	widget.BaseWidget
	view    fyne.CanvasObject
	frame   *canvas.Rectangle
	dragged func(to fyne.Position)
	dropped func(at fyne.Position)
}

func newSelfBox(view fyne.CanvasObject) *selfBox {
	s := &selfBox{view: view}
	s.frame = canvas.NewRectangle(color.Transparent)
	s.frame.StrokeColor = color.NRGBA{255, 255, 255, 160}
	s.frame.StrokeWidth = 2
	s.frame.CornerRadius = 4
	s.ExtendBaseWidget(s)
	return s
}

func (s *selfBox) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(s.view, s.frame))
}

// Dragged implements fyne.Draggable: the view follows the pointer.
func (s *selfBox) Dragged(e *fyne.DragEvent) {
	to := s.Position().Add(e.Dragged)
	s.Move(to)
	if s.dragged != nil {
		s.dragged(to)
	}
}

// DragEnd implements fyne.Draggable: the view snaps to a corner.
func (s *selfBox) DragEnd() {
	if s.dropped != nil {
		s.dropped(s.Position())
	}
}

// Cursor implements desktop.Cursorable: a hand says it can be moved.
func (s *selfBox) Cursor() desktop.Cursor { return desktop.PointerCursor }

// safetyChip shows the safety code: in full, with what to do with it, for
// the first moments of a call; then as a small chip that opens again when
// clicked.
type safetyChip struct {
	chip    *widget.Button
	explain *widget.Label
	box     *fyne.Container
	code    string
}

const safetyAdvice = "Read it to each other: if it is the same on both screens, no one is listening in between."

func newSafetyChip() *safetyChip {
	s := &safetyChip{}
	s.chip = widget.NewButtonWithIcon("", theme.VisibilityIcon(), nil)
	s.chip.Importance = widget.LowImportance
	s.chip.Alignment = widget.ButtonAlignLeading
	s.chip.OnTapped = func() { s.setOpen(!s.explain.Visible()) }
	s.explain = widget.NewLabel(safetyAdvice)
	s.explain.Wrapping = fyne.TextWrapWord
	s.box = container.NewVBox(s.chip, s.explain)
	s.box.Hide()
	return s
}

// set shows the code; an empty code hides the chip.
func (s *safetyChip) set(code string) {
	if code == "" || code == s.code {
		return
	}
	s.code = code
	s.chip.SetText("Safety code " + code)
	s.box.Show()
}

func (s *safetyChip) open() bool { return s.explain.Visible() }

func (s *safetyChip) setOpen(open bool) {
	if open {
		s.explain.Show()
	} else {
		s.explain.Hide()
	}
	s.box.Refresh()
}
