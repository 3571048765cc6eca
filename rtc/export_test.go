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

// SendChatRaw sends data on the session's chat channel as it is: as a
// text message, or as a binary one.
func SendChatRaw(s *Session, data []byte, binary bool) error {
	s.chat.mu.Lock()
	dc := s.chat.dc
	s.chat.mu.Unlock()
	if binary {
		return dc.Send(data)
	}
	return dc.SendText(string(data))
}

// ChatRefused returns how many messages the session refused on the chat
// channel.
func ChatRefused(s *Session) int { return s.chat.refused.total() }
