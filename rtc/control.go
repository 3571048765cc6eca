package rtc

import "encoding/json"

// maxControlBytes bounds one control message.
const maxControlBytes = 4 << 10

// Control message types. docs/PROTOCOL.md describes each.
const (
	controlHangup = "hangup"
)

// controlMessage is one JSON object on the control channel. Unknown types
// and fields are ignored, so newer peers can add both.
type controlMessage struct {
	Type string `json:"type"`
}

func (s *Session) onControl(data []byte) {
	if len(data) > maxControlBytes {
		s.log.Warn("control message too large, dropped", "bytes", len(data))
		return
	}
	var m controlMessage
	if err := json.Unmarshal(data, &m); err != nil {
		s.log.Warn("unreadable control message", "err", err)
		return
	}
	switch m.Type {
	case controlHangup:
		s.end(ErrPeerHungUp)
	default:
		s.log.Debug("unknown control message", "type", m.Type)
	}
}
