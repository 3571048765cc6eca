package opus

/*
#include <opus.h>
*/
import "C"

import (
	"runtime"
	"strconv"
	"sync"
	"unsafe"
)

// Decoder decodes Opus packets into 48 kHz interleaved PCM. Create it with
// NewDecoder and release it with Close.
type Decoder struct {
	mu       sync.Mutex
	st       *C.OpusDecoder
	channels int
	cleanup  runtime.Cleanup
}

// NewDecoder creates a decoder producing channels (1 or 2) interleaved
// channels at SampleRate.
func NewDecoder(channels int) (*Decoder, error) {
	const op = "new decoder"
	if channels != 1 && channels != 2 {
		return nil, argErr(op, "channels must be 1 or 2, got "+strconv.Itoa(channels))
	}
	var cerr C.int
	st := C.opus_decoder_create(SampleRate, C.int(channels), &cerr)
	if cerr != C.OPUS_OK || st == nil {
		if cerr == C.OPUS_OK {
			cerr = C.OPUS_ALLOC_FAIL
		}
		return nil, opusErr(op, cerr)
	}
	d := &Decoder{st: st, channels: channels}
	// Free the libopus state if the caller drops the Decoder without
	// closing it. Close cancels this.
	d.cleanup = runtime.AddCleanup(d, func(st *C.OpusDecoder) { C.opus_decoder_destroy(st) }, st)
	return d, nil
}

// Channels reports the decoder's channel count.
func (d *Decoder) Channels() int { return d.channels }

// Decode decodes packet into pcm and returns the number of samples per
// channel written.
//
// For a normal packet, pcm is the capacity: it must hold at least the
// packet's duration (len(pcm)/channels samples per channel; 5760 per
// channel covers any packet).
//
// A nil or empty packet means the packet was lost: the decoder then
// synthesises exactly len(pcm)/channels samples per channel of loss
// concealment, which must be a multiple of 2.5 ms (120 samples). Feed the
// duration of the missing packet, usually 20 ms.
//
// Malformed packets return an error wrapping ErrInvalidPacket and leave pcm
// in an unspecified state.
func (d *Decoder) Decode(packet []byte, pcm []int16) (int, error) {
	return d.decode("decode", packet, pcm, 0)
}

// DecodeFEC reconstructs a lost frame from the in-band FEC data carried by
// nextPacket, the packet received right after the gap. len(pcm)/channels
// must equal the lost frame's duration in samples per channel (a multiple of
// 2.5 ms). If nextPacket carries no FEC data the decoder falls back to loss
// concealment, so the call still yields audio. After DecodeFEC, nextPacket
// itself must still be passed to Decode for its own frame.
func (d *Decoder) DecodeFEC(nextPacket []byte, pcm []int16) (int, error) {
	return d.decode("decode fec", nextPacket, pcm, 1)
}

func (d *Decoder) decode(op string, packet []byte, pcm []int16, fec C.int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%d.channels != 0 {
		return 0, argErr(op, "pcm length "+strconv.Itoa(len(pcm))+" is not a positive multiple of "+strconv.Itoa(d.channels)+" channels")
	}
	frame := len(pcm) / d.channels
	if len(packet) > 0 && fec == 0 && frame > MaxFrameSamples {
		// A packet never decodes to more than 120 ms; the rest of the
		// buffer is simply unused capacity.
		frame = MaxFrameSamples
	}
	frame = clampInt32(frame)
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	n := C.opus_decode(d.st, data, C.opus_int32(clampInt32(len(packet))),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(frame), fec)
	if n < 0 {
		return 0, opusErr(op, n)
	}
	return int(n), nil
}

// Close releases the libopus decoder. Calling Close more than once is safe;
// later calls return nil. Other methods return ErrClosed after Close.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return nil
	}
	d.cleanup.Stop()
	C.opus_decoder_destroy(d.st)
	d.st = nil
	return nil
}
