package call

import (
	"image"
	"sync/atomic"
	"testing"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/driver"
	// mediadevices' test camera: colour bars, as a camera driver delivers.
	_ "github.com/pion/mediadevices/pkg/driver/videotest"

	"peercall/media"
	"peercall/media/mediatest"
)

// showsColourBars reports whether img is the test driver's colour bars:
// seven vertical bars, each of one luma along a row and the next darker
// than the one before it (white, yellow, cyan, green, magenta, red, blue).
func showsColourBars(img *image.YCbCr) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	y := h / 4
	prev := 256
	for bar := range 7 {
		x := w*bar/7 + w/14 // the middle of the bar
		v := int(img.Y[y*img.YStride+x])
		if v >= prev-8 {
			return false
		}
		prev = v
	}
	return true
}

// A camera through mediadevices' driver — its test camera — chosen mid-call
// in place of another, by its label as the settings keep it (the driver's
// device ids change from run to run): the other side sees its picture in
// the same stream.
//
// Not checked for goroutines left behind: the test camera's reader waits on
// a ticker its Close stops, so one read of the released camera never
// returns (the call's camera switch does not wait for it: see
// media.SwitchSource's pump).
func TestCameraChangedToADriverCamera(t *testing.T) {
	var driverCam string
	for _, d := range mediadevices.EnumerateDevices() {
		if d.Kind == mediadevices.VideoInput {
			driverCam = d.Label
		}
	}
	if driverCam == "" {
		t.Fatal("mediadevices' test camera is not registered")
	}
	first := mediatest.NewCamera(testW, testH, testFPS)
	o := baseOptions(t, "camera")
	o.Video, o.Camera = VideoCamera, "builtin"
	o.OpenCamera = func(id string, w, h, fps int) (media.VideoSource, error) {
		if id == "builtin" {
			return first, nil
		}
		return media.NewCameraSource(id, w, h, fps)
	}
	a := open(t, o)
	b, got := openPeer(t)
	connect(t, a, b)
	eventually(t, "the first camera's picture on the other side", waitLong, func() bool {
		_, img := got.snapshot()
		return img != nil && showsPattern(img)
	})
	if live, err := a.SetCamera(driverCam); !live || err != nil {
		t.Fatalf("the driver's camera: live %v, err %v", live, err)
	}
	eventually(t, "the driver camera's colour bars on the other side", waitLong, func() bool {
		_, img := got.snapshot()
		return img != nil && showsColourBars(img)
	})
	if !first.Closed() {
		t.Error("the first camera is still held")
	}
	closeBoth(t, a, b)
}

// A computer with no camera when the call starts: the other side sees the
// camera-off picture. A camera plugged in mid-call — one the camera driver
// did not list when the program started — is found by the next look for
// the missing camera, and its picture reaches the other side in the same
// stream.
func TestCameraPluggedInForTheFirstTimeMidCall(t *testing.T) {
	m := driver.GetManager()
	var testCam driver.Driver
	for _, d := range m.Query(driver.FilterVideoRecorder()) {
		if d.Info().Label == "VideoTest" {
			testCam = d
		}
	}
	if testCam == nil {
		t.Fatal("mediadevices' test camera is not registered")
	}
	m.Delete(testCam.ID()) // not plugged in yet
	var plugged atomic.Bool
	var listed atomic.Int32
	oldRescan := rescanCameras
	rescanCameras = func() bool {
		// What the camera driver's listing finds once it is plugged in.
		if !plugged.Load() || listed.Load() > 0 {
			return false
		}
		listed.Add(1)
		return m.Register(testCam, testCam.Info()) == nil
	}
	t.Cleanup(func() {
		rescanCameras = oldRescan
		if listed.Load() == 0 {
			_ = m.Register(testCam, testCam.Info())
		}
	})

	o := baseOptions(t, "camera")
	o.Video, o.Camera = VideoCamera, "" // the first camera found
	a := open(t, o)
	if a.Missing().Camera == nil {
		t.Fatal("with no camera, the camera is not reported missing")
	}
	b, got := openPeer(t)
	connect(t, a, b)
	eventually(t, "the other side told the camera is off", waitLong, func() bool {
		return b.Session().PeerMedia().CameraOff
	})
	plugged.Store(true)
	eventually(t, "the plugged-in camera's colour bars on the other side", waitLong, func() bool {
		_, img := got.snapshot()
		return img != nil && showsColourBars(img)
	})
	if a.Missing().Camera != nil {
		t.Errorf("the camera is still reported missing: %v", a.Missing().Camera)
	}
	closeBoth(t, a, b)
}
