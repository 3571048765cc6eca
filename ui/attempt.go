package ui

import (
	"context"

	"peercall/media"
	"peercall/media/aec"
	"peercall/media/sound"
	"peercall/rtc"
)

// Picture size and rate the window sends unless Options say otherwise.
const (
	sendWidth  = 640
	sendHeight = 480
	sendFPS    = 30
)

// attempt is one call, from the first code to the end: the session, the
// camera and the two video views.
type attempt struct {
	sess   *rtc.Session
	invite string // the invite code, on the inviting side
	source *media.SwitchSource
	remote *VideoView
	self   *VideoView
	muted  bool
	camOff bool

	// Sound: what is missing is said on the call screen.
	sys      *sound.System
	aec      *aec.Canceller
	mic      *media.MicInput
	output   *media.DeviceOutput
	noMic    error
	noOutput error
}

// openSound opens the microphone and speaker from the settings, with echo
// cancellation between them; whatever is missing is recorded, never fatal.
func (a *attempt) openSound(prefs settings, speaker *media.Speaker) {
	sys, err := sound.Open()
	if err != nil {
		a.noMic, a.noOutput = err, err
		return
	}
	a.sys = sys
	if prefs.EchoCancel {
		if c, err := media.NewEchoCanceller(); err == nil {
			a.aec = c
		}
	}
	if mic, err := media.NewMicInput(sys, prefs.Microphone, a.aec); err != nil {
		a.noMic = err
	} else {
		a.mic = mic
	}
	if out, err := media.NewDeviceOutput(sys, prefs.Speaker, speaker, a.aec); err != nil {
		a.noOutput = err
	} else {
		a.output = out
	}
}

// audioInput is the microphone as the session takes it: a nil interface
// when there is none.
func (a *attempt) audioInput() media.AudioInput {
	if a.mic == nil {
		return nil
	}
	return a.mic
}

// watchSound reports, once, a microphone or speaker that goes away during
// the call.
func (a *attempt) watchSound(ctx context.Context, lost func(mic, speaker bool)) {
	var micGone, outGone <-chan struct{}
	if a.mic != nil {
		micGone = a.mic.Stopped()
	}
	if a.output != nil {
		outGone = a.output.Stopped()
	}
	for micGone != nil || outGone != nil {
		select {
		case <-ctx.Done():
			return
		case <-micGone:
			micGone = nil
			lost(true, false)
		case <-outGone:
			outGone = nil
			lost(false, true)
		}
	}
}

// closeSound releases the sound devices once the session has ended.
func (a *attempt) closeSound() {
	if a.output != nil {
		a.output.Close()
	}
	if a.aec != nil {
		a.aec.Close()
	}
	if a.sys != nil {
		a.sys.Close()
	}
}

// close ends the session and then releases the devices; it blocks.
func (a *attempt) close() {
	a.sess.Close()
	a.closeSound()
}

// newAttempt opens the camera (or the pattern) and makes the session. It
// may take a moment (the camera), so it runs off the UI goroutine.
func (u *UI) newAttempt(remote, self *VideoView) (*attempt, error) {
	prefs := loadSettings(u.app.Preferences())
	camera := prefs.Camera
	if u.opts.Source == "pattern" {
		camera = patternCamera
	}
	width, height := pictureSize(u.opts, prefs)
	open := func() (media.VideoSource, error) {
		if camera == patternCamera {
			return media.NewPatternSource(width, height, sendFPS)
		}
		return media.NewCameraSource(camera, width, height, sendFPS)
	}
	src := media.NewSwitchSource(open, width, height)
	a := &attempt{source: src, remote: remote, self: self}
	speaker := media.NewSpeaker()
	a.openSound(prefs, speaker)
	sess, err := rtc.New(rtc.Config{
		ICEServers: prefs.iceServers(),
		Logger:     u.opts.Logger,
		Interfaces: u.opts.Interfaces,
		Video:      src,
		FPS:        sendFPS,
		VideoSink:  remote,
		SelfView:   self,
		Audio:      a.audioInput(),
		Speaker:    speaker,
	})
	if err != nil {
		src.Close()
		if a.mic != nil {
			a.mic.Close()
		}
		a.closeSound()
		return nil, err
	}
	a.sess = sess
	sess.SetMuted(false, src.Live())
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
	go a.close()
}
