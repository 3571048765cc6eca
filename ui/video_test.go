package ui

import (
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// countingUI replaces onUI for a test with a queue, and counts the calls:
// each call that shows pictures is one repaint of the window.
func countingUI(t *testing.T) (calls *int, pump func()) {
	var queue []func()
	n := 0
	saved := setUIRunner(func(f func()) { n++; queue = append(queue, f) })
	t.Cleanup(func() { setUIRunner(saved) })
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

// The self-view's pictures reach the screen together with the remote
// ones: one UI call (one repaint) for both.
func TestPairedViewsShareARepaint(t *testing.T) {
	remote, self := pairedViews(t)
	calls, pump := countingUI(t)
	img := picture()
	for i := 0; i < 10; i++ {
		self.WriteFrame(img) // waits for the remote picture
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

// Without remote pictures (before the first, or when the peer's camera is
// off) the self-view goes out by itself, and one held back when the
// remote picture stopped is not stuck.
func TestSelfViewDoesNotWaitForAQuietRemote(t *testing.T) {
	remote, self := pairedViews(t)
	calls, pump := countingUI(t)
	img := picture()
	self.WriteFrame(img)
	pump()
	if self.Frames() != 1 || *calls != 1 {
		t.Fatalf("self-view alone: %d shown in %d UI calls, want 1 in 1", self.Frames(), *calls)
	}
	// The remote picture comes, then stops: the self-view's next picture
	// waits for it, and goes out on the self-view's next frame once the
	// remote has been quiet for longer than leaderPatience.
	remote.WriteFrame(img)
	pump()
	self.WriteFrame(img)
	pump()
	if self.Frames() != 1 {
		t.Fatalf("the self-view did not wait for the remote picture")
	}
	time.Sleep(leaderPatience + 20*time.Millisecond)
	self.WriteFrame(img) // dropped (one is pending), but releases it
	pump()
	if self.Frames() != 2 {
		t.Errorf("self-view shows %d pictures, want 2: the held one was stuck", self.Frames())
	}
}
