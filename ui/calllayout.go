package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// corner is where the self-view sits.
type corner int

const (
	bottomRight corner = iota
	bottomLeft
	topRight
	topLeft
)

func (c corner) right() bool { return c == bottomRight || c == topRight }
func (c corner) top() bool   { return c == topRight || c == topLeft }

// nearestCorner is the corner of a size×size window nearest to the centre
// of a box at p.
func nearestCorner(p fyne.Position, box, size fyne.Size) corner {
	right := p.X+box.Width/2 > size.Width/2
	top := p.Y+box.Height/2 < size.Height/2
	switch {
	case top && right:
		return topRight
	case top:
		return topLeft
	case right:
		return bottomRight
	}
	return bottomLeft
}

// The call screen's objects, in the order they are drawn.
const (
	slotRemote = iota
	slotActivity
	slotSelf
	slotMuted
	slotPeer
	slotTop
	slotStats
	slotControls
	slotPanel
	slotChat
	slotPeerCam   // their camera, small, while their screen fills the window
	slotOwnLevel  // this side's sound meter, on the self-view
	slotPeerLevel // the other side's, on their picture
	slotHint      // "You are muted", when talking while muted
	slotCount
)

// callLayout places the remote picture over the whole window and the rest
// over it so that no two overlays overlap, at any window size from the
// minimum up:
//   - the controls at the bottom centre;
//   - the self-view in its corner (bottom right unless dragged elsewhere),
//     above the controls when they would meet, in the sent picture's shape;
//   - "You are muted" on the self-view (or in its corner when it is hidden);
//   - the status panel at the top left, the statistics at the top right,
//     each below the self-view when it sits in that top corner;
//   - the other side's muted / camera-off badge in the first free place
//     along the left edge, then the right;
//   - this side's sound meter in the self-view's bottom left corner; the
//     hint that one is muted while talking in place of "You are muted"
//     (and of the meter), where it fits; the other
//     side's meter in the first free place along the left edge, then the
//     right, below their badge, where there is one;
//   - the control buttons touching in a window narrower than tightBelow;
//   - the reconnect panel in the middle, between the status and the
//     controls (the call screen hides the other overlays while it shows).
//
// Places are kept for hidden controls and status, so nothing moves when
// they fade.
type callLayout struct {
	corner   corner
	aspect   float32 // the self-view's height / width
	dragging bool    // the self-view follows the pointer: leave it be
	// The badges, shown with icons alone where their words do not fit.
	own, peer *badge
	// The safety code, folded to its chip in a window too short for it.
	safety *safetyChip
	// The statistics' width unwrapped, and their words, to measure.
	statsWidth float32
	statsLabel *widget.Label
	// covered: the chat panel covers the picture (chatBeside); onCover
	// is told when that changes, to show or hide the other overlays.
	covered bool
	onCover func()
	// The other side's camera shows in a box of its own (they share
	// their screen).
	peerCamShown bool
	// The meters and the muted hint, and which of them are wanted.
	sound *callSound
	// The control buttons' row, tight in a narrow window.
	row *controlsRow
	// laidOut is told after each layout (the pictures' surfaces follow).
	laidOut func()
}

// callMargin is the space between overlays and the window's edges.
const callMargin = 12

// minCallSize is the smallest the call screen lays out for.
var minCallSize = fyne.NewSize(480, 360)

type box struct{ pos, size fyne.Position }

func rectOf(pos fyne.Position, size fyne.Size) box {
	return box{pos, fyne.NewPos(pos.X+size.Width, pos.Y+size.Height)}
}

func (a box) meets(b box) bool {
	return a.pos.X < b.size.X && b.pos.X < a.size.X && a.pos.Y < b.size.Y && b.pos.Y < a.size.Y
}

// selfSize is the self-view's size in a window of the given size: a fifth
// of its width, between 160 and 320 points, in the picture's shape, and
// no taller than room.
func (l *callLayout) selfSize(size fyne.Size, room float32) fyne.Size {
	aspect := l.aspect
	if aspect <= 0 {
		aspect = 0.75
	}
	w := min(max(size.Width/5, 160), 320)
	if w*aspect > room {
		w = max(room/aspect, 96)
	}
	return fyne.NewSize(w, w*aspect)
}

func (l *callLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if l.laidOut != nil {
		defer l.laidOut()
	}
	remote, activity, self, muted, peer := objs[slotRemote], objs[slotActivity], objs[slotSelf], objs[slotMuted], objs[slotPeer]
	top, stats, controls, panel := objs[slotTop], objs[slotStats], objs[slotControls], objs[slotPanel]
	m := float32(callMargin)
	size = l.placeChat(objs, size)
	for _, o := range []fyne.CanvasObject{remote, activity} {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	var taken []box
	put := func(o fyne.CanvasObject, pos fyne.Position, s fyne.Size) box {
		o.Move(pos)
		o.Resize(s)
		r := rectOf(pos, s)
		taken = append(taken, r)
		return r
	}
	free := func(r box) bool {
		if r.pos.X < 0 || r.pos.Y < 0 || r.size.X > size.Width || r.size.Y > size.Height {
			return false
		}
		for _, t := range taken {
			if t.meets(r) {
				return false
			}
		}
		return true
	}

	// The controls: kept in place while faded.
	if l.row != nil {
		l.row.tight = size.Width < tightBelow
	}
	cs := controls.MinSize()
	ctl := put(controls, fyne.NewPos((size.Width-cs.Width)/2, size.Height-cs.Height-m), cs)

	// The statistics' natural size: up to half the window's width.
	var sts fyne.Size
	if stats.Visible() {
		pad := 2 * theme.Padding()
		sts.Width = min(max(l.statsWidth, 64), size.Width/2-1.5*m)
		if l.statsLabel != nil {
			l.statsLabel.Resize(fyne.NewSize(sts.Width-pad, 10))
			sts.Height = l.statsLabel.MinSize().Height + pad
		}
	}

	// The self-view, in its corner, in the room its side of the window
	// leaves: below the statistics when both are on the right, above the
	// controls when they would meet.
	selfShown := self.Visible() || muted.Visible() || l.sound != nil && l.sound.wantHint
	natural := l.selfSize(size, size.Height)
	var selfAt fyne.Position
	if l.corner.right() {
		selfAt.X = size.Width - natural.Width - m
	} else {
		selfAt.X = m
	}
	bottom := size.Height - m
	if rectOf(fyne.NewPos(selfAt.X, 0), fyne.NewSize(natural.Width, size.Height)).meets(rectOf(ctl.pos, cs)) {
		bottom = ctl.pos.Y - m
	}
	// Sharing the left edge with the status panel: the safety code folds
	// to its chip if both do not fit otherwise.
	tw := min(400, size.Width-2*m)
	if stats.Visible() {
		tw = min(tw, size.Width-sts.Width-3*m)
	}
	need := func() float32 {
		top.Resize(fyne.NewSize(tw, 10))
		return top.MinSize().Height
	}
	// What shares the self-view's edge of the window above or below it.
	var neighbour float32
	if l.corner.right() {
		if stats.Visible() {
			// The statistics scroll rather than squeeze the self-view
			// below half of the room they share.
			column := bottom - m
			if rectOf(fyne.NewPos(size.Width-sts.Width-m, 0), fyne.NewSize(sts.Width, size.Height)).meets(ctl) {
				column = min(column, ctl.pos.Y-2*m)
			}
			sts.Height = min(sts.Height, max(column-m-natural.Height, (column-m)/2))
			neighbour = sts.Height + m
		}
	} else {
		th := need()
		if th+m+natural.Height > bottom-m && l.safety != nil && l.safety.open() {
			l.safety.setOpen(false)
			th = need()
		}
		neighbour = th + m
	}
	// Under a self-view in a top corner, its neighbour may reach over the
	// controls where the self-view does not.
	room := bottom - m - neighbour
	if l.corner.top() {
		nx, nw := m, tw
		if l.corner.right() {
			nx, nw = size.Width-sts.Width-m, sts.Width
		}
		if rectOf(fyne.NewPos(nx, 0), fyne.NewSize(nw, size.Height)).meets(ctl) {
			room = min(room, ctl.pos.Y-2*m-neighbour)
		}
	}
	ss := l.selfSize(size, max(room, 0))
	if l.corner.right() {
		selfAt.X = size.Width - ss.Width - m
	}
	if l.corner.top() {
		selfAt.Y = m
	} else {
		selfAt.Y = bottom - ss.Height
	}
	selfRect := rectOf(selfAt, ss)
	if !l.dragging {
		self.Move(selfAt)
	}
	self.Resize(ss)
	if selfShown {
		taken = append(taken, selfRect)
	}
	// "You are muted", on the self-view's bottom edge.
	if l.own != nil {
		l.own.setCompact(false)
		if muted.MinSize().Width > ss.Width-8 {
			l.own.setCompact(true)
		}
	}
	ms := muted.MinSize()
	mw := min(ms.Width, ss.Width-8)
	muted.Resize(fyne.NewSize(mw, ms.Height))
	muted.Move(fyne.NewPos(selfAt.X+(ss.Width-mw)/2, selfRect.size.Y-ms.Height-4))
	badgeTop := selfRect.size.Y
	if muted.Visible() {
		badgeTop = selfRect.size.Y - ms.Height - 4
	}
	l.placeOnSelf(objs[slotOwnLevel], objs[slotHint], muted, selfAt, ss, badgeTop)

	// The top band, left and right: below the self-view in its corner.
	leftY, rightY := m, m
	if selfShown && l.corner.top() {
		if l.corner.right() {
			rightY = selfRect.size.Y + m
		} else {
			leftY = selfRect.size.Y + m
		}
	}
	if stats.Visible() {
		rightBottom := size.Height - m
		if rectOf(fyne.NewPos(size.Width-sts.Width-m, 0), fyne.NewSize(sts.Width, size.Height)).meets(ctl) {
			rightBottom = ctl.pos.Y - m
		}
		if selfShown && l.corner.right() && !l.corner.top() {
			rightBottom = selfRect.pos.Y - m
		}
		h := min(sts.Height, max(rightBottom-rightY, 0))
		put(stats, fyne.NewPos(size.Width-sts.Width-m, rightY), fyne.NewSize(sts.Width, h))
	}

	// The status panel on the left, as wide as the statistics and the
	// self-view leave it, down to the controls or the self-view.
	leftBottom := size.Height - m
	if rectOf(fyne.NewPos(m, 0), fyne.NewSize(tw, size.Height)).meets(ctl) {
		leftBottom = ctl.pos.Y - m
	}
	if selfShown && !l.corner.right() && !l.corner.top() {
		leftBottom = selfRect.pos.Y - m
	}
	th := need()
	if selfShown && l.corner.right() && rectOf(fyne.NewPos(m, leftY), fyne.NewSize(tw, th)).meets(selfRect) {
		// A narrow window with the self-view on the right: the panel
		// stops above it if its words fit there, else it narrows.
		if selfRect.pos.Y-m-leftY >= th {
			leftBottom = min(leftBottom, selfRect.pos.Y-m)
		} else {
			tw = max(selfRect.pos.X-2*m, 0)
			th = need()
		}
	}
	if th > leftBottom-leftY && l.safety != nil && l.safety.open() {
		// Too short a window for the safety code's advice: the chip alone.
		l.safety.setOpen(false)
		th = need()
	}
	put(top, fyne.NewPos(m, leftY), fyne.NewSize(tw, min(th, max(leftBottom-leftY, 0))))

	// The other side's meter, like their badge below; none where there
	// is no room.
	if pl := objs[slotPeerLevel]; l.sound != nil && l.sound.wantPeer {
		s := pl.MinSize()
		found := false
	search:
		for y := size.Height - m - s.Height; y >= m; y -= 4 {
			for _, x := range []float32{m, size.Width - m - s.Width} {
				if at := fyne.NewPos(x, y); free(rectOf(at, s)) {
					put(pl, at, s)
					found = true
					break search
				}
			}
		}
		showIf(pl, found)
	}

	// The other side's badge: the first free place along the left edge,
	// then the right, from the bottom up; its icons alone if its words do
	// not fit anywhere.
	if peer.Visible() {
		place := func(anywhere bool) (fyne.Position, fyne.Size, bool) {
			ps := peer.MinSize()
			s := fyne.NewSize(min(ps.Width, size.Width-2*m), ps.Height)
			for y := size.Height - m - s.Height; y >= m; y -= 4 {
				for _, x := range []float32{m, size.Width - m - s.Width} {
					if at := fyne.NewPos(x, y); free(rectOf(at, s)) {
						return at, s, true
					}
				}
				// Neither edge has room (nine controls in the smallest
				// window): anywhere between them.
				for x := m + 4; anywhere && x+s.Width <= size.Width-m-4; x += 4 {
					if at := fyne.NewPos(x, y); free(rectOf(at, s)) {
						return at, s, true
					}
				}
			}
			return fyne.NewPos(m, size.Height-m-s.Height), s, false
		}
		if l.peer != nil {
			l.peer.setCompact(false)
		}
		at, s, ok := place(false)
		if !ok && l.peer != nil {
			l.peer.setCompact(true)
			at, s, ok = place(false)
		}
		if !ok {
			at, s, _ = place(true)
		}
		put(peer, at, s)
	}
	l.placePeerCam(objs[slotPeerCam], size, free, put)

	// The reconnect panel in the middle, above the controls.
	pw := min(size.Width-2*m, 520)
	panel.Resize(fyne.NewSize(pw, 10))
	space := ctl.pos.Y - 2*m
	ph := min(panel.MinSize().Height, space)
	panel.Resize(fyne.NewSize(pw, ph))
	panel.Move(fyne.NewPos((size.Width-pw)/2, m+(space-ph)/2))
}

func (l *callLayout) MinSize([]fyne.CanvasObject) fyne.Size { return minCallSize }

// chatWidth is the chat panel's width beside the picture in a window of
// the given width, its margin included: a quarter of the window, within
// bounds.
func chatWidth(w float32) float32 { return min(max(w/4, chatMinWidth), chatMaxWidth) }

// chatBeside tells whether the chat panel fits beside the picture, leaving
// the picture and its overlays the room of the smallest window.
func chatBeside(size fyne.Size) bool { return size.Width-chatWidth(size.Width) >= minCallSize.Width }

// placeChat places the chat panel, when it shows, and returns the room left
// for the picture and the other overlays. Beside the picture it takes the
// right of the window, top to bottom; in a narrower window it covers the
// picture above the controls, and the call screen hides the other
// overlays (onCover).
func (l *callLayout) placeChat(objs []fyne.CanvasObject, size fyne.Size) fyne.Size {
	chat, controls := objs[slotChat], objs[slotControls]
	if covered := chat.Visible() && !chatBeside(size); covered != l.covered {
		l.covered = covered
		if l.onCover != nil {
			l.onCover()
		}
	}
	if !chat.Visible() {
		return size
	}
	m := float32(callMargin)
	if chatBeside(size) {
		w := chatWidth(size.Width)
		chat.Move(fyne.NewPos(size.Width-w, m))
		chat.Resize(fyne.NewSize(w-m, size.Height-2*m))
		return fyne.NewSize(size.Width-w, size.Height)
	}
	ch := controls.MinSize().Height
	chat.Move(fyne.NewPos(m, m))
	chat.Resize(fyne.NewSize(size.Width-2*m, max(size.Height-ch-3*m, 0)))
	return size
}
