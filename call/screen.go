package call

import "peercall/media"

// ShareScreen starts sending the screen of the X display in $DISPLAY
// beside the camera, at media.ScreenFPS. It fails with
// media.ErrScreenWayland in a Wayland session and media.ErrNoScreen
// without a display to read; rtc.ErrAlreadySharing while sharing. Called
// before the call connects, it waits until it does. failed (may be nil)
// is called, on a goroutine of the session's, when the share ends by
// itself because the screen can no longer be read (its X server went
// away): the other side then sees the camera again.
func (c *Call) ShareScreen(failed func(error)) error {
	src, err := media.NewScreenSource("", media.ScreenFPS)
	if err != nil {
		return err
	}
	if err := c.sess.ShareScreen(src, func(err error) {
		c.notify()
		if failed != nil {
			failed(err)
		}
	}); err != nil {
		return err
	}
	c.log.Info("sharing the screen")
	c.notify()
	return nil
}

// StopScreen stops sharing the screen.
func (c *Call) StopScreen() error {
	err := c.sess.StopScreen()
	c.notify()
	return err
}

// SharingScreen reports whether this side shares its screen.
func (c *Call) SharingScreen() bool { return c.sess.SharingScreen() }
