package cli

import (
	"errors"
	"image"

	"peercall/media"
)

// startSharing shares $DISPLAY's screen (--share-screen) once the call is
// connected; the in-band negotiation runs on a goroutine of its own, which
// ends with the call at the latest.
func (s *session) startSharing() {
	if s.call.SharingScreen() {
		return // a resumed call goes on sharing
	}
	go func() {
		if err := s.call.ShareScreen(func(err error) {
			s.log.Warn("the screen is no longer shared: it could not be read any more", "err", err)
		}); err != nil {
			s.log.Warn("the screen is not shared: "+screenSharingProblem(err), "err", err)
		}
	}()
}

// saveScreen writes the last picture of the other side's screen
// (--screen-picture).
func (s *session) saveScreen() {
	if s.scr == nil {
		return
	}
	if err := s.scr.save(s.flags.screenOut); err != nil {
		s.log.Warn("the shared screen's last picture was not written", "err", err)
	}
}

// screenSharingProblem says in words why the screen cannot be shared.
func screenSharingProblem(err error) string {
	switch {
	case errors.Is(err, media.ErrScreenWayland):
		return "Screen sharing is not supported on Wayland yet."
	case errors.Is(err, media.ErrNoScreen):
		return "There is no X display to share: set DISPLAY to one."
	case errors.Is(err, media.ErrScreenUnsupported):
		return "Screen sharing is not available on this system yet."
	}
	return "The screen could not be read."
}

// noPictures drops the pictures of a screen the other side shares when
// --screen-picture does not ask for them: --last-picture and --video-out
// keep their camera's alone.
type noPictures struct{}

// WriteFrame implements media.VideoSink.
func (noPictures) WriteFrame(*image.YCbCr) {}
