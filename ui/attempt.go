package ui

import (
	"peercall/call"
	"peercall/rtc"
)

// attempt is one call, from the first code to the end: the call with its
// devices and session, and the two video views it draws into.
type attempt struct {
	call   *call.Call
	sess   *rtc.Session
	invite string // the invite code, on the inviting side
	remote *VideoView
	self   *VideoView
	screen *remoteScreen // the other side's shared screen
	// The picture size this side asks to send.
	sendW, sendH int
}

// close hangs up and releases the devices; it blocks.
func (a *attempt) close() {
	if err := a.call.Close(); err != nil {
		a.call.Logger().Debug("closing the call", "err", err)
	}
}

// newAttempt opens the devices from the settings and makes the session. It
// may take a moment (the camera), so it runs off the UI goroutine.
func (u *UI) newAttempt(remote, self *VideoView) (*attempt, error) {
	opts := loadSettings(u.app.Preferences()).callOptions(u.opts)
	opts.VideoSink, opts.SelfView = remote, self
	screen := newRemoteScreen(u)
	opts.ScreenSink = screen
	c, err := call.Open(opts)
	if err != nil {
		return nil, err
	}
	return &attempt{call: c, sess: c.Session(), remote: remote, self: self, screen: screen, sendW: opts.Width, sendH: opts.Height}, nil
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
