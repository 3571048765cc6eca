package ui

import (
	"image"
	"image/color"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"peercall/media/yuv"
)

// VideoView draws a video stream: each frame is converted and scaled once,
// on the goroutine that delivers it, to the pixel size it is drawn at, with
// its aspect ratio kept (letterboxed on black). While the screen has not
// drawn the last frame, new ones are dropped, never queued.
//
// Views that share a presenter (see Pair) reach the screen together, so
// the window is repainted once per remote frame rather than once per view.
type VideoView struct {
	widget.BaseWidget

	presenter *presenter

	mirror      bool
	image       *canvas.Image
	background  *canvas.Rectangle
	placeholder *canvas.Text

	// Written by the layout (UI goroutine), read by WriteFrame.
	boxW, boxH atomic.Int32  // drawn size in pixels
	laidOut    atomic.Uint64 // the aspect the last layout used

	// onFirstFrame runs on the UI goroutine when the first picture is
	// handed to the screen.
	onFirstFrame func()

	pending atomic.Bool // a frame is on its way to the screen
	ready   *image.RGBA // that frame, converted; written before pending is set
	frames  atomic.Uint64
	dropped atomic.Uint64

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
	v.presenter = &presenter{leader: v}
	v.image = &canvas.Image{FillMode: canvas.ImageFillStretch, ScaleMode: canvas.ImageScaleFastest}
	v.background = canvas.NewRectangle(color.Black)
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
	if v.pending.Load() {
		v.dropped.Add(1)
		// A picture held back for the leading view goes out by itself
		// once that view has gone quiet.
		v.presenter.submit(v, time.Now())
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
	v.aspect.Store(uint64(sw)<<32 | uint64(sh))
	v.ready = buf
	v.pending.Store(true)
	v.presenter.submit(v, time.Now())
}

// show hands the picture WriteFrame made ready to the screen; it runs on
// the UI goroutine.
func (v *VideoView) show() {
	if !v.pending.Load() {
		return // shown already by an earlier flush
	}
	buf := v.ready
	first := v.image.Image == nil
	v.image.Image = buf
	if first || v.aspect.Load() != v.laidOut.Load() {
		v.placeholder.Hide()
		v.Refresh()
		if first && v.onFirstFrame != nil {
			v.onFirstFrame()
		}
	} else {
		v.image.Refresh()
	}
	v.frames.Add(1)
	v.pending.Store(false)
}

// Pair makes follower's pictures reach the screen together with leader's:
// the self-view rides along with the remote picture, so that two streams
// of 30 frames a second cost 30 repaints a second, not 60. A follower's
// picture waits at most one of the leader's frame times, or goes out by
// itself when the leader has shown nothing for leaderPatience.
func Pair(leader, follower *VideoView) {
	p := &presenter{leader: leader}
	leader.presenter, follower.presenter = p, p
}

// leaderPatience is how long the leading view may be quiet before the
// other views' pictures stop waiting for it.
const leaderPatience = 100 * time.Millisecond

// presenter batches pictures of several views into one UI call.
type presenter struct {
	leader *VideoView

	mu        sync.Mutex
	scheduled bool         // a flush is on its way to the UI goroutine
	ready     []*VideoView // views whose picture waits for the flush
	spare     []*VideoView // the other list, being shown (no allocation per flush)
	leaderAt  time.Time    // when the leader last had a picture
}

// submit tells that v has a picture ready (v.pending is set); it runs on
// v's media goroutine.
func (p *presenter) submit(v *VideoView, now time.Time) {
	p.mu.Lock()
	if v == p.leader {
		p.leaderAt = now
	}
	if !slices.Contains(p.ready, v) {
		if !v.pending.Load() {
			p.mu.Unlock()
			return
		}
		p.ready = append(p.ready, v)
	}
	wait := v != p.leader && now.Sub(p.leaderAt) < leaderPatience
	if wait || p.scheduled {
		p.mu.Unlock()
		return
	}
	p.scheduled = true
	p.mu.Unlock()
	onUI(p.flush)
}

// flush shows every ready picture; it runs on the UI goroutine, so the
// canvas is repainted once for all of them.
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
	v.background.Resize(size)
	v.background.Move(fyne.NewPos(0, 0))
	// Letterbox in the frame's aspect ratio.
	w, h := size.Width, size.Height
	a := v.aspect.Load()
	v.laidOut.Store(a)
	if a != 0 {
		fw, fh := int(a>>32), int(a&0xffffffff)
		pw, ph := yuv.Fit(fw, fh, int(size.Width*scale), int(size.Height*scale))
		w, h = float32(pw)/scale, float32(ph)/scale
	}
	v.image.Resize(fyne.NewSize(w, h))
	v.image.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
	ts := v.placeholder.MinSize()
	v.placeholder.Resize(ts)
	v.placeholder.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
}

func (r *videoRenderer) MinSize() fyne.Size { return fyne.NewSize(64, 48) }

func (r *videoRenderer) Refresh() {
	r.Layout(r.v.Size())
	r.v.background.Refresh()
	r.v.placeholder.Refresh()
	r.v.image.Refresh()
}

func (r *videoRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.v.background, r.v.image, r.v.placeholder}
}

func (r *videoRenderer) Destroy() {}
