package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// countingUI replaces the views' way to the UI goroutine with a queue, and
// counts the calls: each call that shows pictures is one repaint of the
// window. It is the views' own way, not the package's onUI: a goroutine
// another test left behind may still hand work to the UI.
func countingUI(t *testing.T, views ...*VideoView) (calls *int, pump func()) {
	var queue []func()
	n := 0
	for _, v := range views {
		v.presenter.run = func(f func()) { n++; queue = append(queue, f) }
	}
	return &n, func() {
		for len(queue) > 0 {
			f := queue[0]
			queue = queue[1:]
			f()
		}
	}
}

func pairedViews(t *testing.T) (remote, self *VideoView) {
	test.NewTempApp(t)
	remote, self = NewVideoView("", false), NewVideoView("", true)
	Pair(remote, self)
	w := test.NewTempWindow(t, container.NewGridWithColumns(2, remote, self))
	w.Resize(fyne.NewSize(640, 240))
	return remote, self
}

func picture() *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
}

// A picture of each view that is ready before the UI goroutine gets to
// the first reaches the screen in the same UI call (the same repaint).
func TestPairedViewsShareAUICall(t *testing.T) {
	remote, self := pairedViews(t)
	calls, pump := countingUI(t, remote, self)
	img := picture()
	for i := 0; i < 10; i++ {
		self.WriteFrame(img)
		remote.WriteFrame(img)
		pump()
	}
	if *calls != 10 {
		t.Errorf("%d UI calls for 10 pairs of pictures, want 10", *calls)
	}
	if remote.Frames() != 10 || self.Frames() != 10 {
		t.Errorf("shown: remote %d, self %d; want 10 each", remote.Frames(), self.Frames())
	}
}

// The self-view's picture goes to the screen at once, whether or not
// remote pictures come: it never waits for the next remote one.
func TestSelfViewDoesNotWaitForTheRemotePicture(t *testing.T) {
	remote, self := pairedViews(t)
	calls, pump := countingUI(t, remote, self)
	img := picture()
	// Before any remote picture.
	self.WriteFrame(img)
	pump()
	if self.Frames() != 1 || *calls != 1 {
		t.Fatalf("self-view alone: %d shown in %d UI calls, want 1 in 1", self.Frames(), *calls)
	}
	// While remote pictures come, between two of them.
	for i := 0; i < 5; i++ {
		remote.WriteFrame(img)
		pump()
		self.WriteFrame(img)
		pump()
		if want := uint64(2 + i); self.Frames() != want {
			t.Fatalf("after %d remote pictures the self-view shows %d pictures, want %d: it waited for the remote one", i+1, self.Frames(), want)
		}
	}
	if remote.Frames() != 5 {
		t.Errorf("remote view shows %d pictures, want 5", remote.Frames())
	}
}

// Pictures that come faster than the screen takes them are dropped, never
// queued: the screen then shows the next picture that comes, not an old
// one, and no UI call is made for a dropped picture.
func TestFramesAreDroppedNotQueued(t *testing.T) {
	remote, _ := pairedViews(t)
	calls, pump := countingUI(t, remote)
	for i := 0; i < 5; i++ {
		remote.WriteFrame(shade(uint8(20 + 40*i)))
	}
	if *calls != 1 {
		t.Errorf("%d UI calls for 5 pictures while the screen was busy, want 1", *calls)
	}
	pump()
	if remote.Frames() != 1 || remote.Dropped() != 4 {
		t.Fatalf("shown %d, dropped %d; want 1 and 4", remote.Frames(), remote.Dropped())
	}
	remote.WriteFrame(shade(230))
	pump()
	if got := centreGrey(remote); got < 200 {
		t.Errorf("the screen shows grey %d, want the newest picture's (about 230)", got)
	}
	if remote.Frames() != 2 {
		t.Errorf("shown %d pictures, want 2", remote.Frames())
	}
}

// Each picture is converted once, at the size it is drawn: what the view
// hands to the toolkit is exactly as many pixels as the picture covers on
// the screen, so the toolkit uploads it as is and scales nothing.
func TestEachPictureIsConvertedOnceAtTheDrawnSize(t *testing.T) {
	for _, tc := range []struct {
		name       string
		box        fyne.Size
		srcW, srcH int
	}{
		{"a smaller box, same shape", fyne.NewSize(320, 240), 640, 480},
		{"a larger box, letterboxed", fyne.NewSize(900, 500), 640, 480},
		{"a wide picture in a tall box", fyne.NewSize(300, 400), 1280, 720},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test.NewTempApp(t)
			v := NewVideoView("", false)
			w := test.NewTempWindow(t, v)
			w.SetPadded(false)
			w.Resize(tc.box)
			_, pump := countingUI(t, v)
			img := image.NewYCbCr(image.Rect(0, 0, tc.srcW, tc.srcH), image.YCbCrSubsampleRatio420)
			for i := 0; i < 3; i++ {
				v.WriteFrame(img)
				pump()
			}
			if v.converted.Load() != 3 || v.Frames() != 3 {
				t.Errorf("3 pictures: %d conversions, %d shown; want 3 and 3", v.converted.Load(), v.Frames())
			}
			scale := w.Canvas().Scale()
			got := v.image.Image.Bounds().Size()
			drawn := v.image.Size()
			if float32(got.X) != drawn.Width*scale || float32(got.Y) != drawn.Height*scale {
				t.Errorf("picture of %v pixels drawn over %v×%v pixels", got, drawn.Width*scale, drawn.Height*scale)
			}
			// The picture keeps its shape and fills the box one way.
			box := v.Size()
			if drawn.Width < box.Width-2 && drawn.Height < box.Height-2 {
				t.Errorf("picture %v in box %v: fills neither way", drawn, box)
			}
			if r := float64(got.X) / float64(got.Y); r < float64(tc.srcW)/float64(tc.srcH)*0.98 || r > float64(tc.srcW)/float64(tc.srcH)*1.02 {
				t.Errorf("picture %v does not keep the shape of %dx%d", got, tc.srcW, tc.srcH)
			}
		})
	}
}

// The black bars of a letterboxed picture cover the box's sides, and only
// a seam's width of the picture: the view's pixels are not drawn twice.
func TestLetterboxBarsAroundThePicture(t *testing.T) {
	test.NewTempApp(t)
	v := NewVideoView("", false)
	w := test.NewTempWindow(t, v)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(800, 400))
	_, pump := countingUI(t, v)
	v.WriteFrame(picture()) // 4:3 in 2:1: bars left and right
	pump()
	box := v.Size()
	pic := v.image.Size()
	var covered float32
	for _, b := range v.bars {
		covered += b.Size().Width * b.Size().Height
		if b.Size().Height != box.Height {
			t.Errorf("bar %v, want the box's height %v", b.Size(), box.Height)
		}
	}
	sides := box.Width*box.Height - pic.Width*pic.Height
	if covered < sides || covered > sides+4*box.Height {
		t.Errorf("bars cover %.0f px², want the sides' %.0f px² (plus a seam)", covered, sides)
	}
}

func shade(y uint8) *image.YCbCr {
	img := picture()
	for i := range img.Y {
		img.Y[i] = y
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// centreGrey is the grey level of the middle pixel of the view's picture.
func centreGrey(v *VideoView) uint8 {
	img := v.image.Image.(*image.RGBA)
	b := img.Bounds()
	return img.RGBAAt(b.Dx()/2, b.Dy()/2).G
}
