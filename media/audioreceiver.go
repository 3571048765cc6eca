package media

import (
	"time"

	"github.com/pion/rtp"

	"peercall/media/playout"
)

// AudioReceiver is the receive path of one remote audio track: a jitter
// buffer with Opus decoding, loss concealment and FEC. Push is called from
// the track's reader; Pull from the output.
type AudioReceiver struct {
	play *playout.Playout
}

// NewAudioReceiver makes a receiver for a mono or stereo Opus stream.
func NewAudioReceiver() (*AudioReceiver, error) {
	p, err := playout.New(playout.Config{Channels: 1})
	if err != nil {
		return nil, err
	}
	return &AudioReceiver{play: p}, nil
}

// Push takes one RTP packet.
func (a *AudioReceiver) Push(pkt *rtp.Packet) { a.play.Push(pkt, time.Now()) }

// Close releases the decoder.
func (a *AudioReceiver) Close() error { return a.play.Close() }
