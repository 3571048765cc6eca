package vp8

/*
#include "vpxglue.h"
*/
import "C"

import (
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// EncoderConfig describes the video an Encoder produces. Zero fields take
// defaults suited to a two-person call on the local machine.
type EncoderConfig struct {
	// Width and Height are the picture size in pixels; both must be even
	// (4:2:0 chroma) and at most 16382.
	Width, Height int
	// FPS is the nominal frame rate the rate controller budgets for;
	// 0 means 30.
	FPS int
	// BitrateKbps is the target bitrate; 0 picks one from the picture size
	// (about 1000 kbit/s at 640×480, 2000 at 1280×720).
	BitrateKbps int
	// Threads is the number of libvpx encoder threads; 0 picks from the
	// picture size and runtime.NumCPU (one thread on machines with fewer
	// than 4 cores, where libvpx's threads slow each other down). Pictures
	// of 1280×720 and more are also cut into 2 or 4 VP8 token partitions so
	// that the peer can decode them on several threads.
	Threads int
	// CPUUsed is libvpx's VP8 speed control (VP8E_SET_CPUUSED) with its
	// real-time meaning: -n runs at the fixed speed n (1..16, higher is
	// faster and blurrier), +n lets libvpx adapt its speed so encoding takes
	// about (16-n)/16 of the frame interval. 0 picks DefaultCPUUsed.
	CPUUsed int
	// Denoise is libvpx's VP8 temporal denoiser (VP8E_SET_NOISE_SENSITIVITY):
	// 0 off, 1 luma only, 2 luma and chroma, 3 stronger, 4 adaptive (the
	// encoder judges the noise and picks). It smooths sensor noise on a
	// still camera so that bits go to the picture rather than the noise.
	Denoise int
	// ScreenContent tunes the encoder for a shared screen rather than a
	// camera: libvpx's screen-content mode (VP8E_SET_SCREEN_CONTENT_MODE),
	// a lower quantizer floor and ceiling so that text stays sharp, and a
	// static threshold that skips the blocks that did not change.
	ScreenContent bool
}

// DefaultCPUUsed is the speed used when EncoderConfig.CPUUsed is 0: fixed
// real-time speed 8, the best-looking of the fast speeds (it still searches
// quarter-pixel motion). Single-threaded on a 2-core machine it encodes
// 640×480 in about 1.7 ms and 1280×720 in about 5 ms; speeds above 10 gain
// little time and speeds below 6 cost up to twice as much. A fixed speed is
// preferred to libvpx's adaptive mode, which follows the measured encode
// time and so swings with the machine's load.
const DefaultCPUUsed = -8

// Settings shared by every Peercall encoder.
const (
	keyframeMaxDistance = 3000 // frames; in practice keyframes are requested
	minQuantizer        = 2
	maxQuantizer        = 56
	bufferInitialMs     = 500
	bufferOptimalMs     = 600
	bufferSizeMs        = 1000
	undershootPct       = 100
	overshootPct        = 15
	dropFrameThreshold  = 30 // % of the optimal buffer level
	staticThreshold     = 1
	maxDimension        = 16382
	minBitrateKbps      = 30
	maxBitrateKbps      = 100000
	maxDenoise          = 6 // libvpx's highest VP8 noise sensitivity

	// For ScreenContent. libvpx's screen-content mode 1 (2 would also drop
	// frames on its own). A quantizer floor of 0 lets a still page be
	// refined until it is exact. The ceiling is what keeps 12-point text
	// readable: a page whose every line changed is sent at 40 or better,
	// so the rate controller spends more on it, or drops a frame, rather
	// than blur it; and since a still page costs next to nothing, the
	// bigger buffer lets that burst be paid back over three seconds
	// instead of one. Measured on a 1920×1080 page of 12-point text at
	// 15 fps and 1500 kbit/s (TestScreenContentKeepsTextSharp), one second
	// after every line changed: 31.9 dB, against 28.0 dB with a ceiling of
	// 48 and 24.6 dB with the camera's tuning. The static threshold is the
	// difference under which a block is left as it was (libvpx's camera
	// value is 1), so an unchanged screen is not re-sent.
	//
	// The buffer starts full (a camera's starts half full): the share's
	// first page is a keyframe of a whole screen, and a second page soon
	// after it would otherwise wait, dropped, until that keyframe was paid
	// back. Simulated at 15 fps on 1920×1080 pages of text (3.4 Mbit
	// each at the quantizer ceiling), a page that changes as soon as the
	// first was shown becomes readable after 200 ms at 1200 kbit/s
	// (2.3 s at 700), against 1.27 s (3.1 s) with the buffer half full.
	// A still screen fills the buffer anyway: the most the encoder can
	// send at once stays one buffer's worth.
	screenContentMode     = 1
	screenMinQuantizer    = 0
	screenMaxQuantizer    = 40
	screenStaticThreshold = 100
	screenBufferMs        = 3000
	screenDropThreshold   = 30
)

// Encoder turns 4:2:0 pictures into VP8 frames. Create it with NewEncoder.
type Encoder struct {
	mu      sync.Mutex // serialises Encode and Close
	c       *C.pc_enc  // nil once closed
	cleanup runtime.Cleanup
	cfg     EncoderConfig
	applied int          // bitrate libvpx currently targets
	want    atomic.Int64 // bitrate asked for by SetBitrate
	closed  atomic.Bool
	out     []byte // last frame, reused
}

// DefaultBitrateKbps is the target NewEncoder uses for a width×height
// picture when EncoderConfig.BitrateKbps is 0.
func DefaultBitrateKbps(width, height int) int {
	// Bits needed grow more slowly than the pixel count: scale from
	// 1000 kbit/s at 640×480 so that 1280×720 gets about 2000.
	px := float64(width*height) / (640 * 480)
	kbps := int(math.Round(1000 * math.Pow(px, 0.63)))
	return min(max(kbps, 100), 8000)
}

// defaultThreads picks encoder threads for a picture size on this machine.
//
// libvpx's VP8 threads wait for each other by spinning, so when they share
// cores with the call's decoder and the rest of the app, a frame can take
// ten to a hundred times longer (measured on a 2-core machine: 640×480
// with 2 threads and a decoder running, p95 15–40 ms against 2 ms with one
// thread). One thread is fast enough for 720p on a small machine; extra
// threads are used only for large pictures on machines with cores to spare.
func defaultThreads(width, height int) int {
	cpus := runtime.NumCPU()
	px := width * height
	switch {
	case px >= 1920*1080 && cpus >= 8:
		return 4
	case px >= 1280*720 && cpus >= 4:
		return 2
	default:
		return 1
	}
}

// tokenPartitionsLog2 picks how many token partitions (as the log2 libvpx
// expects) a frame of this size is cut into. Partitions only let the
// peer's decoder work on several macroblock rows at once and cost a little
// quality (about 0.2 dB at 640×480), so they are used for large pictures
// only, independently of this side's thread count.
func tokenPartitionsLog2(width, height int) int {
	px := width * height
	switch {
	case px >= 1920*1080:
		return 2 // 4 partitions
	case px >= 1280*720:
		return 1 // 2 partitions
	default:
		return 0
	}
}

// NewEncoder opens a real-time VP8 encoder for cfg.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxDimension || cfg.Height > maxDimension {
		return nil, fmt.Errorf("vp8: invalid picture size %d×%d", cfg.Width, cfg.Height)
	}
	if cfg.Width%2 != 0 || cfg.Height%2 != 0 {
		return nil, fmt.Errorf("vp8: picture size %d×%d is odd; width and height must be even for 4:2:0 video", cfg.Width, cfg.Height)
	}
	if cfg.FPS == 0 {
		cfg.FPS = 30
	}
	if cfg.FPS < 1 || cfg.FPS > 240 {
		return nil, fmt.Errorf("vp8: invalid frame rate %d", cfg.FPS)
	}
	if cfg.BitrateKbps == 0 {
		cfg.BitrateKbps = DefaultBitrateKbps(cfg.Width, cfg.Height)
	}
	if cfg.BitrateKbps < minBitrateKbps || cfg.BitrateKbps > maxBitrateKbps {
		return nil, fmt.Errorf("vp8: bitrate %d kbit/s out of range [%d, %d]", cfg.BitrateKbps, minBitrateKbps, maxBitrateKbps)
	}
	if cfg.Threads == 0 {
		cfg.Threads = defaultThreads(cfg.Width, cfg.Height)
	}
	if cfg.Threads < 1 || cfg.Threads > 64 {
		return nil, fmt.Errorf("vp8: invalid thread count %d", cfg.Threads)
	}
	if cfg.CPUUsed == 0 {
		cfg.CPUUsed = DefaultCPUUsed
	}
	if cfg.CPUUsed < -16 || cfg.CPUUsed > 16 {
		return nil, fmt.Errorf("vp8: cpu-used %d out of range [-16, 16]", cfg.CPUUsed)
	}
	if cfg.Denoise < 0 || cfg.Denoise > maxDenoise {
		return nil, fmt.Errorf("vp8: denoiser level %d out of range [0, %d]", cfg.Denoise, maxDenoise)
	}

	var code C.vpx_codec_err_t
	c := C.pc_enc_new(&code)
	if c == nil {
		return nil, vpxError("default configuration", code, nil)
	}
	vc := &c.cfg
	vc.g_w = C.uint(cfg.Width)
	vc.g_h = C.uint(cfg.Height)
	vc.g_timebase.num = 1
	vc.g_timebase.den = C.int(cfg.FPS)
	vc.g_threads = C.uint(cfg.Threads)
	vc.g_profile = 0
	vc.g_pass = C.VPX_RC_ONE_PASS
	vc.g_lag_in_frames = 0
	vc.g_error_resilient = C.VPX_ERROR_RESILIENT_DEFAULT
	vc.rc_end_usage = C.VPX_CBR
	vc.rc_target_bitrate = C.uint(cfg.BitrateKbps)
	vc.rc_min_quantizer = minQuantizer
	vc.rc_max_quantizer = maxQuantizer
	vc.rc_undershoot_pct = undershootPct
	vc.rc_overshoot_pct = overshootPct
	vc.rc_buf_initial_sz = bufferInitialMs
	vc.rc_buf_optimal_sz = bufferOptimalMs
	vc.rc_buf_sz = bufferSizeMs
	vc.rc_dropframe_thresh = dropFrameThreshold
	vc.rc_resize_allowed = 0
	vc.kf_mode = C.VPX_KF_AUTO
	vc.kf_min_dist = 0
	vc.kf_max_dist = keyframeMaxDistance

	tuning := C.pc_enc_tuning{
		cpu_used:          C.int(cfg.CPUUsed),
		token_partitions:  C.int(tokenPartitionsLog2(cfg.Width, cfg.Height)),
		static_threshold:  staticThreshold,
		max_intra_pct:     C.uint(maxIntraBitratePct(cfg.FPS)),
		noise_sensitivity: C.uint(cfg.Denoise),
	}
	if cfg.ScreenContent {
		vc.rc_min_quantizer = screenMinQuantizer
		vc.rc_max_quantizer = screenMaxQuantizer
		tuning.static_threshold = screenStaticThreshold
		vc.rc_buf_initial_sz = screenBufferMs
		vc.rc_buf_optimal_sz = screenBufferMs * 6 / 10
		vc.rc_buf_sz = screenBufferMs
		vc.rc_dropframe_thresh = screenDropThreshold
		tuning.screen_content = screenContentMode
		// A changed page is worth a keyframe's worth of bits.
		tuning.max_intra_pct = 0
	}
	if code := C.pc_enc_open(c, &tuning); code != C.VPX_CODEC_OK {
		var detail *C.char
		if c.open != 0 {
			detail = C.pc_enc_error(c)
		}
		err := vpxError("open encoder", code, detail)
		C.pc_enc_free(c)
		return nil, err
	}

	e := &Encoder{c: c, cfg: cfg, applied: cfg.BitrateKbps}
	e.want.Store(int64(cfg.BitrateKbps))
	e.cleanup = runtime.AddCleanup(e, func(c *C.pc_enc) { C.pc_enc_free(c) }, c)
	return e, nil
}

// maxIntraBitratePct caps a keyframe at a few frame intervals' worth of
// bits (half the optimal buffer), so a forced keyframe does not flood the
// path; never below 3 frames' worth.
func maxIntraBitratePct(fps int) int {
	return max(300, bufferOptimalMs*fps/20)
}

// Config returns the encoder's configuration with defaults filled in; its
// BitrateKbps is the bitrate the encoder was opened with.
func (e *Encoder) Config() EncoderConfig {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Encode compresses one picture of exactly the configured size with 4:2:0
// chroma. The returned frame is a complete VP8 frame, valid until the next
// Encode or Close; it is empty when the rate controller drops the picture
// to stay within the bitrate. forceKeyframe makes this frame a keyframe.
// libvpx reads the picture's planes in place (no copy, any strides) during
// the call only, so the caller may reuse the picture as soon as it returns.
func (e *Encoder) Encode(img *image.YCbCr, forceKeyframe bool) (frame []byte, keyframe bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil, false, ErrClosed
	}
	if err := e.checkPicture(img); err != nil {
		return nil, false, err
	}
	if want := int(e.want.Load()); want != e.applied {
		if code := C.pc_enc_set_bitrate(e.c, C.uint(want)); code != C.VPX_CODEC_OK {
			return nil, false, vpxError("set bitrate", code, C.pc_enc_error(e.c))
		}
		e.applied = want
	}
	force := C.int(0)
	if forceKeyframe {
		force = 1
	}
	code := C.pc_enc_encode(e.c,
		(*C.uchar)(unsafe.Pointer(&img.Y[0])),
		(*C.uchar)(unsafe.Pointer(&img.Cb[0])),
		(*C.uchar)(unsafe.Pointer(&img.Cr[0])),
		C.int(img.YStride), C.int(img.CStride), force)
	if code != C.VPX_CODEC_OK {
		return nil, false, vpxError("encode", code, C.pc_enc_error(e.c))
	}
	if e.c.out_len == 0 {
		return nil, false, nil
	}
	e.out = append(e.out[:0], unsafe.Slice((*byte)(unsafe.Pointer(e.c.out)), int(e.c.out_len))...)
	return e.out, e.c.out_key != 0, nil
}

// checkPicture verifies that img has the configured size and 4:2:0 layout
// and that its planes hold every byte libvpx will read.
func (e *Encoder) checkPicture(img *image.YCbCr) error {
	if img == nil {
		return fmt.Errorf("%w: none given", ErrBadPicture)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%w: chroma is %v, want 4:2:0", ErrBadPicture, img.SubsampleRatio)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w != e.cfg.Width || h != e.cfg.Height {
		return fmt.Errorf("%w: %d×%d, the encoder's is %d×%d", ErrBadPicture, w, h, e.cfg.Width, e.cfg.Height)
	}
	cw, ch := (w+1)/2, (h+1)/2
	if img.YStride < w || img.CStride < cw ||
		len(img.Y) < img.YStride*(h-1)+w ||
		len(img.Cb) < img.CStride*(ch-1)+cw ||
		len(img.Cr) < img.CStride*(ch-1)+cw {
		return fmt.Errorf("%w: its planes are smaller than its size", ErrBadPicture)
	}
	return nil
}

// SetBitrate retargets the rate controller to kbps. It only records the
// value (it is safe to call from any goroutine, as often as congestion
// control likes); the next Encode applies it.
func (e *Encoder) SetBitrate(kbps int) error {
	if kbps < minBitrateKbps || kbps > maxBitrateKbps {
		return fmt.Errorf("vp8: bitrate %d kbit/s out of range [%d, %d]", kbps, minBitrateKbps, maxBitrateKbps)
	}
	if e.closed.Load() {
		return ErrClosed
	}
	e.want.Store(int64(kbps))
	return nil
}

// SetDenoise changes the denoiser's level (EncoderConfig.Denoise) from
// the next picture on, as when the picture sent switches between a camera
// and a generated one.
func (e *Encoder) SetDenoise(level int) error {
	if level < 0 || level > maxDenoise {
		return fmt.Errorf("vp8: denoiser level %d out of range [0, %d]", level, maxDenoise)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return ErrClosed
	}
	if level == e.cfg.Denoise {
		return nil
	}
	if code := C.pc_enc_set_denoiser(e.c, C.uint(level)); code != C.VPX_CODEC_OK {
		return vpxError("set denoiser", code, C.pc_enc_error(e.c))
	}
	e.cfg.Denoise = level
	return nil
}

// Close releases the encoder. Frames it returned become invalid.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil
	}
	e.closed.Store(true)
	e.cleanup.Stop()
	C.pc_enc_free(e.c)
	e.c = nil
	e.out = nil
	return nil
}
