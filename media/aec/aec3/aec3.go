//go:build aec3 && cgo

package aec3

/*
#cgo CXXFLAGS: -std=c++17 -O2 -DNDEBUG -DWEBRTC_POSIX -DWEBRTC_LINUX
#cgo CXXFLAGS: -I${SRCDIR}/../../../bin/deps/aec3/prefix/include/webrtc-audio-processing-1
#cgo LDFLAGS: ${SRCDIR}/../../../bin/deps/aec3/prefix/lib/libpeercall-aec3.a -lstdc++ -lm -lpthread -lrt
#cgo nocallback peercall_aec3_process
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"peercall/media/aec/refq"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Canceller is AEC3 for one mono microphone and the mono signal sent to the
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
	ref     []int16 // far-end reference for this frame
	out     []int16
}

// cstate is the C memory a Canceller owns.
type cstate struct {
	apm *C.peercall_aec3
	buf *C.int16_t // in, ref and out, frame samples each
}

func (s *cstate) free() {
	if s.apm != nil {
		C.peercall_aec3_free(s.apm)
	}
	if s.buf != nil {
		C.free(unsafe.Pointer(s.buf))
	}
}

// New creates a Canceller. It allocates the audio processing module, so call
// it from a control thread, not an audio callback.
func New(cfg Config) (*Canceller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := cfg.FrameSamples
	st := &cstate{}
	ns := C.int(0)
	if cfg.NoiseSuppression {
		ns = 1
	}
	st.apm = C.peercall_aec3_new(C.int(cfg.SampleRate), ns)
	st.buf = (*C.int16_t)(C.calloc(C.size_t(3*n), C.size_t(unsafe.Sizeof(C.int16_t(0)))))
	if st.apm == nil || st.buf == nil {
		st.free()
		return nil, errors.New("aec3: the audio processing module could not be created")
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
// the frame, or after Close, mic is copied to out unchanged.
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
	copy(c.in, mic)

	c.queue.Take(c.ref)

	rc := C.peercall_aec3_process(c.st.apm,
		(*C.int16_t)(unsafe.Pointer(&c.ref[0])),
		(*C.int16_t)(unsafe.Pointer(&c.in[0])),
		(*C.int16_t)(unsafe.Pointer(&c.out[0])),
		C.int(c.cfg.DelayMs))
	if rc != 0 {
		c.errs.Add(1)
		copy(out, c.in)
	} else {
		copy(out, c.out)
	}
	c.captured.Add(1)
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
	c.in, c.ref, c.out = nil, nil, nil
	return nil
}
