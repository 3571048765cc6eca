package ui

import (
	"peercall/media"
	"peercall/rtc"
)

// Picture size and rate the window sends.
const (
	sendWidth  = 640
	sendHeight = 480
	sendFPS    = 30
)

// attempt is one call, from the first code to the end: the session, the
// camera and the two video views.
type attempt struct {
	sess   *rtc.Session
	source *media.SwitchSource
	remote *VideoView
	self   *VideoView
	muted  bool
	camOff bool
}

// newAttempt opens the camera (or the pattern) and makes the session. It
// may take a moment (the camera), so it runs off the UI goroutine.
func (u *UI) newAttempt(remote, self *VideoView) (*attempt, error) {
	prefs := loadSettings(u.app.Preferences())
	camera := prefs.Camera
	if u.opts.Source == "pattern" {
		camera = patternCamera
	}
	open := func() (media.VideoSource, error) {
		if camera == patternCamera {
			return media.NewPatternSource(sendWidth, sendHeight, sendFPS)
		}
		return media.NewCameraSource(camera, sendWidth, sendHeight, sendFPS)
	}
	src := media.NewSwitchSource(open, sendWidth, sendHeight)
	sess, err := rtc.New(rtc.Config{
		ICEServers: prefs.iceServers(),
		Logger:     u.opts.Logger,
		Interfaces: u.opts.Interfaces,
		Video:      src,
		FPS:        sendFPS,
		VideoSink:  remote,
		SelfView:   self,
	})
	if err != nil {
		src.Close()
		return nil, err
	}
	a := &attempt{sess: sess, source: src, remote: remote, self: self}
	sess.SetLocalMedia(false, src.Live())
	return a, nil
}

// endAttempt hangs up the current attempt, if any; the release finishes in
// the background.
func (u *UI) endAttempt() {
	if u.attempt == nil {
		return
	}
	a := u.attempt
	u.attempt = nil
	go a.sess.Close()
}
