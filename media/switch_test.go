package media

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"peercall/media/mediatest"
	"peercall/media/pattern"
)

func TestSwitchSourceTurnsTheCameraOffAndOn(t *testing.T) {
	opened := 0
	open := func() (VideoSource, error) {
		opened++
		return NewPatternSource(320, 240, 30)
	}
	s := NewSwitchSource(open, 320, 240, false)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	live := func() bool {
		img, _, err := s.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := pattern.ReadStamp(img)
		return ok
	}
	if !s.Live() || !live() {
		t.Fatal("the camera's picture is not sent")
	}
	if on, _ := s.SetOff(true); on {
		t.Error("camera still on after SetOff(true)")
	}
	if live() || s.Name() != "camera-off" {
		t.Error("the camera's picture is still sent while it is off")
	}
	if on, err := s.SetOff(false); !on || err != nil {
		t.Errorf("camera did not come back: %v", err)
	}
	if !live() || opened != 2 {
		t.Errorf("camera picture back: opened %d times, want 2", opened)
	}
}

func TestSwitchSourceWithoutCamera(t *testing.T) {
	s := NewSwitchSource(nil, 320, 240, false)
	defer s.Close()
	if s.Live() || s.Err() == nil {
		t.Fatal("no camera, yet it claims one")
	}
	img, _, err := s.ReadFrame(context.Background())
	if err != nil || img.Rect.Dx() != 320 || img.Rect.Dy() != 240 {
		t.Fatalf("no camera-off picture: %v", err)
	}
	s.Close()
	if _, _, err := s.ReadFrame(context.Background()); err == nil {
		t.Error("a closed source still gives pictures")
	}
}

// readKind reads one picture and tells whether it is the camera's (the
// pattern's stamp) rather than the "camera off" picture.
func readKind(t *testing.T, s *SwitchSource) (camera bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	img, _, err := s.ReadFrame(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := pattern.ReadStamp(img)
	return ok
}

// A camera opener that fails and hands back a nil *CameraSource inside the
// interface (as a driver wrapper easily does) leaves the camera missing:
// the "camera off" picture goes out, nothing dereferences the nil.
func TestSwitchSourceOpenerReturnsTypedNil(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"with an error", errors.New("device busy")},
		{"without an error", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSwitchSource(func() (VideoSource, error) {
				var cam *CameraSource
				return cam, tc.err
			}, 320, 240, false)
			defer s.Close()
			if s.Live() || !errors.Is(s.Err(), ErrNoCamera) || s.Name() != "camera-off" {
				t.Fatalf("live %v, err %v, name %q: want a missing camera", s.Live(), s.Err(), s.Name())
			}
			if readKind(t, s) {
				t.Error("not the camera-off picture")
			}
		})
	}
}

// A camera that fails mid-call is dropped for the "camera off" picture,
// and Changed tells of it.
func TestSwitchSourceCameraFailsMidCall(t *testing.T) {
	cam := mediatest.NewCamera(320, 240, 30)
	s := NewSwitchSource(func() (VideoSource, error) { return cam, nil }, 320, 240, false)
	defer s.Close()
	if !readKind(t, s) || !s.Live() {
		t.Fatal("the camera's picture is not sent")
	}
	changed := s.Changed()
	cam.Fail()
	for i := 0; i < 3; i++ {
		if readKind(t, s) {
			t.Fatal("the failed camera's picture is still sent")
		}
	}
	select {
	case <-changed:
	default:
		t.Error("Changed did not tell of the failure")
	}
	if s.Live() || !errors.Is(s.Err(), ErrNoCamera) {
		t.Errorf("live %v, err %v after the failure", s.Live(), s.Err())
	}
	if !cam.Closed() {
		t.Error("the failed camera was not released")
	}
}

// A camera that stops delivering (a driver that hangs) is not waited for:
// after the stall time the "camera off" picture goes out at its own rate,
// and when the camera delivers again its picture comes back.
func TestSwitchSourceCameraStallsMidCall(t *testing.T) {
	cam := mediatest.NewCamera(320, 240, 30)
	s := NewSwitchSource(func() (VideoSource, error) { return cam, nil }, 320, 240, false)
	s.SetStallAfter(200 * time.Millisecond)
	defer s.Close()
	if !readKind(t, s) {
		t.Fatal("the camera's picture is not sent")
	}
	cam.Hang()
	start := time.Now()
	offPictures := 0
	for offPictures < 3 {
		if readKind(t, s) {
			continue // a picture read before the hang began
		}
		offPictures++
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the camera-off picture took %v to replace a silent camera", waited)
	}
	if s.Live() || !errors.Is(s.Err(), ErrCameraSilent) || s.Name() != "camera-off" {
		t.Errorf("live %v, err %v, name %q while the camera is silent", s.Live(), s.Err(), s.Name())
	}
	cam.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for !readKind(t, s) {
		if time.Now().After(deadline) {
			t.Fatal("the camera's picture did not come back once it delivered again")
		}
	}
	if !s.Live() || s.Err() != nil {
		t.Errorf("live %v, err %v after the camera came back", s.Live(), s.Err())
	}
}

// Closing the source while a camera read hangs returns promptly and leaves
// no goroutine behind.
func TestSwitchSourceClosesAHangingCamera(t *testing.T) {
	before := runtime.NumGoroutine()
	cam := mediatest.NewCamera(320, 240, 30)
	s := NewSwitchSource(func() (VideoSource, error) { return cam, nil }, 320, 240, false)
	s.SetStallAfter(100 * time.Millisecond)
	readKind(t, s)
	cam.Hang()
	for readKind(t, s) {
	}
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > pumpStopWait {
		t.Errorf("Close took %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left behind", n-before)
	}
}

// Another camera chosen mid-call takes the first one's place in the same
// stream: the first is released, the new one's pictures follow.
func TestSwitchSourceChangesCameraMidCall(t *testing.T) {
	first, second := mediatest.NewCamera(320, 240, 30), mediatest.NewCamera(160, 120, 30)
	s := NewSwitchSource(func() (VideoSource, error) { return first, nil }, 320, 240, false)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	img, _, err := s.ReadFrame(ctx)
	if err != nil || img.Rect.Dx() != 320 {
		t.Fatalf("first camera: %v, %v", img.Rect, err)
	}
	changed := s.Changed()
	if live, err := s.SetOpener(func() (VideoSource, error) { return second, nil }); !live || err != nil {
		t.Fatalf("the second camera: live %v, err %v", live, err)
	}
	if !first.Closed() {
		t.Error("the first camera was not released")
	}
	select {
	case <-changed:
	default:
		t.Error("Changed did not tell of the new camera")
	}
	// A picture the first camera delivered before the change may still
	// come; within a few the second camera's are sent.
	for i := 0; ; i++ {
		img, _, err := s.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if img.Rect.Dx() == 160 {
			break
		}
		if i == 5 {
			t.Fatalf("after 5 pictures the second camera's is not sent (got %v)", img.Rect)
		}
	}
	// Chosen while the camera is off: opened only when it is turned on.
	s.SetOff(true)
	opened := false
	s.SetOpener(func() (VideoSource, error) { opened = true; return mediatest.NewCamera(320, 240, 30), nil })
	if opened || !second.Closed() {
		t.Errorf("while off: the new camera opened %v, the old one released %v", opened, second.Closed())
	}
	if live, _ := s.SetOff(false); !live || !opened {
		t.Error("turned on again, the camera chosen while off is not live")
	}
}

// A camera unplugged mid-call leaves the "camera off" picture; plugged in
// again, Retry brings it back.
func TestSwitchSourceRetryBringsARepluggedCamera(t *testing.T) {
	cam := mediatest.NewCamera(320, 240, 30)
	plugged := true
	s := NewSwitchSource(func() (VideoSource, error) {
		if !plugged {
			return nil, errors.New("no such device")
		}
		return cam, nil
	}, 320, 240, false)
	defer s.Close()
	if !readKind(t, s) {
		t.Fatal("the camera's picture is not sent")
	}
	cam.Fail()
	plugged = false
	for readKind(t, s) {
	}
	if s.Retry() || s.Live() {
		t.Fatal("Retry found a camera that is not plugged in")
	}
	if readKind(t, s) {
		t.Fatal("a camera picture while unplugged")
	}
	cam = mediatest.NewCamera(320, 240, 30)
	plugged = true
	changed := s.Changed()
	if !s.Retry() {
		t.Fatal("Retry did not find the camera plugged in again")
	}
	select {
	case <-changed:
	default:
		t.Error("Changed did not tell the camera is back")
	}
	for i := 0; !readKind(t, s); i++ {
		if i == 10 {
			t.Fatal("the camera plugged in again sends no picture")
		}
	}
	// Turned off, the camera is not opened by Retry.
	s.SetOff(true)
	if s.Retry() {
		t.Error("Retry opened a camera that is turned off")
	}
}
