//go:build cgo

package aec2

/*
#cgo pkg-config: webrtc-audio-processing
#cgo CXXFLAGS: -std=c++11 -O2 -DNDEBUG
#cgo LDFLAGS: -lstdc++
#cgo nocallback peercall_aec2_process
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"peercall/media/aec/refq"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Canceller is AEC2 for one mono microphone and the mono signal sent to the
// speaker. Playback and Capture may be called from different threads at the
// same time; every method is safe for concurrent use. Create it with New and
// release it with Close.
type Canceller struct {
	frame int
	cfg   Config

	// queue hands the played frames to Capture; Playback never waits
	// for Capture's signal processing.
	queue *refq.Shared
	// The counters are updated without any lock.
	captured    atomic.Uint64
	wrongLength atomic.Uint64
	errs        atomic.Uint64

	// mu guards the module and the C buffers Capture works in.
	mu      sync.Mutex
	st      *cstate
	cleanup runtime.Cleanup
	in      []int16 // microphone copy, so out may alias mic
	// delay is the microphone delay line: the last MicDelayMs of
	// microphone samples, then room for one frame. nil with NoMicDelay.
	delay []int16
	ref   []int16 // far-end reference for this frame
	out   []int16
}

// cstate is the C memory a Canceller owns.
type cstate struct {
	apm *C.peercall_aec2
	buf *C.int16_t // in, ref and out, frame samples each
}

func (s *cstate) free() {
	if s.apm != nil {
		C.peercall_aec2_free(s.apm)
	}
	if s.buf != nil {
		C.free(unsafe.Pointer(s.buf))
	}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// New creates a Canceller. It allocates the audio processing module, so call
// it from a control thread, not an audio callback.
func New(cfg Config) (*Canceller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := cfg.FrameSamples
	opt := C.peercall_aec2_options{
		rate:            C.int(cfg.SampleRate),
		suppression:     C.int(cfg.Suppression - LowSuppression),
		delay_agnostic:  cbool(!cfg.NoDelayAgnostic),
		extended_filter: cbool(!cfg.NoExtendedFilter),
		noise:           C.int(cfg.Noise - NoiseLow),
		high_pass:       cbool(!cfg.NoHighPassFilter),
	}
	st := &cstate{}
	st.apm = C.peercall_aec2_new(&opt)
	st.buf = (*C.int16_t)(C.calloc(C.size_t(3*n), C.size_t(unsafe.Sizeof(C.int16_t(0)))))
	if st.apm == nil || st.buf == nil {
		st.free()
		return nil, ErrCreate
	}
	c := &Canceller{
		frame: n,
		cfg:   cfg,
		// Up to 200 ms of burst absorbed before the oldest played frames
		// are dropped; the standing backlog is checked once a second.
		queue: refq.NewShared(n, 20, 100),
		st:    st,
	}
	all := unsafe.Slice((*int16)(unsafe.Pointer(st.buf)), 3*n)
	c.in, c.ref, c.out = all[:n:n], all[n:2*n:2*n], all[2*n:]
	if !cfg.NoMicDelay {
		c.delay = make([]int16, MicDelayMs*cfg.SampleRate/1000+n)
	}
	// Free the C state if the Canceller is dropped without Close.
	c.cleanup = runtime.AddCleanup(c, func(s *cstate) { s.free() }, st)
	return c, nil
}

// Config returns the configuration in use, defaults filled in.
func (c *Canceller) Config() Config { return c.cfg }

// Playback records a mono frame just handed to the speaker: the far end's
// voice, or silence when there is none. Call it from the playout thread for
// every frame played, at the same rate as Capture. A frame whose length is
// not Config.FrameSamples is ignored and counted. It only copies the frame,
// so it never waits for Capture's processing. After Close it does nothing.
func (c *Canceller) Playback(frame []int16) {
	if len(frame) != c.frame {
		c.wrongLength.Add(1)
		return
	}
	c.queue.Play(frame)
}

// Capture removes the echo of the recently played frames from one mono
// microphone frame and writes the result to out[:Config.FrameSamples]. out
// may be mic itself. Call it from the capture thread for every microphone
// frame. If len(mic) is not Config.FrameSamples or out is shorter, nothing
// is written and the call is counted as WrongLength. If the module refuses
// the frame, the microphone signal is passed through, delayed as the
// output would have been; after Close, mic is copied to out unchanged.
func (c *Canceller) Capture(mic []int16, out []int16) {
	if len(mic) != c.frame || len(out) < c.frame {
		c.wrongLength.Add(1)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		copy(out, mic)
		return
	}
	if c.delay == nil {
		copy(c.in, mic)
	} else {
		d := len(c.delay) - c.frame
		copy(c.delay[d:], mic)
		copy(c.in, c.delay[:c.frame])
		copy(c.delay, c.delay[c.frame:])
	}

	c.queue.Take(c.ref)

	rc := C.peercall_aec2_process(c.st.apm,
		(*C.int16_t)(unsafe.Pointer(&c.ref[0])),
		(*C.int16_t)(unsafe.Pointer(&c.in[0])),
		(*C.int16_t)(unsafe.Pointer(&c.out[0])),
		C.int(c.cfg.DelayMs))
	if rc != 0 {
		c.errs.Add(1)
		copy(out, c.in) // delayed like the output it stands in for
	} else {
		copy(out, c.out)
	}
	c.captured.Add(1)
}

// Delay returns the canceller's own estimate of the delay from Playback to
// the echo in Capture over the last second, ms: its median and standard
// deviation. ok is false while it has none (delay-agnostic mode off, or
// too little echo heard yet) and after Close.
func (c *Canceller) Delay() (median, std int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return 0, 0, false
	}
	var m, s C.int
	if C.peercall_aec2_delay(c.st.apm, &m, &s) != 0 || m < 0 {
		return 0, 0, false
	}
	return int(m), int(s), true
}

// Stats returns the counters so far.
func (c *Canceller) Stats() Stats {
	played, dropped, underruns := c.queue.Counts()
	return Stats{
		Played:      played,
		Captured:    c.captured.Load(),
		WrongLength: c.wrongLength.Load(),
		Underruns:   underruns,
		Dropped:     dropped,
		Errors:      c.errs.Load(),
	}
}

// Close releases the audio processing module. Calling it more than once is
// safe; later calls return nil.
func (c *Canceller) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return nil
	}
	c.queue.Close()
	c.cleanup.Stop()
	c.st.free()
	c.st = nil
	c.in, c.ref, c.out, c.delay = nil, nil, nil, nil
	return nil
}
