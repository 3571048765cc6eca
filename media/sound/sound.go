// Package sound opens microphones and speakers through miniaudio (malgo),
// preferring PulseAudio, then ALSA (on Windows WASAPI, then DirectSound). A
// machine with no sound server, no device, or a device that disappears
// mid-call gets an error or a stopped stream, never a crash. Streams run
// at 48 kHz, 16-bit, in 10 ms frames.
package sound

import (
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"
)

// SampleRate and FrameSamples are the format every stream uses: 10 ms
// frames at 48 kHz.
const (
	SampleRate   = 48000
	FrameSamples = SampleRate / 100
)

// Device describes one microphone or speaker.
type Device struct {
	ID      string // pass to OpenCapture/OpenPlayback; "" means the default
	Name    string
	Default bool
}

// System is an open connection to the machine's sound system.
type System struct {
	mu  sync.Mutex
	ctx *malgo.AllocatedContext
}

// Open connects to the machine's sound system: PulseAudio, or else ALSA;
// on Windows WASAPI, or else DirectSound.
func Open() (sys *System, err error) {
	quietALSA()
	defer func() {
		if r := recover(); r != nil {
			sys, err = nil, fmt.Errorf("%w: %v", ErrNoSoundSystem, r)
		}
	}()
	ctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSoundSystem, err)
	}
	return &System{ctx: ctx}, nil
}

// Close releases the sound system. Close every stream first.
func (s *System) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil {
		_ = s.ctx.Uninit()
		s.ctx.Free()
		s.ctx = nil
	}
	return nil
}

// Microphones and Speakers list the devices of each kind.
func (s *System) Microphones() ([]Device, error) { return s.devices(malgo.Capture) }
func (s *System) Speakers() ([]Device, error)    { return s.devices(malgo.Playback) }

func (s *System) devices(kind malgo.DeviceType) ([]Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, ErrNoSoundSystem
	}
	infos, err := s.ctx.Devices(kind)
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(infos))
	for _, in := range infos {
		out = append(out, Device{ID: hex.EncodeToString(in.ID[:]), Name: in.Name(), Default: in.IsDefault != 0})
	}
	return out, nil
}

// silentAfter is how long a running device may go without asking for or
// delivering sound before its stream counts as stopped. PulseAudio's
// client does not report a server that died: the device simply never
// calls back again. A device calls back every 10 ms; two seconds leave
// room for a machine under heavy load.
const silentAfter = 2 * time.Second

// firstCallbackWithin is how long a device may take to call back for the
// first time: PulseAudio takes about two seconds to start a stream on a
// null sink here.
const firstCallbackWithin = 15 * time.Second

// Stream is an open microphone or speaker.
type Stream struct {
	dev     *malgo.Device
	stopped chan struct{}
	closed  chan struct{} // closed by Close: ends the watchdog
	last    atomic.Int64  // when the device last called back, in Unix nanoseconds; 0 before the first time
	once    sync.Once
	closing sync.Once
	mu      sync.Mutex // guards rest between callbacks
	rest    []int16
	frame   []int16
	pcm     []int16
}

// Stopped is closed when the device stops by itself, or goes silent for
// silentAfter (its sound server died), and when the stream is closed.
func (st *Stream) Stopped() <-chan struct{} { return st.stopped }

// alive records a callback from the device.
func (st *Stream) alive() { st.last.Store(time.Now().UnixNano()) }

// watch closes stopped when the device has not called back for
// silentAfter, or not at all within firstCallbackWithin; it ends when the
// stream stops or is closed.
func (st *Stream) watch() {
	started := time.Now()
	tick := time.NewTicker(silentAfter / 8)
	defer tick.Stop()
	for {
		select {
		case <-st.closed:
			return
		case <-st.stopped:
			return
		case now := <-tick.C:
			last := st.last.Load()
			if last == 0 && now.Sub(started) > firstCallbackWithin ||
				last != 0 && now.Sub(time.Unix(0, last)) > silentAfter {
				st.once.Do(func() { close(st.stopped) })
				return
			}
		}
	}
}

// Close stops the device and releases it.
func (st *Stream) Close() error {
	st.closing.Do(func() {
		close(st.closed)
		_ = st.dev.Stop()
		st.dev.Uninit()
		st.once.Do(func() { close(st.stopped) })
	})
	return nil
}

// Device buffering. miniaudio turns a period and a period count into
// PulseAudio's buffer attributes as: a playback stream keeps one period
// queued at the server (tlength), a capture stream is handed one period at
// a time (fragsize), and the server holds at most periods × period for
// either (maxlength). Whatever the callbacks fail to supply or collect in
// time is lost: a playback stream that runs dry plays silence and then
// carries on, so everything after it reaches the speaker, and the
// microphone as echo, that much later; a capture stream that is not read
// in time drops the oldest sound. Either one moves the echo against the
// echo canceller's reference and undoes what its filter has learnt, so the
// buffers are sized for a loaded machine, where the device threads can
// wait 50 ms for a CPU, rather than for the lowest latency.
const (
	// PlaybackLatency is the sound a speaker keeps queued at the sound
	// server: one period of four frames, in two periods of buffer.
	PlaybackLatency = 40 * time.Millisecond
	playbackPeriod  = 4 * FrameSamples
	playbackPeriods = 2
	capturePeriod   = FrameSamples // handed over every 10 ms
	capturePeriods  = 10           // up to 100 ms held when the callback is late
)

func (s *System) config(kind malgo.DeviceType, id string, channels int) (malgo.DeviceConfig, *malgo.DeviceID, error) {
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = SampleRate
	cfg.PeriodSizeInFrames, cfg.Periods = capturePeriod, capturePeriods
	if kind == malgo.Playback {
		cfg.PeriodSizeInFrames, cfg.Periods = playbackPeriod, playbackPeriods
	}
	cfg.PerformanceProfile = malgo.LowLatency
	var devID *malgo.DeviceID
	if id != "" {
		raw, err := hex.DecodeString(id)
		if err != nil {
			return cfg, nil, fmt.Errorf("sound: bad device id %q", id)
		}
		devID = new(malgo.DeviceID)
		copy(devID[:], raw)
	}
	sub := malgo.SubConfig{Format: malgo.FormatS16, Channels: uint32(channels)}
	if devID != nil {
		sub.DeviceID = devID.Pointer()
	}
	if kind == malgo.Capture {
		cfg.Capture = sub
	} else {
		cfg.Playback = sub
	}
	return cfg, devID, nil
}

// OpenCapture starts the microphone id ("" for the default). onFrame gets
// every 10 ms mono frame on the device's thread; it must return quickly,
// and the slice is reused after it returns.
func (s *System) OpenCapture(id string, onFrame func(frame []int16)) (*Stream, error) {
	st := &Stream{stopped: make(chan struct{}), closed: make(chan struct{}), frame: make([]int16, 0, FrameSamples)}
	err := s.open(malgo.Capture, id, 1, st, malgo.DeviceCallbacks{
		Data: func(_, input []byte, frames uint32) {
			st.alive()
			samples := bytesToInt16(input, int(frames))
			for len(samples) > 0 {
				n := min(FrameSamples-len(st.frame), len(samples))
				st.frame = append(st.frame, samples[:n]...)
				samples = samples[n:]
				if len(st.frame) == FrameSamples {
					onFrame(st.frame)
					st.frame = st.frame[:0]
				}
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoMicrophone, err)
	}
	return st, nil
}

// OpenPlayback starts the speaker id ("" for the default) with the given
// channel count. fill is asked for 10 ms frames (interleaved) on the
// device's thread, usually four at a time (PlaybackLatency); it must return
// quickly.
func (s *System) OpenPlayback(id string, channels int, fill func(frame []int16)) (*Stream, error) {
	st := &Stream{stopped: make(chan struct{}), closed: make(chan struct{}), pcm: make([]int16, FrameSamples*channels)}
	err := s.open(malgo.Playback, id, channels, st, malgo.DeviceCallbacks{
		Data: func(output, _ []byte, frames uint32) {
			st.alive()
			out := bytesToInt16(output, int(frames)*channels)
			for len(out) > 0 {
				if len(st.rest) == 0 {
					fill(st.pcm)
					st.rest = st.pcm
				}
				n := copy(out, st.rest)
				out, st.rest = out[n:], st.rest[n:]
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSpeaker, err)
	}
	return st, nil
}

func (s *System) open(kind malgo.DeviceType, id string, channels int, st *Stream, cb malgo.DeviceCallbacks) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return ErrNoSoundSystem
	}
	cfg, devID, err := s.config(kind, id, channels)
	if err != nil {
		return err
	}
	cb.Stop = func() { st.once.Do(func() { close(st.stopped) }) }
	dev, err := malgo.InitDevice(s.ctx.Context, cfg, cb)
	_ = devID // kept alive until InitDevice copied it
	if err != nil {
		return err
	}
	st.dev = dev
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return err
	}
	go st.watch()
	return nil
}
