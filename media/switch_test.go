package media

import (
	"context"
	"testing"
	"time"

	"peercall/media/pattern"
)

func TestSwitchSourceTurnsTheCameraOffAndOn(t *testing.T) {
	opened := 0
	open := func() (VideoSource, error) {
		opened++
		return NewPatternSource(320, 240, 30)
	}
	s := NewSwitchSource(open, 320, 240)
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
	s := NewSwitchSource(nil, 320, 240)
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
