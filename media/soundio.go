package media

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"os"
	"sync"
	"time"

	"peercall/media/aec"
	"peercall/media/aec/res"
	"peercall/media/opus"
	"peercall/media/sound"
)

// EchoCanceller removes from the microphone what the speaker played into
// it. Playback is called from the playout thread with every 10 ms frame
// handed to the speaker, Capture from the capture thread with every 10 ms
// microphone frame; the two may run at the same time.
type EchoCanceller interface {
	Playback(far []int16)
	Capture(mic, out []int16)
	// CaptureRef is Capture that also hands out, in played, the frame
	// used as the speaker's reference.
	CaptureRef(mic, out, played []int16)
	Stats() aec.Stats
	Close() error
}

// NewEchoCanceller makes the canceller shared by a call's microphone and
// speaker: speexdsp's adaptive filter followed by Peercall's residual echo
// suppressor with noise suppression (media/aec/res), and no automatic
// gain, which would lift what is left of the echo. Chosen by measurement
// in media/aec/room's rooms against WebRTC's AEC2 and AEC3, which remove
// as much echo but keep 14 dB less of the local voice while both talk.
//
// With EchoDumpEnv set, what the canceller is handed and gives back is
// also written to files.
func NewEchoCanceller() (EchoCanceller, error) {
	c, err := res.New(res.DefaultParams)
	if err != nil {
		return nil, err
	}
	if d := openEchoDump(); d != nil {
		echoDumps.Store(c, d)
	}
	return c, nil
}

// echoDumps holds the dump of each canceller made while EchoDumpEnv is set.
var echoDumps sync.Map // EchoCanceller → *echoDump

// dumpOf returns the dump of canceller, or nil.
func dumpOf(canceller EchoCanceller) *echoDump {
	if canceller == nil {
		return nil
	}
	d, _ := echoDumps.Load(canceller)
	dump, _ := d.(*echoDump)
	return dump
}

// MicInput is the microphone, cleaned by the echo canceller when there is
// one, cut into 20 ms frames.
type MicInput struct {
	stream *sound.Stream
	frames chan []int16
	free   chan []int16
	// Device thread only:
	acc   []int16
	clean []int16
	ref   []int16 // the canceller's reference, for the dump
	dump  *echoDump
	done  chan struct{}
	once  sync.Once
}

// micQueue is how many 20 ms frames may wait for the encoder before the
// oldest is dropped: latency beats completeness.
const micQueue = 4

// NewMicInput opens the microphone id ("" for the default).
func NewMicInput(sys *sound.System, id string, canceller EchoCanceller) (*MicInput, error) {
	m := &MicInput{
		frames: make(chan []int16, micQueue),
		free:   make(chan []int16, micQueue+2),
		acc:    make([]int16, 0, AudioFrameSamples),
		clean:  make([]int16, OutputFrameSamples),
		ref:    make([]int16, OutputFrameSamples),
		dump:   dumpOf(canceller),
		done:   make(chan struct{}),
	}
	for range micQueue + 2 {
		m.free <- make([]int16, AudioFrameSamples)
	}
	st, err := sys.OpenCapture(id, func(frame []int16) {
		if canceller != nil {
			if m.dump != nil {
				canceller.CaptureRef(frame, m.clean, m.ref)
				m.dump.capture(frame, m.ref, m.clean)
			} else {
				canceller.Capture(frame, m.clean)
			}
			frame = m.clean
		}
		m.acc = append(m.acc, frame...)
		if len(m.acc) < AudioFrameSamples {
			return
		}
		var buf []int16
		select {
		case buf = <-m.free:
		default:
			select {
			case buf = <-m.frames: // drop the oldest
			default:
				m.acc = m.acc[:0]
				return
			}
		}
		copy(buf, m.acc)
		m.acc = m.acc[:0]
		select {
		case m.frames <- buf:
		default:
			m.free <- buf
		}
	})
	if err != nil {
		return nil, err
	}
	m.stream = st
	return m, nil
}

// ReadFrame returns the next 20 ms of the microphone.
func (m *MicInput) ReadFrame(ctx context.Context, pcm []int16) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-m.done:
		return errSourceClosed
	case <-m.stream.Stopped():
		return ErrMicrophoneStopped
	case buf := <-m.frames:
		copy(pcm, buf)
		m.free <- buf
		return nil
	}
}

// Stopped is closed when the microphone goes away.
func (m *MicInput) Stopped() <-chan struct{} { return m.stream.Stopped() }

// Close releases the microphone.
func (m *MicInput) Close() error {
	m.once.Do(func() {
		close(m.done)
		m.stream.Close()
		if m.dump != nil {
			m.dump.close()
		}
	})
	return nil
}

// Name reports "mic".
func (m *MicInput) Name() string { return "mic" }

// deviceLatency is the output buffering a device stream adds.
const deviceLatency = sound.PlaybackLatency

// DeviceOutput plays a Speaker on a sound device, telling the echo
// canceller what it played.
type DeviceOutput struct{ stream *sound.Stream }

// NewDeviceOutput opens the speaker id ("" for the default).
func NewDeviceOutput(sys *sound.System, id string, sp *Speaker, canceller EchoCanceller) (*DeviceOutput, error) {
	sp.SetOutputDelay(deviceLatency)
	dump := dumpOf(canceller)
	st, err := sys.OpenPlayback(id, 1, func(frame []int16) {
		sp.Pull(frame)
		if canceller != nil {
			canceller.Playback(frame)
			if dump != nil {
				dump.playback(frame)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return &DeviceOutput{stream: st}, nil
}

// Stopped is closed when the device goes away.
func (d *DeviceOutput) Stopped() <-chan struct{} { return d.stream.Stopped() }

// Close releases the device.
func (d *DeviceOutput) Close() error { return d.stream.Close() }

// PullOutput pulls a Speaker at the real-time rate without a device: into
// a WAV file, or nowhere (so the receive path still runs).
type PullOutput struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// NewFileOutput writes what the speaker plays to a 48 kHz mono WAV file.
func NewFileOutput(path string, sp *Speaker) (*PullOutput, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return startPull(sp, f), nil
}

// NewNullOutput pulls the speaker and drops the sound.
func NewNullOutput(sp *Speaker) *PullOutput { return startPull(sp, nil) }

func startPull(sp *Speaker, f *os.File) *PullOutput {
	ctx, cancel := context.WithCancel(context.Background())
	p := &PullOutput{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var w *wavWriter
		if f != nil {
			w = newWavWriter(f)
		}
		pcm := make([]int16, OutputFrameSamples)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				if w != nil {
					p.err = w.Close()
				}
				return
			case <-tick.C:
				sp.Pull(pcm)
				if w != nil {
					w.Write(pcm)
				}
			}
		}
	}()
	return p
}

// Close stops pulling and finishes the file.
func (p *PullOutput) Close() error {
	p.cancel()
	<-p.done
	return p.err
}

// wavWriter writes 48 kHz mono 16-bit PCM as a WAV file, fixing the sizes
// in the header on Close.
type wavWriter struct {
	f     *os.File
	w     *bufio.Writer
	bytes uint32
	err   error
}

func newWavWriter(f *os.File) *wavWriter {
	w := &wavWriter{f: f, w: bufio.NewWriter(f)}
	w.header(0)
	return w
}

func (w *wavWriter) header(dataBytes uint32) {
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], opus.SampleRate)
	binary.LittleEndian.PutUint32(h[28:], opus.SampleRate*2)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	if _, err := w.w.Write(h[:]); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *wavWriter) Write(pcm []int16) {
	if w.err != nil {
		return
	}
	if err := binary.Write(w.w, binary.LittleEndian, pcm); err != nil {
		w.err = err
	}
	w.bytes += uint32(2 * len(pcm))
}

func (w *wavWriter) Close() error {
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	if _, err := w.f.Seek(0, io.SeekStart); err == nil {
		w.w.Reset(w.f)
		w.header(w.bytes)
		w.w.Flush()
	}
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}
