package rtc

import (
	"log/slog"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"

	"peercall/media"
)

// Defaults filled in by New when the Config leaves them zero.
const (
	DefaultGatherTimeout = 2 * time.Second
	DefaultLostAfter     = 10 * time.Second
	DefaultFPS           = 30
	// DefaultReplyWait is how long a joiner keeps its side of the
	// connection open for the inviter to paste the reply.
	DefaultReplyWait = 15 * time.Minute
	// DefaultResumeWait is how long a lost call waits for new codes.
	DefaultResumeWait = 15 * time.Minute
)

// Config sets up a Session. Zero fields take the defaults above.
type Config struct {
	// ICEServers are the STUN and TURN servers used to gather candidates.
	ICEServers []webrtc.ICEServer
	// Net replaces the operating system's network, for tests on pion's
	// virtual network. Nil means the real one.
	Net transport.Net
	// Interfaces, when set, limits host candidates to the network
	// interfaces of these names (for example "lo" for a call between two
	// apps on one machine).
	Interfaces []string
	// Logger receives the session's logs. Nil discards them.
	Logger *slog.Logger

	// GatherTimeout bounds the wait for candidates before a code is made,
	// so an unreachable STUN server cannot hold it back.
	GatherTimeout time.Duration
	// LostAfter is how long a call may stay disconnected before it ends
	// with ErrConnectionLost.
	LostAfter time.Duration
	// ReplyWait is how long the joiner's side waits for the inviter to
	// apply the reply before giving up.
	ReplyWait time.Duration
	// Resumable keeps a call whose connection was lost for LostAfter
	// open, in StateLost, for ResumeWait: a new pair of codes made with
	// Resume and Rejoin then resumes it. Without it the call ends with
	// ErrConnectionLost.
	Resumable bool
	// ResumeWait is how long a lost call waits for new codes before it
	// ends.
	ResumeWait time.Duration

	// Video is the local picture source; nil sends no video. The session
	// closes it when the call ends.
	Video media.VideoSource
	// FPS is the frame rate the encoder is tuned for.
	FPS int
	// Audio is the local sound (microphone or tone); nil sends none. The
	// session closes it when the call ends.
	Audio media.AudioInput
	// Speaker receives the remote sound for an output to pull; nil: the
	// session keeps one of its own, for statistics only.
	Speaker *media.Speaker
	// VideoSink receives decoded remote pictures; nil only counts them.
	VideoSink media.VideoSink
	// SelfView receives every picture of Video that is sent; nil: none.
	SelfView media.VideoSink
	// ScreenSink receives the pictures of a screen the other side shares
	// (a video track of stream id ScreenStreamID); nil: VideoSink does.
	// When it is a ScreenWatcher it is also told when sharing starts and
	// stops.
	ScreenSink media.VideoSink
}

func (c *Config) fillDefaults() {
	if c.GatherTimeout <= 0 {
		c.GatherTimeout = DefaultGatherTimeout
	}
	if c.LostAfter <= 0 {
		c.LostAfter = DefaultLostAfter
	}
	if c.ReplyWait <= 0 {
		c.ReplyWait = DefaultReplyWait
	}
	if c.ResumeWait <= 0 {
		c.ResumeWait = DefaultResumeWait
	}
	if c.FPS <= 0 {
		c.FPS = DefaultFPS
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
