package media

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"peercall/media/motion"
	"peercall/media/vp8"
	"peercall/media/yuv"
)

// SampleWriter sends one encoded frame that lasts duration.
type SampleWriter func(frame []byte, duration time.Duration) error

// BitrateRange is the span the encoder's target bitrate is kept in,
// whatever congestion control estimates, for pictures of the given size
// and frame rate.
//
// The ceiling is what a browser allows VP8 for the size (1.7 Mbit/s at
// 640×480, 2.5 Mbit/s at 720p and above), scaled down for a lower frame
// rate: a good link is used for a better picture, detailed content
// gains ~3 dB PSNR between 0.08 and 0.18 bit a pixel. The floor is a
// tenth of the nominal rate (see nominalBps), below which the picture
// turns to mush.
func BitrateRange(width, height, fps int) (minBps, maxBps int) {
	switch px := width * height; {
	case px <= 320*240:
		maxBps = 600_000
	case px <= 640*480:
		maxBps = 1_700_000
	case px <= 960*540:
		maxBps = 2_000_000
	default:
		maxBps = 2_500_000
	}
	if fps < 30 {
		maxBps = maxBps * max(fps, 1) / 30
	}
	minBps = max(int(nominalBps(width, height, float64(fps))/10), 60_000)
	return minBps, max(maxBps, minBps)
}

// The sender's ladder: when congestion control's estimate cannot carry the
// picture at a useful quality, the sender sends fewer pixels (and then fewer
// frames) rather than a picture that freezes or turns to mush; when the
// estimate recovers, it climbs back.
type sendLevel struct {
	quarters int // width and height, in quarters of the source's
	every    int // encode one source frame in every
}

var ladder = []sendLevel{{4, 1}, {3, 1}, {2, 1}, {2, 2}, {1, 2}}

const (
	// A level is left for the one below when the estimate stays under
	// stepDownShare of its nominal rate (see nominalBps) for stepDownAfter.
	stepDownShare = 0.3
	stepDownAfter = time.Second
	// The level above is taken back when the estimate stays over
	// stepUpShare of that level's nominal rate for stepUpAfter.
	stepUpShare = 0.6
	stepUpAfter = 3 * time.Second
)

// nominalBps is the rate at which a picture of the given size and frame
// rate looks good: 0.08 bit a pixel, VP8's sweet spot for a talking head.
// The ladder steps by it; the encoder may be given more (BitrateRange).
func nominalBps(width, height int, fps float64) float64 {
	return float64(width*height) * fps * 0.08
}

// levelSize is the picture size sent at level l for a w×h source: even,
// and never below 64 pixels wide or tall.
func levelSize(w, h int, l sendLevel) (int, int) {
	sw, sh := w*l.quarters/4&^1, h*l.quarters/4&^1
	if sw < 64 || sh < 64 {
		return w &^ 1, h &^ 1
	}
	return sw, sh
}

// ladderClimber decides the sender's level from the bandwidth estimate.
type ladderClimber struct {
	level int
	below time.Time // since when the estimate is under the step-down mark
	above time.Time // since when it is over the step-up mark
}

// update takes the estimate for the frame captured at now, for a w×h
// source at fps, and returns the level to send at.
func (c *ladderClimber) update(targetBps int, w, h, fps int, now time.Time) int {
	rate := func(i int) float64 {
		l := ladder[i]
		lw, lh := levelSize(w, h, l)
		return nominalBps(lw, lh, float64(fps)/float64(l.every))
	}
	t := float64(targetBps)
	if c.level < len(ladder)-1 && t < stepDownShare*rate(c.level) {
		if c.below.IsZero() {
			c.below = now
		}
		if now.Sub(c.below) >= stepDownAfter {
			c.level++
			c.below, c.above = time.Time{}, time.Time{}
			return c.level
		}
	} else {
		c.below = time.Time{}
	}
	if c.level > 0 && t > stepUpShare*rate(c.level-1) {
		if c.above.IsZero() {
			c.above = now
		}
		if now.Sub(c.above) >= stepUpAfter {
			c.level--
			c.below, c.above = time.Time{}, time.Time{}
		}
	} else {
		c.above = time.Time{}
	}
	return c.level
}

// SenderStats is what the send loop has done so far.
type SenderStats struct {
	FramesSent   uint64
	Keyframes    uint64
	BytesSent    uint64
	EncodeTotal  time.Duration
	TargetBps    int
	Width        int // size being sent (smaller than the source's when stepped down)
	Height       int
	FPS          float64 // frame rate being sent
	Level        int     // step on the ladder: 0 is the source's full size and rate
	Denoise      int     // the encoder's denoiser level (vp8.EncoderConfig.Denoise)
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

// cameraDenoise is the VP8 denoiser level for pictures from a still camera
// (or a clip standing for one): luma and chroma (vp8.EncoderConfig.Denoise).
// Measured on a photograph filmed with sensor noise (BenchmarkDenoiser in
// media/vp8, figures in BENCHMARKS.md), it brings the picture 2.8–3.9 dB
// closer to the scene on a still camera, at 800 and 1700 kbit/s, and
// spends fewer bits doing so; on a camera that pans and zooms over the
// whole picture it costs 1.0–1.5 dB, so it is off while media/motion says
// the camera moves. Generated pictures (the test pattern, the camera-off
// picture) have no noise to remove and keep every detail without it.
const cameraDenoise = 2

// denoiseLevel is the denoiser level for pictures from the source named.
func denoiseLevel(source string) int {
	switch source {
	case "camera", "clip":
		return cameraDenoise
	}
	return 0
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
		climber    ladderClimber
		scaler     yuv.Scaler
		frameNo    int
		denoise    int // the encoder's denoiser level
		motion     = motion.New()
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
		srcW, srcH := img.Rect.Dx(), img.Rect.Dy()
		target := int(s.targetBps.Load())
		level := ladder[0]
		if target > 0 {
			if enc == nil && s.src.Name() == screenSourceName {
				climber.startLevel(target, srcW, srcH, s.fps)
			}
			level = ladder[climber.update(target, srcW, srcH, s.fps, captured)]
		}
		frameNo++
		if level.every > 1 && frameNo%level.every != 0 {
			// Stepped down in frame rate: this one is not sent, but the
			// self-view still shows it.
			if p := s.preview.Load(); p != nil {
				(*p).WriteFrame(img)
			}
			continue
		}
		w, h := levelSize(srcW, srcH, level)
		sendImg := img
		if w != srcW || h != srcH {
			if sendImg, err = scaler.Scale(img, w, h); err != nil {
				return err
			}
		}
		fps := s.fps / level.every
		minBps, maxBps := bitrateRangeFor(s.src.Name(), w, h, fps)
		if target == 0 {
			// Before the first estimate: what congestion control starts
			// from.
			target = min(maxBps*6/10, 800_000)
		}
		target = min(max(target, minBps), maxBps)
		wantDenoise := denoiseLevel(s.src.Name())
		if wantDenoise > 0 && motion.Add(img) {
			wantDenoise = 0 // the camera moves: the denoiser would smear it
		}
		if enc == nil || w != encW || h != encH || enc.Config().FPS != fps {
			if enc != nil {
				enc.Close()
			}
			enc, err = vp8.NewEncoder(vp8.EncoderConfig{Width: w, Height: h, FPS: fps, BitrateKbps: target / 1000, Denoise: wantDenoise,
				ScreenContent: s.src.Name() == screenSourceName})
			if err != nil {
				return err
			}
			encW, encH, appliedBps, denoise = w, h, target, wantDenoise
			s.wantKey.Store(true)
		}
		if wantDenoise != denoise {
			if err := enc.SetDenoise(wantDenoise); err == nil {
				denoise = wantDenoise
			}
		}
		if diff := target - appliedBps; diff > appliedBps/20 || -diff > appliedBps/20 {
			if err := enc.SetBitrate(target / 1000); err == nil {
				appliedBps = target
			}
		}
		start := time.Now()
		frame, key, err := enc.Encode(sendImg, s.wantKey.Swap(false))
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
		s.stats.FPS = float64(s.fps) / float64(level.every)
		s.stats.Level = climber.level
		s.stats.Denoise = denoise
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
