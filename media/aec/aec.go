// Package aec removes acoustic echo from Peercall's microphone signal, and
// optionally suppresses stationary noise and levels the voice, using
// speexdsp's echo canceller and preprocessor through cgo.
//
// On a desktop call without headphones the far end's voice comes out of the
// speaker, back into the microphone and returns to the far end as echo. A
// Canceller learns that speaker-to-microphone path with an adaptive filter
// and subtracts its estimate from every microphone frame; the preprocessor,
// linked to the canceller, then removes the residual echo the filter leaves
// behind and, as configured, noise (NoiseSuppression) and level differences
// (AutoGain).
//
// The two halves of a call's audio are fed from the two device threads:
//
//   - the playout thread calls Playback with every mono frame it hands to
//     the speaker, silence included (downmix first if the speaker is
//     stereo);
//   - the capture thread calls Capture with every microphone frame and
//     sends the cleaned frame on.
//
// No delay figure is needed: the filter covers any speaker-to-microphone
// delay up to Config.TailMs (300 ms by default), counted from the Playback
// call that hands a frame over to the Capture call that delivers its echo,
// device buffering included. The first seconds of a call, and the seconds
// after the echo path changes, are spent converging; echo leaks until then.
// Whenever the preprocessor runs (the canceller on, or NoiseSuppression or
// AutoGain set) Capture's output lags its input by one frame (10 ms).
// Config.LinearOnly leaves the preprocessor out, for a residual echo
// suppressor that runs after the filter.
//
// speexdsp has its own playback/capture split (speex_echo_playback and
// speex_echo_capture), but the two share unlocked state, so the two device
// threads would have to serialise on one lock and Playback would wait for
// Capture's whole signal processing; it also reports every hiccup on
// stderr and, when the playback side is late, lets that frame's echo
// through uncancelled. A Canceller instead keeps its own queue of played
// frames, guarded by a lock held only to copy a frame, and hands the oldest
// one to speex_echo_cancellation with each microphone frame. The queue
// absorbs bursts of up to 200 ms (sound servers deliver frames in groups),
// trims a backlog that persists for a second (clock drift, a stalled
// capture side), and uses silence as the reference when the playout side is
// late; Stats counts both.
//
// Both calls suit audio callbacks: they allocate nothing on the Go heap,
// Playback only ever waits for a frame copy, and Capture takes about 150 µs
// for a 10 ms frame with the default 300 ms tail. Frames of the wrong length
// are ignored and counted in Stats. Only mono audio is supported.
package aec

/*
#cgo pkg-config: speexdsp
#cgo nocallback speex_echo_cancellation
#cgo nocallback speex_preprocess_run
#include <stdlib.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

// speex_preprocess_ctl and speex_echo_ctl take their argument through a
// void pointer; these helpers keep the value on the C side so that changing
// a setting from Go allocates nothing.
static int peercall_pre_set_int(SpeexPreprocessState *st, int request, spx_int32_t v) {
	return speex_preprocess_ctl(st, request, &v);
}
static int peercall_pre_set_echo(SpeexPreprocessState *st, SpeexEchoState *echo) {
	return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
}
static int peercall_echo_set_int(SpeexEchoState *st, int request, spx_int32_t v) {
	return speex_echo_ctl(st, request, &v);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"peercall/media/aec/refq"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Defaults applied to zero Config fields.
const (
	DefaultSampleRate    = 48000
	DefaultTailMs        = 300
	DefaultAutoGainMaxDB = 12
)

// NoiseSuppressDB is how far the preprocessor pulls stationary noise down
// when Config.NoiseSuppression is on (speexdsp's own default).
const NoiseSuppressDB = 15

// Config describes the audio a Canceller processes and what it does to it.
type Config struct {
	// SampleRate in Hz; 0 means 48000. 8000 to 48000.
	SampleRate int
	// FrameSamples is the number of samples in every Playback and Capture
	// frame; 0 means 10 ms (480 at 48 kHz). Between 2.5 ms and 40 ms worth;
	// speexdsp works best with 10 to 20 ms.
	FrameSamples int
	// TailMs is the longest speaker-to-microphone delay, including the
	// sound devices' own buffering, the filter can cancel; 0 means 300.
	// Between 10 and 1000. Echo arriving later than the tail is not
	// cancelled at all, so err on the long side: the cost is CPU time,
	// roughly proportional to the tail.
	TailMs int
	// NoiseSuppression removes stationary background noise (fans, hum,
	// hiss) from the microphone signal.
	NoiseSuppression bool
	// AutoGain levels the microphone signal towards a comfortable speaking
	// level. It adapts only while it hears something it takes for speech,
	// so steady sounds are left at their level.
	AutoGain bool
	// AutoGainMaxDB caps how much AutoGain may raise the signal: 0 → 12 dB.
	// A low cap keeps it from lifting what is left of an echo back up.
	AutoGainMaxDB int
	// LinearOnly runs the adaptive filter alone, without the preprocessor:
	// Capture's output is the microphone signal minus the filter's echo
	// estimate, residual echo and noise included, with no added latency.
	// It is for a residual echo suppressor of Peercall's own that runs
	// after the filter (CaptureEcho also hands out the filter's echo
	// estimate). NoiseSuppression and AutoGain must be off.
	LinearOnly bool
}

// Stats counts what a Canceller has seen. All counters only grow.
type Stats struct {
	Played   uint64 // frames accepted by Playback
	Captured uint64 // frames processed by Capture
	// WrongLength counts Playback and Capture calls ignored because a frame
	// did not have Config.FrameSamples samples (or out was too short).
	WrongLength uint64
	// Underruns counts Capture calls that found no played frame waiting and
	// used silence as the reference: the playout side is late or stopped.
	Underruns uint64
	// Dropped counts played frames discarded unused to keep the reference
	// aligned: the capture side fell behind or is stopped.
	Dropped uint64
}

// Canceller is one echo canceller with its preprocessor, for one mono
// microphone and the mono signal sent to the speaker. Playback and Capture
// may be called from different threads at the same time; every method is
// safe for concurrent use. Create it with New and release it with Close.
type Canceller struct {
	frame int
	cfg   Config

	// aec is the wanted canceller state; Capture applies changes at the
	// start of its next frame, so SetEnabled never waits.
	aec atomic.Bool

	// queue hands the played frames to Capture; Playback never waits
	// for Capture's signal processing.
	queue *refq.Shared
	// The counters are updated without any lock.
	captured    atomic.Uint64
	wrongLength atomic.Uint64

	// mu guards everything below: the speexdsp states and the scratch
	// buffers Capture works in.
	mu      sync.Mutex
	st      *cstate
	cleanup runtime.Cleanup
	in      []int16 // microphone copy, so out may alias mic
	ref     []int16 // far-end reference for this frame
	out     []int16 // cancelled, then preprocessed, in place
	linked  bool    // the preprocessor is running as the canceller's residual echo suppressor
	usePre  bool    // whether the preprocessor runs in the current state
	notch   notch   // the filter's input conditioning, replayed for CaptureEcho
}

// notch is the DC-removal filter speexdsp's echo canceller applies to the
// microphone signal before anything else (a second-order notch at 0 Hz,
// pole radius 0.992 at sampling rates of 24 kHz and up, 0.982 from 12 kHz,
// 0.9 below; about −3 dB at 60 Hz at 48 kHz). The filter's output is the
// notched microphone signal minus its echo estimate, so replaying the notch
// recovers the estimate exactly, to the output's rounding.
type notch struct {
	radius, den2 float64
	m0, m1       float64
}

func newNotch(rate int) notch {
	r := 0.992
	switch {
	case rate < 12000:
		r = 0.9
	case rate < 24000:
		r = 0.982
	}
	// H(z) = r·(1 − z⁻¹)² / (1 − 2r·z⁻¹ + (r² + 0.7·(1 − r)²)·z⁻²),
	// in transposed direct form II.
	return notch{radius: r, den2: r*r + 0.7*(1-r)*(1-r)}
}

// NotchResponse is the frequency response, at hz, of the DC notch the
// adaptive filter applies to the microphone signal at sampling rate rate
// (see CaptureEcho): a suppressor working on the filter's output in the
// frequency domain divides by it to get back to the microphone's own
// signal, whose low notes the notch shifts in phase (−18 dB of difference
// at 1 kHz, −6 dB at 250 Hz, at 48 kHz).
func NotchResponse(rate int, hz float64) complex128 {
	n := newNotch(rate)
	z1 := cmplx.Exp(complex(0, -2*math.Pi*hz/float64(rate))) // z⁻¹
	return complex(n.radius, 0) * (1 - z1) * (1 - z1) / (1 - complex(2*n.radius, 0)*z1 + complex(n.den2, 0)*z1*z1)
}

func (n *notch) step(x float64) float64 {
	v := n.m0 + x
	n.m0 = n.m1 + 2*(n.radius*v-x)
	n.m1 = x - n.den2*v
	return n.radius * v
}

// cstate is the C memory a Canceller owns.
type cstate struct {
	echo *C.SpeexEchoState
	pre  *C.SpeexPreprocessState
	buf  *C.spx_int16_t // in, ref and out, frame samples each
}

func (s *cstate) free() {
	if s.pre != nil {
		C.speex_preprocess_state_destroy(s.pre)
	}
	if s.echo != nil {
		C.speex_echo_state_destroy(s.echo)
	}
	if s.buf != nil {
		C.free(unsafe.Pointer(s.buf))
	}
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = DefaultSampleRate
	}
	if cfg.SampleRate < 8000 || cfg.SampleRate > 48000 {
		return cfg, fmt.Errorf("%w: sample rate %d Hz is outside 8000–48000", ErrConfig, cfg.SampleRate)
	}
	if cfg.FrameSamples == 0 {
		cfg.FrameSamples = cfg.SampleRate / 100
	}
	if cfg.FrameSamples*400 < cfg.SampleRate || cfg.FrameSamples*25 > cfg.SampleRate {
		return cfg, fmt.Errorf("%w: %d-sample frames at %d Hz are outside 2.5–40 ms", ErrConfig, cfg.FrameSamples, cfg.SampleRate)
	}
	if cfg.TailMs == 0 {
		cfg.TailMs = DefaultTailMs
	}
	if cfg.TailMs < 10 || cfg.TailMs > 1000 {
		return cfg, fmt.Errorf("%w: tail of %d ms is outside 10–1000 ms", ErrConfig, cfg.TailMs)
	}
	if cfg.LinearOnly && (cfg.NoiseSuppression || cfg.AutoGain) {
		return cfg, fmt.Errorf("%w: LinearOnly runs no preprocessor, so no noise suppression or automatic gain", ErrConfig)
	}
	return cfg, nil
}

// New creates a Canceller with echo cancellation enabled.
func New(cfg Config) (*Canceller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := cfg.FrameSamples
	rate := cfg.SampleRate / n // frames per second
	c := &Canceller{
		frame: n,
		cfg:   cfg,
		// Up to 200 ms of burst absorbed before the oldest played frames
		// are dropped; the standing backlog is checked once a second.
		queue: refq.NewShared(n, max(4, rate/5), max(1, rate)),
	}
	c.aec.Store(true)
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

// start creates the speexdsp state. The caller holds mu (or is New).
func (c *Canceller) start() error {
	cfg, n := c.cfg, c.frame
	st := &cstate{}
	st.echo = C.speex_echo_state_init(C.int(n), C.int(cfg.TailMs*cfg.SampleRate/1000))
	st.pre = C.speex_preprocess_state_init(C.int(n), C.int(cfg.SampleRate))
	st.buf = (*C.spx_int16_t)(C.calloc(C.size_t(3*n), C.size_t(unsafe.Sizeof(C.spx_int16_t(0)))))
	if st.echo == nil || st.pre == nil || st.buf == nil {
		st.free()
		return errors.New("aec: speexdsp could not allocate its state")
	}
	if C.peercall_echo_set_int(st.echo, C.SPEEX_ECHO_SET_SAMPLING_RATE, C.spx_int32_t(cfg.SampleRate)) != 0 {
		st.free()
		return errors.New("aec: speexdsp rejected the sample rate")
	}
	// AGC exists only in floating-point builds of speexdsp; a fixed-point
	// build answers the request with an error.
	agc := C.spx_int32_t(0)
	if cfg.AutoGain {
		agc = 1
	}
	if C.peercall_pre_set_int(st.pre, C.SPEEX_PREPROCESS_SET_AGC, agc) != 0 && cfg.AutoGain {
		st.free()
		return errors.New("aec: this speexdsp build has no automatic gain control (fixed-point build)")
	}
	if cfg.AutoGain {
		maxGain := cfg.AutoGainMaxDB
		if maxGain <= 0 {
			maxGain = DefaultAutoGainMaxDB
		}
		C.peercall_pre_set_int(st.pre, C.SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, C.spx_int32_t(maxGain))
	}

	all := unsafe.Slice((*int16)(unsafe.Pointer(st.buf)), 3*n)
	c.st = st
	c.in, c.ref, c.out = all[:n:n], all[n:2*n:2*n], all[2*n:]
	c.notch = newNotch(cfg.SampleRate)
	c.applyState(c.aec.Load())
	// Free the C state if the Canceller is dropped without Close; stop
	// cancels this.
	c.cleanup = runtime.AddCleanup(c, func(s *cstate) { s.free() }, st)
	return nil
}

// stop frees the speexdsp state. The caller holds mu.
func (c *Canceller) stop() {
	c.cleanup.Stop()
	c.st.free()
	c.st = nil
	c.in, c.ref, c.out = nil, nil, nil
}

// applyState configures the preprocessor for the canceller being on or off.
// The caller holds mu (or is New).
//
// speexdsp's residual echo suppression is part of its noise suppressor: the
// suppressor's gains are applied only while denoising is enabled. So while
// the canceller is on, denoising stays enabled and, if NoiseSuppression is
// off, its noise attenuation is set to 0 dB, leaving only the echo
// attenuation. While the canceller is off the preprocessor is unlinked, since
// the canceller's residual estimate would be stale, and runs only if noise
// suppression or gain control is wanted.
func (c *Canceller) applyState(aec bool) {
	pre := c.st.pre
	denoise, suppress := C.spx_int32_t(0), C.spx_int32_t(0)
	if c.cfg.NoiseSuppression {
		suppress = NoiseSuppressDB
	}
	if aec || c.cfg.NoiseSuppression {
		denoise = 1
	}
	C.peercall_pre_set_int(pre, C.SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, suppress)
	C.peercall_pre_set_int(pre, C.SPEEX_PREPROCESS_SET_DENOISE, denoise)
	if aec {
		C.peercall_pre_set_echo(pre, c.st.echo)
	} else {
		C.peercall_pre_set_echo(pre, nil)
	}
	c.linked = aec
	c.usePre = (aec && !c.cfg.LinearOnly) || c.cfg.NoiseSuppression || c.cfg.AutoGain
}

// Config returns the configuration in use, defaults filled in.
func (c *Canceller) Config() Config { return c.cfg }

// Playback records a mono frame just handed to the speaker: the far end's
// voice, or silence when there is none. Call it from the playout thread
// for every frame played, at the same rate as Capture. A frame whose length
// is not Config.FrameSamples is ignored and counted. It only copies the
// frame, so it never waits for Capture's processing. After Close it does
// nothing.
func (c *Canceller) Playback(frame []int16) {
	if len(frame) != c.frame {
		c.wrongLength.Add(1)
		return
	}
	c.queue.Play(frame)
}

// Capture removes the echo of the recently played frames from one mono
// microphone frame and writes the result to out[:Config.FrameSamples].
// out may be mic itself. Call it from the capture thread for every
// microphone frame. If len(mic) is not Config.FrameSamples or out is
// shorter, nothing is written and the call is counted as WrongLength.
// After Close it copies mic to out unchanged.
//
// With the canceller disabled (SetEnabled(false)) only noise suppression
// and gain control run, as configured, or the frame is copied through.
func (c *Canceller) Capture(mic []int16, out []int16) {
	c.CaptureEcho(mic, out, nil, nil)
}

// CaptureRef is Capture that also hands out, in played, the played frame
// used as the reference.
func (c *Canceller) CaptureRef(mic, out, played []int16) { c.CaptureEcho(mic, out, nil, played) }

// CaptureEcho is Capture for a residual echo suppressor that runs after
// the adaptive filter. It also writes the filter's estimate of the echo in
// this microphone frame to echo[:Config.FrameSamples] (full scale 32768),
// and the played frame the filter took as this frame's reference to
// played[:Config.FrameSamples]. out is then the microphone signal, with its
// DC removed, minus the estimate. The estimate is only meaningful with
// Config.LinearOnly and the canceller enabled; otherwise, and after Close,
// echo is zeroed (and after Close played too). Either may be nil; one
// shorter than a frame counts the call as WrongLength and nothing is
// written.
func (c *Canceller) CaptureEcho(mic []int16, out []int16, echo []float32, played []int16) {
	if len(mic) != c.frame || len(out) < c.frame ||
		(echo != nil && len(echo) < c.frame) || (played != nil && len(played) < c.frame) {
		c.wrongLength.Add(1)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if echo != nil {
		clear(echo[:c.frame])
	}
	if c.st == nil {
		copy(out, mic)
		if played != nil {
			clear(played[:c.frame])
		}
		return
	}
	copy(c.in, mic)

	c.queue.Take(c.ref)
	if played != nil {
		copy(played, c.ref)
	}

	if aec := c.aec.Load(); aec != c.linked {
		c.applyState(aec)
	}
	in := (*C.spx_int16_t)(unsafe.Pointer(&c.in[0]))
	ref := (*C.spx_int16_t)(unsafe.Pointer(&c.ref[0]))
	res := (*C.spx_int16_t)(unsafe.Pointer(&c.out[0]))
	if c.linked {
		C.speex_echo_cancellation(c.st.echo, in, ref, res)
	} else {
		copy(c.out, c.in)
	}
	if c.usePre {
		C.speex_preprocess_run(c.st.pre, res)
	}
	if c.linked && c.cfg.LinearOnly {
		// The notch runs on every filtered frame, so that its state
		// follows the filter's own whether or not echo is asked for.
		for i, x := range c.in {
			d := c.notch.step(float64(x))
			if echo != nil {
				echo[i] = float32(d - float64(c.out[i]))
			}
		}
	}
	copy(out, c.out)
	c.captured.Add(1)
}

// SetEnabled turns echo cancellation on or off; it is on after New. The
// change takes effect at the next Capture. While off the filter does not
// run (saving most of Capture's CPU time) but keeps what it learnt, so once
// back on in the same room it re-converges faster than a new one, within a
// second or two.
func (c *Canceller) SetEnabled(aec bool) { c.aec.Store(aec) }

// Enabled reports whether echo cancellation is enabled.
func (c *Canceller) Enabled() bool { return c.aec.Load() }

// Reset makes the canceller start afresh, as after New: it forgets the echo
// path it learnt, the noise and level it measured, and the played frames it
// holds. Use it when the speaker or microphone changes. It allocates new
// speexdsp state, so call it from a control thread, not an audio callback;
// if that fails the Canceller keeps its old state and Reset returns the
// error. After Close it does nothing.
func (c *Canceller) Reset() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return nil
	}
	old, oldCleanup := c.st, c.cleanup
	if err := c.start(); err != nil { // leaves c untouched
		return err
	}
	oldCleanup.Stop()
	old.free()
	c.queue.Reset()
	return nil
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
	}
}

// Close releases the speexdsp state. Calling it more than once is safe;
// later calls return nil.
func (c *Canceller) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return nil
	}
	c.queue.Close()
	c.stop()
	return nil
}
