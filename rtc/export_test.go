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

// OfferRaw registers a file offer with the given id as this session's own
// and sends text as it is on the file channel, so tests can play a sender
// that offers what it likes and read the answer with the Transfer's Err.
func OfferRaw(s *Session, id uint32, text string) (*Transfer, error) {
	f := s.fileState()
	t := s.newTransfer(id, "raw", 0, false)
	f.mu.Lock()
	f.out[id] = t
	f.mu.Unlock()
	dc := f.channel()
	if dc == nil {
		return nil, webrtc.ErrConnectionClosed
	}
	return t, dc.SendText(text)
}

// FileRefused returns how many messages the session refused on the file
// channel.
func FileRefused(s *Session) int { return s.fileState().refused.total() }

// sendJSONRaw sends text as it is on the file channel.
func (f *fileState) sendJSONRaw(text string) error {
	dc := f.channel()
	if dc == nil {
		return webrtc.ErrConnectionClosed
	}
	return dc.SendText(text)
}

func (t *Transfer) isAccepted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.accepted
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
