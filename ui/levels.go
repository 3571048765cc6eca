package ui

import (
	"context"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
)

// Sound levels on the call screen: a small meter on each picture — the
// other side's sound on theirs, this side's microphone on the self-view —
// and, while muted, a hint when the microphone hears speech.

// The meter's scale: levelSegments segments, the first lit above
// levelFloor, one more every levelStep dB.
const (
	levelSegments = 6
	levelFloor    = -54.0 // dBFS
	levelStep     = 8.0   // dB
)

// levelEvery is how often the meters are read: 12.5 times a second.
const levelEvery = 80 * time.Millisecond

// litFor is how many segments a level in dBFS lights.
func litFor(dbfs float64) int {
	if math.IsNaN(dbfs) || dbfs <= levelFloor {
		return 0
	}
	return min(int(math.Ceil((dbfs-levelFloor)/levelStep)), levelSegments)
}

// levelMeter is a sound meter over a picture: an icon and a row of
// segments lit up to the level. Only segments that change are refreshed,
// and only when the level crosses a segment.
type levelMeter struct {
	widget.BaseWidget
	bg   *canvas.Rectangle
	icon *widget.Icon
	segs [levelSegments]*canvas.Rectangle
	lit  int
}

func newLevelMeter(icon fyne.Resource) *levelMeter {
	m := &levelMeter{bg: canvas.NewRectangle(overlayFill), icon: widget.NewIcon(icon)}
	m.bg.CornerRadius = 6
	for i := range m.segs {
		m.segs[i] = canvas.NewRectangle(dimColour)
		m.segs[i].CornerRadius = 1
	}
	m.ExtendBaseWidget(m)
	return m
}

// set shows a level in dBFS; it reports whether the meter changed.
func (m *levelMeter) set(dbfs float64) bool {
	n := litFor(dbfs)
	if n == m.lit {
		return false
	}
	lo, hi := min(n, m.lit), max(n, m.lit)
	m.lit = n
	for i := lo; i < hi; i++ {
		s := m.segs[i]
		switch {
		case i >= n:
			s.FillColor = dimColour
		case i == levelSegments-1: // the loudest: amber
			s.FillColor = fairColour
		default:
			s.FillColor = goodColour
		}
		s.Refresh()
	}
	return true
}

func (m *levelMeter) CreateRenderer() fyne.WidgetRenderer { return &levelRenderer{m} }

type levelRenderer struct{ m *levelMeter }

// The meter's measures: padding, icon, segment width and gap, height.
const (
	levelPad    = 4
	levelIcon   = 14
	levelSegW   = 4
	levelSegGap = 2
	levelSegH   = 10
)

func (r *levelRenderer) Layout(size fyne.Size) {
	r.m.bg.Resize(size)
	r.m.icon.Resize(fyne.NewSize(levelIcon, levelIcon))
	r.m.icon.Move(fyne.NewPos(levelPad, (size.Height-levelIcon)/2))
	x := float32(levelPad + levelIcon + levelPad)
	for _, s := range r.m.segs {
		s.Resize(fyne.NewSize(levelSegW, levelSegH))
		s.Move(fyne.NewPos(x, (size.Height-levelSegH)/2))
		x += levelSegW + levelSegGap
	}
}

func (r *levelRenderer) MinSize() fyne.Size {
	return fyne.NewSize(3*levelPad+levelIcon+levelSegments*(levelSegW+levelSegGap)-levelSegGap, levelIcon+2*levelPad)
}

func (r *levelRenderer) Refresh() {
	r.m.bg.Refresh()
	r.m.icon.Refresh()
	for _, s := range r.m.segs {
		s.Refresh()
	}
}

func (r *levelRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.m.bg, r.m.icon}
	for _, s := range r.m.segs {
		objs = append(objs, s)
	}
	return objs
}

func (r *levelRenderer) Destroy() {}

// The hint's words: in full where the self-view has room for them, else
// short, else short and small.
const (
	mutedHintText  = "You are muted: they cannot hear you. Ctrl+D unmutes."
	mutedHintShort = "Muted: Ctrl+D to talk"
)

// mutedHint tells a person who talks while muted that they are not heard.
// It takes the place of the "You are muted" badge on the self-view.
type mutedHint struct {
	label *widget.Label
	box   fyne.CanvasObject
}

func newMutedHint() *mutedHint {
	h := &mutedHint{label: widget.NewLabelWithStyle(mutedHintText, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})}
	h.label.Wrapping = fyne.TextWrapWord
	h.box = panelOn(alertFill, h.label)
	h.box.Hide()
	return h
}

// fit gives the hint the words that fit in width × height, and reports
// its size; ok is false when even the short words in small type do not.
func (h *mutedHint) fit(width, height float32) (size fyne.Size, ok bool) {
	for _, v := range []struct {
		text string
		size fyne.ThemeSizeName
	}{{mutedHintText, theme.SizeNameText}, {mutedHintShort, theme.SizeNameText}, {mutedHintShort, theme.SizeNameCaptionText}} {
		if h.label.Text != v.text || h.label.SizeName != v.size {
			h.label.Text, h.label.SizeName = v.text, v.size
			h.label.Refresh()
		}
		h.box.Resize(fyne.NewSize(width, 10))
		if s := h.box.MinSize(); s.Height <= height && s.Width <= width {
			return fyne.NewSize(width, s.Height), true
		}
	}
	return fyne.Size{}, false
}

// placeOnSelf puts this side's meter in the self-view's bottom left
// corner, above the badge on its bottom edge (badgeTop), or the muted
// hint in the badge's place, as the call screen wants them shown. The
// meter keeps off the top of the self-view, where the test pattern's
// time code is read (the hint, which shows only while someone talks,
// may cover it). A meter with no room is hidden; a hint with none leaves
// the badge.
func (l *callLayout) placeOnSelf(own, hint, badge fyne.CanvasObject, at fyne.Position, ss fyne.Size, badgeTop float32) {
	const inset = 4
	if l.sound == nil {
		return
	}
	if l.sound.wantHint {
		own.Hide()
		s, ok := l.sound.hint.fit(ss.Width-2*inset, ss.Height-2*inset)
		showIf(hint, ok)
		showIf(badge, !ok)
		hint.Resize(s)
		hint.Move(fyne.NewPos(at.X+inset, at.Y+ss.Height-inset-s.Height))
		return
	}
	hint.Hide()
	ms := own.MinSize()
	y := badgeTop - inset - ms.Height
	showIf(own, l.sound.wantOwn && y >= at.Y+ss.Height/4 && ms.Width <= ss.Width-2*inset)
	own.Resize(ms)
	own.Move(fyne.NewPos(at.X+inset, y))
}

// callSound is the call screen's sound: the volume control and popup,
// the two meters and the muted hint.
type callSound struct {
	c         *callScreen
	button    *tipButton
	popup     *widget.PopUp
	slider    *volumeSlider
	value     *widget.Label
	own, peer *levelMeter
	hint      *mutedHint
	speaking  bool // the microphone hears speech
	// What arrange wants shown; the layout shows them where they fit.
	wantOwn, wantHint, wantPeer bool
}

func newCallSound(c *callScreen) *callSound {
	s := &callSound{c: c, own: newLevelMeter(iconMic), peer: newLevelMeter(theme.VolumeUpIcon()), hint: newMutedHint()}
	s.button = newTipButton(theme.VolumeUpIcon(), "", s.togglePopup)
	s.slider = newVolumeSlider(func() {
		if s.popupOpen() {
			s.popup.Hide()
		}
	})
	s.value = widget.NewLabel("")
	s.value.Alignment = fyne.TextAlignTrailing
	v := loadVolume(c.u.app.Preferences())
	c.att.call.SetVolume(v / 100)
	s.slider.Value = v
	s.slider.OnChanged = s.volumeChanged
	s.showVolume(v)
	return s
}

// arrange shows what the call calls for: the meters while the call is
// on, this side's on the self-view only; the hint while muted and
// talking. hidden: the overlays are hidden (a lost call, the chat over
// the picture).
func (s *callSound) arrange(hidden bool) {
	c := s.c
	on := !c.connectedAt.IsZero() && !hidden
	s.wantHint = on && c.muted && s.speaking
	s.wantOwn = on && c.selfShown && !s.wantHint
	showIf(s.hint.box, s.wantHint)
	showIf(s.own, s.wantOwn)
	s.wantPeer = on
	showIf(s.peer, on)
	if hidden && s.popupOpen() {
		s.popup.Hide()
	}
}

// showLevels puts the levels read from the call on the meters, and the
// hint on the self-view when the microphone hears speech while muted.
func (s *callSound) showLevels(l call.Levels) {
	s.own.set(l.Local)
	s.peer.set(l.Remote)
	if l.Speaking != s.speaking {
		s.speaking = l.Speaking
		if s.speaking && s.c.muted {
			// The controls come back, the mute button with them.
			s.c.wake()
		}
		s.c.arrange()
	}
}

// watchLevels reads a call's meters levelEvery until ctx or the call
// ends and hands them to the view when a meter would change. It runs on
// its own goroutine and touches the view only through onUI.
func watchLevels(ctx context.Context, c *call.Call, s *callSound) {
	tick := time.NewTicker(levelEvery)
	defer tick.Stop()
	var last call.Levels
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Session().Done():
			return
		case <-tick.C:
		}
		l := c.Levels()
		if !first && litFor(l.Local) == litFor(last.Local) && litFor(l.Remote) == litFor(last.Remote) && l.Speaking == last.Speaking {
			continue
		}
		first, last = false, l
		onUI(func() {
			if s.c.u.call == s.c {
				s.showLevels(l)
			}
		})
	}
}
