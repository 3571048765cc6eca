package rtc

import (
	"errors"

	"github.com/pion/webrtc/v4"

	"peercall/media"
)

// A shared screen is a video track of its own, sent beside the camera's.
// The receiver tells it from the camera by its stream id: the track's
// msid in the SDP is "screen screen" (stream id, then track id), where
// the camera's is "peercall video" (docs/PROTOCOL.md, "Screen sharing").
const (
	ScreenStreamID = "screen"
	ScreenTrackID  = "screen"
)

// ErrAlreadySharing refuses a second screen while one is being shared.
var ErrAlreadySharing = errors.New("a screen is already being shared")

// ErrNotSharing is StopScreen's answer when no screen is being shared.
var ErrNotSharing = errors.New("no screen is being shared")

// screenWeight is a shared screen's part of the video bitrate against a
// camera's 1: a page of text needs the bits more than a face does.
const screenWeight = 3

func sendWeight(v *media.VideoSender) int {
	if v.Stats().SourceName == "screen" {
		return screenWeight
	}
	return 1
}

// ShareScreen sends src, whose pictures come media.ScreenFPS a second, as
// the shared screen, beside the camera, and renegotiates in band; the
// session takes ownership of src. Called before the call connects, it
// waits until it does. failed (may be nil) is called, on a goroutine of
// the session's, when the share ends by itself because src failed (the
// screen can no longer be read): by then the session has stopped sending
// the screen and renegotiated, so the other side is told the screen went
// and sees the camera again.
func (s *Session) ShareScreen(src media.VideoSource, failed func(error)) error {
	if s.screenTrack() != nil {
		src.Close()
		return ErrAlreadySharing
	}
	var err error
	var t *localTrack
	if derr := s.negotiate(func(neg *negotiator) {
		if s.screenTrack() != nil {
			src.Close()
			err = ErrAlreadySharing
			return
		}
		t, err = s.newVideoTrackAs(neg, src, ScreenTrackID, ScreenStreamID, media.ScreenFPS)
	}); derr != nil {
		src.Close()
		return derr
	}
	if err == nil {
		// Its encoder starts with a keyframe; the camera's share of the
		// estimate shrinks now.
		s.setBitrateAgain()
		s.goRun(func() { s.watchScreen(t, failed) })
	}
	return err
}

// watchScreen waits for the send loop of the screen's track t to end;
// when it ended because its source failed, it stops sending the track as
// StopScreen would and tells failed why.
func (s *Session) watchScreen(t *localTrack, failed func(error)) {
	select {
	case <-s.ctx.Done():
		return
	case <-t.done:
	}
	err := t.video.Stats().SourceFailed
	if err == nil || s.ctx.Err() != nil || s.screenTrack() != t {
		return // stopped on purpose, or the call ended
	}
	s.log.Warn("the shared screen can no longer be read: sharing stops", "err", err)
	if rerr := s.removeTrack(t); rerr != nil {
		s.log.Debug("stopping the failed screen", "err", rerr)
	}
	s.setBitrateAgain()
	if failed != nil {
		failed(err)
	}
}

// StopScreen stops sending the shared screen and renegotiates in band.
func (s *Session) StopScreen() error {
	t := s.screenTrack()
	if t == nil {
		return ErrNotSharing
	}
	err := s.removeTrack(t)
	s.setBitrateAgain()
	return err
}

// SharingScreen reports whether this side is sharing a screen.
func (s *Session) SharingScreen() bool { return s.screenTrack() != nil }

// screenTrack is the shared screen's track, or nil.
func (s *Session) screenTrack() *localTrack {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	for _, t := range s.media.local {
		if t.track != nil && t.track.StreamID() == ScreenStreamID && t.Kind == "video" {
			return t
		}
	}
	return nil
}

// setBitrateAgain shares the last bandwidth estimate among the video
// senders there are now.
func (s *Session) setBitrateAgain() {
	if bps := s.lastEstimate(); bps > 0 {
		s.media.setTargetBitrate(bps)
	}
}

// isScreen tells a shared screen from a camera.
func isScreen(track *webrtc.TrackRemote) bool {
	return track.Kind() == webrtc.RTPCodecTypeVideo && track.StreamID() == ScreenStreamID
}

// videoSinkFor is where the pictures of a remote video track go.
func (s *Session) videoSinkFor(track *webrtc.TrackRemote) media.VideoSink {
	if isScreen(track) && s.cfg.ScreenSink != nil {
		return s.cfg.ScreenSink
	}
	return s.cfg.VideoSink
}

// ScreenWatcher is a Config.ScreenSink that is told when the other side
// starts (true) and stops (false) sharing a screen. ScreenShared is called
// on a goroutine of the session's and must not block.
type ScreenWatcher interface {
	media.VideoSink
	ScreenShared(sharing bool)
}

// remoteScreen tells the front-end that a screen arrived, when track is
// one, and returns what tells it that the screen went.
func (s *Session) remoteScreen(track *webrtc.TrackRemote) (ended func()) {
	w, ok := s.cfg.ScreenSink.(ScreenWatcher)
	if !isScreen(track) || !ok {
		return func() {}
	}
	w.ScreenShared(true)
	return func() { w.ScreenShared(false) }
}

// lastEstimate is congestion control's current estimate, 0 before it has
// one.
func (s *Session) lastEstimate() int {
	s.mu.Lock()
	e := s.estimator
	s.mu.Unlock()
	if e == nil {
		return 0
	}
	return e.GetTargetBitrate()
}
