package rtc

import (
	"encoding/json"
	"time"

	"github.com/pion/webrtc/v4"
)

// waitSent waits, up to d, for what the channel holds to be handed to the
// transport, and a moment more for it to leave.
func waitSent(dc *webrtc.DataChannel, d time.Duration) {
	deadline := time.Now().Add(d)
	for dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}

// maxControlBytes bounds one control message; messages.go says why.
const maxControlBytes = 4 << 10

// Control message types. docs/PROTOCOL.md describes each.
const (
	controlHangup = "hangup"
	controlBye    = "bye"
	controlMedia  = "media"
)

// controlMessage is one JSON object on the control channel. Unknown types
// and fields are ignored, so newer peers can add both.
type controlMessage struct {
	Type string `json:"type"`
	// For "media": whether the sender's microphone and camera are live.
	Audio *bool `json:"audio,omitempty"`
	Video *bool `json:"video,omitempty"`
}

// PeerMedia is what the other side says of its microphone and camera.
type PeerMedia struct {
	Known      bool // false until the peer has said anything
	AudioMuted bool // microphone muted or missing
	CameraOff  bool // camera off or missing
}

// PeerMedia returns the other side's last word on its microphone and camera.
func (s *Session) PeerMedia() PeerMedia {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerMedia
}

// SetLocalMedia tells the other side whether this side's microphone and
// camera are live. It does not change what is sent: SetMuted silences the
// microphone, and a camera is turned off at the video source the session
// was given (media.SwitchSource sends its "camera off" picture then).
func (s *Session) SetLocalMedia(audio, video bool) {
	s.mu.Lock()
	s.localMedia = controlMessage{Type: controlMedia, Audio: &audio, Video: &video}
	s.mu.Unlock()
	s.sendMediaState()
}

func (s *Session) sendMediaState() {
	s.mu.Lock()
	m, control := s.localMedia, s.control
	s.mu.Unlock()
	if m.Type == "" || control == nil || control.ReadyState() != webrtc.DataChannelStateOpen {
		return
	}
	if data, err := json.Marshal(m); err == nil {
		_ = control.SendText(string(data))
	}
}

func (s *Session) onControl(data []byte) {
	m, err := parseControl(data)
	if err != nil {
		s.controlRefused.note(s.log, ControlLabel, err, len(data))
		return
	}
	s.applyControl(m)
}

// applyControl acts on one control message parseControl accepted.
func (s *Session) applyControl(m controlMessage) {
	switch m.Type {
	case controlHangup:
		// Say the hang-up arrived, so the side hanging up may close now
		// rather than wait; then end, once "bye" has left (pion's
		// callback must not block: on a goroutine of the call's).
		s.mu.Lock()
		control := s.control
		s.peerHungUp = true
		// The other side closes its end once "bye" is sent (or it gives
		// up waiting): this connection's parts complain as they go.
		if s.pionLogs != nil {
			s.pionLogs.closed()
		}
		s.mu.Unlock()
		s.goRun(func() {
			if control != nil && control.ReadyState() == webrtc.DataChannelStateOpen {
				if data, err := json.Marshal(controlMessage{Type: controlBye}); err == nil && control.SendText(string(data)) == nil {
					waitSent(control, 200*time.Millisecond)
				}
			}
			s.end(ErrPeerHungUp)
		})
	case controlBye:
		s.byeOnce.Do(func() { close(s.bye) })
	case controlMedia:
		s.mu.Lock()
		s.peerMedia.Known = true
		if m.Audio != nil {
			s.peerMedia.AudioMuted = !*m.Audio
		}
		if m.Video != nil {
			s.peerMedia.CameraOff = !*m.Video
		}
		s.mu.Unlock()
		s.notify()
	default:
		s.log.Debug("unknown control message", "type", m.Type)
	}
}
