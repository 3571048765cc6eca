package ui

import (
	"image"
	"image/color"
	"slices"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"peercall/media/yuv"
	"peercall/ui/xdirect"
)

// VideoView draws a video stream: each frame is converted and scaled once,
// on the goroutine that delivers it, to the pixel size it is drawn at, with
// its aspect ratio kept (letterboxed on black), and handed to the screen
// at once: it is drawn in the window's next repaint. While the screen has
// not taken the last frame, new ones are dropped, never queued.
//
// Only the picture changes from frame to frame: the letterbox bars and the
// placeholder are laid out again only when the picture's shape changes.
// The bars cover only the box's sides, not the area under the picture, so
// that each repaint fills the view's pixels once.
type VideoView struct {
	widget.BaseWidget

	presenter *presenter

	mirror      bool
	image       *canvas.Image
	bars        [2]*canvas.Rectangle // black, on either side of the picture
	placeholder *canvas.Text

	// Written by the layout (UI goroutine), read by WriteFrame.
	boxW, boxH atomic.Int32  // drawn size in pixels
	laidOut    atomic.Uint64 // the aspect the last layout used

	// onFirstFrame runs on the UI goroutine when the first picture is
	// handed to the screen.
	onFirstFrame func()

	pending   atomic.Bool // a frame is on its way to the screen
	ready     *image.RGBA // that frame, converted; written before pending is set
	frames    atomic.Uint64
	dropped   atomic.Uint64
	converted atomic.Uint64

	// While the call screen is still, pictures go straight to the X
	// server through direct (direct.go). The toolkit's picture is hidden
	// (imageHidden, UI goroutine) once the surface shows one (directDrawn).
	direct       atomic.Pointer[xdirect.Surface]
	directDrawn  atomic.Bool
	directFailed atomic.Bool
	imageHidden  bool
	hadPicture   bool // the toolkit has shown a picture (UI goroutine)

	mu     sync.Mutex // held by WriteFrame: one producer at a time
	conv   yuv.Converter
	bufs   [2]*image.RGBA
	next   int
	aspect atomic.Uint64 // last frame's width<<32 | height
}

// NewVideoView makes an empty view showing placeholder text until the first
// frame; mirror flips pictures left to right (the self-view).
func NewVideoView(placeholder string, mirror bool) *VideoView {
	v := &VideoView{mirror: mirror}
	v.presenter = &presenter{}
	v.image = &canvas.Image{FillMode: canvas.ImageFillStretch, ScaleMode: canvas.ImageScaleFastest}
	for i := range v.bars {
		v.bars[i] = canvas.NewRectangle(color.Black)
	}
	v.placeholder = canvas.NewText(placeholder, color.Gray{Y: 200})
	v.placeholder.Alignment = fyne.TextAlignCenter
	v.ExtendBaseWidget(v)
	return v
}

// Frames and Dropped count pictures shown and pictures dropped because the
// screen was behind.
func (v *VideoView) Frames() uint64  { return v.frames.Load() }
func (v *VideoView) Dropped() uint64 { return v.dropped.Load() }

// WriteFrame implements media.VideoSink. It runs on the media goroutine.
func (v *VideoView) WriteFrame(img *image.YCbCr) {
	if s := v.direct.Load(); s != nil && s.On() && v.writeDirect(s, img) {
		return
	}
	if v.pending.Load() {
		// The screen has not taken the last picture yet: this one is
		// dropped (it is on its way, so no call to the UI is needed).
		v.dropped.Add(1)
		return
	}
	bw, bh := int(v.boxW.Load()), int(v.boxH.Load())
	if bw < 2 || bh < 2 {
		return
	}
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	w, h := yuv.Fit(sw, sh, bw, bh)
	if w < 2 || h < 2 {
		return
	}
	v.mu.Lock()
	buf := yuv.Reuse(v.bufs[v.next], w, h)
	v.bufs[v.next] = buf
	v.next ^= 1
	err := v.conv.ConvertInto(buf, img, v.mirror)
	v.mu.Unlock()
	if err != nil {
		return
	}
	v.converted.Add(1)
	v.aspect.Store(uint64(sw)<<32 | uint64(sh))
	v.ready = buf
	v.pending.Store(true)
	v.presenter.submit(v)
}

// writeDirect puts img on the screen through s, and reports whether it
// did. It runs on the media goroutine.
func (v *VideoView) writeDirect(s *xdirect.Surface, img *image.YCbCr) bool {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	v.mu.Lock()
	ok, err := s.Put(sw, sh, func(pix []byte, stride, w, h int) error {
		return v.conv.ConvertPixels(pix, stride, w, h, yuv.BGRX, img, v.mirror)
	})
	v.mu.Unlock()
	if err != nil {
		// The toolkit draws this view's pictures from now on.
		v.directFailed.Store(true)
		v.direct.Store(nil)
		s.Place(false, image.Rectangle{}, nil)
		onUI(v.showOwnPicture)
		return false
	}
	if !ok {
		return false
	}
	v.converted.Add(1)
	v.frames.Add(1)
	v.aspect.Store(uint64(sw)<<32 | uint64(sh))
	if !v.directDrawn.Swap(true) {
		// The surface shows the picture: the toolkit's, under it, goes,
		// so that its holes show nothing stale.
		onUI(func() {
			if v.direct.Load() == s && s.On() && !v.imageHidden {
				v.imageHidden = true
				v.image.Image = nil
				v.Refresh()
				v.mu.Lock()
				v.bufs = [2]*image.RGBA{}
				v.mu.Unlock()
			}
		})
	}
	return true
}

// hasPicture says whether the toolkit has shown a picture in the view.
func (v *VideoView) hasPicture() bool { return v.hadPicture }

// showOwnPicture has the toolkit draw the view's pictures again; it runs
// on the UI goroutine once the surface is off.
func (v *VideoView) showOwnPicture() {
	v.directDrawn.Store(false)
	if v.imageHidden {
		v.imageHidden = false
		v.Refresh()
	}
}

// show hands the picture WriteFrame made ready to the screen; it runs on
// the UI goroutine.
func (v *VideoView) show() {
	if !v.pending.Load() {
		return // shown already by an earlier flush
	}
	buf := v.ready
	first := !v.hadPicture
	empty := v.image.Image == nil // laid out without a picture
	v.hadPicture = true
	v.image.Image = buf
	if empty || v.aspect.Load() != v.laidOut.Load() {
		v.placeholder.Hide()
		v.Refresh()
		if first && v.onFirstFrame != nil {
			v.onFirstFrame()
		}
	} else {
		// Only the picture: a new texture of it, nothing else laid out.
		v.image.Refresh()
	}
	v.frames.Add(1)
	v.pending.Store(false)
}

// Pair makes two views (the remote picture and the self-view) share one
// way to the screen: pictures of both that are ready before the UI
// goroutine gets to them are handed over in one call, and so reach the
// same repaint. Neither waits for the other: each picture goes to the
// screen as soon as it is converted.
func Pair(a, b *VideoView) {
	p := &presenter{}
	a.presenter, b.presenter = p, p
}

// presenter hands the pictures of one or more views to the UI goroutine,
// in as few calls as it can without holding any picture back.
type presenter struct {
	run       func(func()) // how a flush reaches the UI goroutine; nil: onUI
	mu        sync.Mutex
	scheduled bool         // a flush is on its way to the UI goroutine
	ready     []*VideoView // views whose picture waits for the flush
	spare     []*VideoView // the other list, being shown (no allocation per flush)
}

// submit tells that v has a picture ready (v.pending is set); it runs on
// v's media goroutine.
func (p *presenter) submit(v *VideoView) {
	p.mu.Lock()
	if !slices.Contains(p.ready, v) {
		p.ready = append(p.ready, v)
	}
	if p.scheduled {
		p.mu.Unlock()
		return // rides with the flush already on its way
	}
	p.scheduled = true
	run := p.run
	p.mu.Unlock()
	if run == nil {
		run = onUI
	}
	run(p.flush)
}

// flush shows every ready picture; it runs on the UI goroutine.
func (p *presenter) flush() {
	p.mu.Lock()
	ready := p.ready
	p.ready, p.spare = p.spare[:0], ready
	p.scheduled = false
	p.mu.Unlock()
	for _, v := range ready {
		v.show()
	}
}

// CreateRenderer implements fyne.Widget.
func (v *VideoView) CreateRenderer() fyne.WidgetRenderer {
	return &videoRenderer{v: v}
}

type videoRenderer struct{ v *VideoView }

func (r *videoRenderer) Layout(size fyne.Size) {
	v := r.v
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(v); c != nil {
		scale = c.Scale()
	}
	v.boxW.Store(int32(size.Width * scale))
	v.boxH.Store(int32(size.Height * scale))
	r.layoutPlaceholder(size)
	// Letterbox in the frame's aspect ratio.
	w, h := size.Width, size.Height
	a := v.aspect.Load()
	v.laidOut.Store(a)
	if a != 0 {
		fw, fh := int(a>>32), int(a&0xffffffff)
		pw, ph := yuv.Fit(fw, fh, int(size.Width*scale), int(size.Height*scale))
		w, h = float32(pw)/scale, float32(ph)/scale
	}
	x, y := (size.Width-w)/2, (size.Height-h)/2
	v.image.Resize(fyne.NewSize(w, h))
	v.image.Move(fyne.NewPos(x, y))
	// The bars reach one pixel under the picture, so that no seam of the
	// window's background shows between them.
	over := 1 / scale
	if v.imageHidden {
		v.image.Hide()
	} else {
		v.image.Show()
	}
	switch {
	case v.image.Image == nil || v.imageHidden:
		// No picture yet, or it goes straight to the screen: the whole box
		// is black.
		v.bars[0].Move(fyne.NewPos(0, 0))
		v.bars[0].Resize(size)
		v.bars[1].Resize(fyne.NewSize(0, 0))
		v.bars[1].Hide()
		return
	case w < size.Width:
		v.bars[0].Move(fyne.NewPos(0, 0))
		v.bars[0].Resize(fyne.NewSize(x+over, size.Height))
		v.bars[1].Move(fyne.NewPos(x+w-over, 0))
		v.bars[1].Resize(fyne.NewSize(size.Width-x-w+over, size.Height))
	default:
		v.bars[0].Move(fyne.NewPos(0, 0))
		v.bars[0].Resize(fyne.NewSize(size.Width, y+over))
		v.bars[1].Move(fyne.NewPos(0, y+h-over))
		v.bars[1].Resize(fyne.NewSize(size.Width, size.Height-y-h+over))
	}
	v.bars[1].Show()
}

// layoutPlaceholder centres the placeholder text in the box.
func (r *videoRenderer) layoutPlaceholder(size fyne.Size) {
	v := r.v
	ts := v.placeholder.MinSize()
	v.placeholder.Resize(ts)
	v.placeholder.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
}

func (r *videoRenderer) MinSize() fyne.Size { return fyne.NewSize(64, 48) }

func (r *videoRenderer) Refresh() {
	r.Layout(r.v.Size())
	for _, b := range r.v.bars {
		b.Refresh()
	}
	r.v.placeholder.Refresh()
	r.v.image.Refresh()
}

func (r *videoRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.v.bars[0], r.v.bars[1], r.v.image, r.v.placeholder}
}

func (r *videoRenderer) Destroy() {}
