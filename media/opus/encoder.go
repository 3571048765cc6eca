package opus

/*
#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call directly. Every
// OPUS_SET_* request used here takes a single opus_int32 argument, so one
// helper covers them all.
static int peercall_enc_set(OpusEncoder *st, int request, opus_int32 v) {
	return opus_encoder_ctl(st, request, v);
}
*/
import "C"

import (
	"runtime"
	"strconv"
	"sync"
	"unsafe"
)

// EncoderConfig configures a voice Encoder.
type EncoderConfig struct {
	// Channels is 1 (mono) or 2 (stereo, interleaved).
	Channels int
	// BitrateBps is the target bitrate; 0 selects DefaultBitrate.
	BitrateBps int
	// FEC enables in-band forward error correction: each packet also carries
	// a low-bitrate copy of the previous frame that the receiver can use via
	// Decoder.DecodeFEC. libopus only spends bits on it when ExpectedLossPct
	// is above zero. Enabling FEC also tells libopus the input is voice
	// (OPUS_SIGNAL_VOICE) so it stays in the SILK-based modes that can carry
	// FEC; otherwise it may pick CELT-only mode, which has none.
	FEC bool
	// DTX enables discontinuous transmission: during silence the encoder
	// emits tiny (1–2 byte) packets.
	DTX bool
	// ExpectedLossPct is the expected packet loss, 0–100. It tunes how much
	// the encoder invests in FEC and loss robustness.
	ExpectedLossPct int
}

// Encoder encodes 48 kHz PCM into Opus packets. Create it with NewEncoder
// and release it with Close.
type Encoder struct {
	mu       sync.Mutex
	st       *C.OpusEncoder
	channels int
	cleanup  runtime.Cleanup
}

// NewEncoder creates an encoder for interactive voice
// (OPUS_APPLICATION_VOIP) at SampleRate.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	const op = "new encoder"
	if cfg.Channels != 1 && cfg.Channels != 2 {
		return nil, argErr(op, "channels must be 1 or 2, got "+strconv.Itoa(cfg.Channels))
	}
	if cfg.BitrateBps < 0 {
		return nil, argErr(op, "negative bitrate "+strconv.Itoa(cfg.BitrateBps))
	}
	if cfg.ExpectedLossPct < 0 || cfg.ExpectedLossPct > 100 {
		return nil, argErr(op, "expected loss must be 0..100, got "+strconv.Itoa(cfg.ExpectedLossPct))
	}
	bitrate := cfg.BitrateBps
	if bitrate == 0 {
		bitrate = DefaultBitrate
	}

	// libopus 1.3 tends to choose CELT-only mode for tonal or musical input,
	// and CELT frames carry no FEC. Declaring the signal to be voice keeps
	// the encoder in the SILK-based modes whenever FEC is requested, which is
	// what a call wants anyway.
	signal := C.OPUS_AUTO
	if cfg.FEC {
		signal = C.OPUS_SIGNAL_VOICE
	}

	var cerr C.int
	st := C.opus_encoder_create(SampleRate, C.int(cfg.Channels), C.OPUS_APPLICATION_VOIP, &cerr)
	if cerr != C.OPUS_OK || st == nil {
		if cerr == C.OPUS_OK {
			cerr = C.OPUS_ALLOC_FAIL
		}
		return nil, opusErr(op, cerr)
	}

	settings := []struct {
		name    string
		request C.int
		v       int
	}{
		{"bitrate", C.OPUS_SET_BITRATE_REQUEST, clampInt32(bitrate)},
		{"fec", C.OPUS_SET_INBAND_FEC_REQUEST, b2i(cfg.FEC)},
		{"dtx", C.OPUS_SET_DTX_REQUEST, b2i(cfg.DTX)},
		{"signal", C.OPUS_SET_SIGNAL_REQUEST, signal},
		{"packet loss", C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, cfg.ExpectedLossPct},
	}
	for _, s := range settings {
		if ret := C.peercall_enc_set(st, s.request, C.opus_int32(s.v)); ret != C.OPUS_OK {
			C.opus_encoder_destroy(st)
			return nil, &Error{Op: op, Code: Code(ret), Detail: "setting " + s.name + " to " + strconv.Itoa(s.v)}
		}
	}

	e := &Encoder{st: st, channels: cfg.Channels}
	// Free the libopus state if the caller drops the Encoder without
	// closing it. Close cancels this.
	e.cleanup = runtime.AddCleanup(e, func(st *C.OpusEncoder) { C.opus_encoder_destroy(st) }, st)
	return e, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Channels reports the encoder's channel count.
func (e *Encoder) Channels() int { return e.channels }

// Encode encodes one frame of interleaved PCM into out and returns the
// number of bytes written. The frame must hold 2.5, 5, 10, 20, 40 or 60 ms
// of audio per channel (20 ms = 960 samples per channel; libopus also
// accepts 80, 100 and 120 ms). out should have room for a full packet;
// 1500 bytes is always enough for voice bitrates. With DTX enabled a silent
// frame may produce a packet of 2 bytes or less, which the caller may choose
// not to transmit.
func (e *Encoder) Encode(pcm []int16, out []byte) (int, error) {
	const op = "encode"
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%e.channels != 0 {
		return 0, argErr(op, "pcm length "+strconv.Itoa(len(pcm))+" is not a positive multiple of "+strconv.Itoa(e.channels)+" channels")
	}
	frame := len(pcm) / e.channels
	if frame > MaxFrameSamples {
		return 0, argErr(op, "frame of "+strconv.Itoa(frame)+" samples per channel is longer than 120 ms")
	}
	if len(out) == 0 {
		return 0, &Error{Op: op, Code: ErrBufferTooSmall, Detail: "empty output buffer"}
	}
	n := C.opus_encode(e.st,
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(frame),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(clampInt32(len(out))))
	if n < 0 {
		return 0, opusErr(op, n)
	}
	return int(n), nil
}

// SetBitrate changes the target bitrate in bits per second; 0 selects
// DefaultBitrate. libopus clamps the value to what it supports.
func (e *Encoder) SetBitrate(bps int) error {
	const op = "set bitrate"
	if bps < 0 {
		return argErr(op, "negative bitrate "+strconv.Itoa(bps))
	}
	if bps == 0 {
		bps = DefaultBitrate
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return ErrClosed
	}
	if ret := C.peercall_enc_set(e.st, C.OPUS_SET_BITRATE_REQUEST, C.opus_int32(clampInt32(bps))); ret != C.OPUS_OK {
		return opusErr(op, ret)
	}
	return nil
}

// SetPacketLossPct updates the expected packet loss (0–100) that drives how
// much FEC the encoder produces.
func (e *Encoder) SetPacketLossPct(pct int) error {
	const op = "set packet loss"
	if pct < 0 || pct > 100 {
		return argErr(op, "expected loss must be 0..100, got "+strconv.Itoa(pct))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return ErrClosed
	}
	if ret := C.peercall_enc_set(e.st, C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, C.opus_int32(pct)); ret != C.OPUS_OK {
		return opusErr(op, ret)
	}
	return nil
}

// Close releases the libopus encoder. Calling Close more than once is safe;
// later calls return nil. Other methods return ErrClosed after Close.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return nil
	}
	e.cleanup.Stop()
	C.opus_encoder_destroy(e.st)
	e.st = nil
	return nil
}
