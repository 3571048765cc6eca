package media

import "errors"

// ScreenFPS is the frame rate a shared screen is sent at: text and
// windows need sharpness more than motion, so the bits go to fewer,
// sharper pictures.
const ScreenFPS = 15

var (
	// ErrScreenWayland refuses screen sharing in a Wayland session, where
	// an X11 capture would only see a black picture.
	ErrScreenWayland = errors.New("screen sharing is not supported on Wayland yet")
	// ErrNoScreen means there is no X display to share ($DISPLAY is not
	// set, or its server cannot be reached or read).
	ErrNoScreen = errors.New("no screen to share")
	// ErrScreenUnsupported means this build of Peercall cannot capture
	// the screen of the system it runs on (Windows, for now).
	ErrScreenUnsupported = errors.New("screen sharing is not supported on this system yet")
	// ErrScreenLost means a screen being shared could no longer be read
	// (its X server went away, or refused the capture): the share ends.
	ErrScreenLost = errors.New("the shared screen can no longer be read")
)
