package rtc

import (
	"github.com/pion/webrtc/v4"
)

// SendRaw sends data as one text message on the session's signal or
// control channel, bypassing everything that would build it, so tests can
// play a peer that sends what it likes.
func SendRaw(s *Session, label string, data []byte) error {
	s.mu.Lock()
	neg, control := s.neg, s.control
	s.mu.Unlock()
	switch label {
	case SignalLabel:
		return neg.send(data)
	case ControlLabel:
		return control.SendText(string(data))
	}
	return webrtc.ErrUnknownType
}

// Refused returns how many messages the session refused on the signal or
// control channel.
func Refused(s *Session, label string) int {
	s.mu.Lock()
	neg := s.neg
	s.mu.Unlock()
	if label == SignalLabel {
		return neg.refused.total()
	}
	return s.controlRefused.total()
}
