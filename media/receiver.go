package media

import (
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"peercall/media/pattern"
	"peercall/media/vp8"
)

// keyframeRequestInterval bounds how often the receiver asks for a keyframe
// while it cannot decode: one request per round trip is plenty.
const keyframeRequestInterval = 250 * time.Millisecond

// VideoSink receives decoded pictures. WriteFrame is called on the receive
// goroutine; img is only valid during the call, so a sink that keeps the
// picture converts or copies it, and one that is busy drops it: it must not
// block.
type VideoSink interface {
	WriteFrame(img *image.YCbCr)
}

// VideoReceiver is the receive pipeline of one remote video track: RTP
// packets in, VP8 frames assembled and decoded, pictures out to a sink.
// Push is called from a single goroutine (the track's reader).
type VideoReceiver struct {
	asm             frameAssembler
	dec             *vp8.Decoder
	sink            VideoSink
	requestKeyframe func()
	lastKeyRequest  time.Time
	latency         latencyTracker

	mu          sync.Mutex
	stats       VideoStats
	lastFrameAt time.Time

	decoded atomic.Uint64
}

// NewVideoReceiver makes a receiver that hands pictures to sink (nil: count
// only) and calls requestKeyframe (from Push's goroutine) when decoding
// cannot go on without one.
func NewVideoReceiver(sink VideoSink, requestKeyframe func()) (*VideoReceiver, error) {
	dec, err := vp8.NewDecoder()
	if err != nil {
		return nil, err
	}
	return &VideoReceiver{dec: dec, sink: sink, requestKeyframe: requestKeyframe}, nil
}

// Push takes one RTP packet and decodes every frame it completes.
func (r *VideoReceiver) Push(pkt *rtp.Packet) {
	now := time.Now()
	if err := r.asm.push(pkt, now); err != nil {
		return
	}
	for {
		frame, _ := r.asm.pop(now)
		if frame == nil {
			break
		}
		r.decode(frame)
	}
	if r.asm.takeKeyframeNeed() {
		r.askKeyframe(now)
	}
}

func (r *VideoReceiver) decode(frame []byte) {
	img, err := r.dec.Decode(frame)
	if err != nil || img == nil {
		r.mu.Lock()
		r.stats.FramesDropped++
		r.mu.Unlock()
		r.asm.resync()
		return
	}
	now := time.Now()
	if stamp, ok := pattern.ReadStamp(img); ok {
		if d := now.Sub(stamp); d >= 0 && d < time.Minute {
			r.latency.add(d)
		}
	}
	b := img.Rect
	r.mu.Lock()
	r.stats.FramesDecoded++
	r.stats.Width, r.stats.Height = b.Dx(), b.Dy()
	if r.stats.FirstFrameAt.IsZero() {
		r.stats.FirstFrameAt = now
	} else if gap := now.Sub(r.lastFrameAt); gap > r.stats.LongestFreeze {
		r.stats.LongestFreeze = gap
	}
	r.lastFrameAt = now
	r.mu.Unlock()
	r.decoded.Add(1)
	if r.sink != nil {
		r.sink.WriteFrame(img)
	}
}

func (r *VideoReceiver) askKeyframe(now time.Time) {
	if r.requestKeyframe == nil || now.Sub(r.lastKeyRequest) < keyframeRequestInterval {
		return
	}
	r.lastKeyRequest = now
	r.mu.Lock()
	r.stats.KeyframesAsked++
	r.mu.Unlock()
	r.requestKeyframe()
}

// Stats returns a snapshot; safe from any goroutine.
func (r *VideoReceiver) Stats() VideoStats {
	r.mu.Lock()
	s := r.stats
	r.mu.Unlock()
	s.LatencyP50, s.LatencyP95, s.LatencySamples = r.latency.percentiles()
	return s
}

// Close releases the decoder. Call it after the last Push.
func (r *VideoReceiver) Close() error {
	return r.dec.Close()
}
