package media

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"peercall/media/vp8"
)

// SampleWriter sends one encoded frame that lasts duration.
type SampleWriter func(frame []byte, duration time.Duration) error

// BitrateRange is the span the encoder's target bitrate is kept in,
// whatever congestion control estimates, for pictures of the given size.
func BitrateRange(width, height, fps int) (minBps, maxBps int) {
	// About 0.08 bit a pixel at full rate is VP8's sweet spot for a talking
	// head; below a tenth of that the picture turns to mush.
	maxBps = int(float64(width*height*fps) * 0.08)
	maxBps = max(maxBps, 300_000)
	minBps = max(maxBps/10, 60_000)
	return minBps, maxBps
}

// SenderStats is what the send loop has done so far.
type SenderStats struct {
	FramesSent   uint64
	Keyframes    uint64
	BytesSent    uint64
	EncodeTotal  time.Duration
	TargetBps    int
	Width        int
	Height       int
	WriteErrors  uint64
	SourceName   string
	SourceFailed error
}

// VideoSender reads a source, encodes each picture with VP8 at the rate
// congestion control allows, and writes the frames out.
type VideoSender struct {
	src   VideoSource
	fps   int
	write SampleWriter

	wantKey   atomic.Bool
	targetBps atomic.Int64
	preview   atomic.Pointer[VideoSink]

	mu    sync.Mutex
	stats SenderStats
}

// NewVideoSender prepares a send loop; Run starts it.
func NewVideoSender(src VideoSource, fps int, write SampleWriter) *VideoSender {
	s := &VideoSender{src: src, fps: fps, write: write}
	s.stats.SourceName = src.Name()
	return s
}

// SetPreview shows every picture that is sent in sink as well (the
// self-view); nil stops it. The sink is called on the send goroutine.
func (s *VideoSender) SetPreview(sink VideoSink) {
	if sink == nil {
		s.preview.Store(nil)
		return
	}
	s.preview.Store(&sink)
}

// RequestKeyframe makes the next frame a keyframe (the peer asked with a
// PLI or FIR). Safe from any goroutine.
func (s *VideoSender) RequestKeyframe() { s.wantKey.Store(true) }

// SetTargetBitrate passes congestion control's estimate; the encoder picks
// it up on its next frame. Safe from any goroutine.
func (s *VideoSender) SetTargetBitrate(bps int) { s.targetBps.Store(int64(bps)) }

// Stats returns a snapshot; safe from any goroutine.
func (s *VideoSender) Stats() SenderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Run sends until ctx ends or the source fails. It closes nothing it was
// given; the encoder it makes is released before it returns.
func (s *VideoSender) Run(ctx context.Context) error {
	var (
		enc        *vp8.Encoder
		encW, encH int
		appliedBps int
		last       time.Time
	)
	defer func() {
		if enc != nil {
			enc.Close()
		}
	}()
	frameTime := time.Second / time.Duration(s.fps)
	for {
		img, captured, err := s.src.ReadFrame(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errEOF) {
				return nil
			}
			s.mu.Lock()
			s.stats.SourceFailed = err
			s.mu.Unlock()
			return err
		}
		w, h := img.Rect.Dx(), img.Rect.Dy()
		minBps, maxBps := BitrateRange(w, h, s.fps)
		target := int(s.targetBps.Load())
		if target == 0 {
			target = maxBps * 6 / 10
		}
		target = min(max(target, minBps), maxBps)
		if enc == nil || w != encW || h != encH {
			if enc != nil {
				enc.Close()
			}
			enc, err = vp8.NewEncoder(vp8.EncoderConfig{Width: w, Height: h, FPS: s.fps, BitrateKbps: target / 1000})
			if err != nil {
				return err
			}
			encW, encH, appliedBps = w, h, target
			s.wantKey.Store(true)
		}
		if diff := target - appliedBps; diff > appliedBps/20 || -diff > appliedBps/20 {
			if err := enc.SetBitrate(target / 1000); err == nil {
				appliedBps = target
			}
		}
		start := time.Now()
		frame, key, err := enc.Encode(img, s.wantKey.Swap(false))
		took := time.Since(start)
		if err != nil {
			return err
		}
		if p := s.preview.Load(); p != nil {
			(*p).WriteFrame(img)
		}
		duration := frameTime
		if !last.IsZero() {
			duration = captured.Sub(last)
		}
		last = captured
		if len(frame) > 0 {
			if err := s.write(frame, duration); err != nil {
				// A frame that could not leave is lost like one dropped on
				// the network; the peer's keyframe request repairs it.
				s.mu.Lock()
				s.stats.WriteErrors++
				s.mu.Unlock()
			}
		}
		s.mu.Lock()
		s.stats.EncodeTotal += took
		s.stats.TargetBps = appliedBps
		s.stats.Width, s.stats.Height = w, h
		if len(frame) > 0 {
			s.stats.FramesSent++
			s.stats.BytesSent += uint64(len(frame))
			if key {
				s.stats.Keyframes++
			}
		}
		s.mu.Unlock()
	}
}
