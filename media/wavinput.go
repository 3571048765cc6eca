package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"
)

// maxWAVBytes bounds the sound file read into memory: an hour of 48 kHz
// 16-bit stereo.
const maxWAVBytes = 48000 * 2 * 2 * 3600

// ReadWAV reads a 16-bit PCM WAV file at 48 kHz, mono or stereo (mixed
// down to mono), as mono samples. Errors say in one line what the file is
// and what Peercall needs.
func ReadWAV(path string) ([]int16, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxWAVBytes {
		return nil, fmt.Errorf("%s: %w: %d MB, more than an hour of sound", path, ErrNotWAV, st.Size()>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pcm, err := parseWAV(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pcm, nil
}

// parseWAV reads the RIFF chunks: "fmt " must say 16-bit PCM at 48 kHz
// with one or two channels, and "data" holds the samples; other chunks
// are skipped.
func parseWAV(data []byte) ([]int16, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF/WAVE header", ErrNotWAV)
	}
	var channels, rate, bits int
	haveFmt := false
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4:]))
		body := data[p+8:]
		if size > len(body) {
			if id != "data" {
				return nil, fmt.Errorf("%w: the %q chunk is cut short", ErrNotWAV, id)
			}
			size = len(body) - len(body)%2 // a file whose writer stopped early
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: a format chunk of %d bytes", ErrNotWAV, size)
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			// WAVE_FORMAT_EXTENSIBLE names its sample format in the first
			// two bytes of a GUID; 1 is PCM.
			if format == 0xFFFE && size >= 26 {
				format = binary.LittleEndian.Uint16(body[24:])
			}
			if format != 1 {
				return nil, fmt.Errorf("%w: sample format %d, not PCM", ErrNotWAV, format)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: samples before the format chunk", ErrNotWAV)
			}
			if bits != 16 || rate != 48000 || channels < 1 || channels > 2 {
				return nil, fmt.Errorf("%w: %d-bit, %d Hz, %d channels; Peercall sends 16-bit 48000 Hz mono or stereo (sox in.wav -b 16 -r 48000 out.wav converts one)",
					ErrNotWAV, bits, rate, channels)
			}
			n := size / 2 / channels
			out := make([]int16, n)
			for i := range out {
				if channels == 1 {
					out[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
					continue
				}
				l := int32(int16(binary.LittleEndian.Uint16(body[4*i:])))
				r := int32(int16(binary.LittleEndian.Uint16(body[4*i+2:])))
				out[i] = int16((l + r) / 2)
			}
			return out, nil
		}
		p += 8 + size + size%2 // chunks are padded to an even length
	}
	return nil, fmt.Errorf("%w: no samples (no data chunk)", ErrNotWAV)
}

// WAVInput sends a sound file in place of the microphone, over and over,
// 20 ms at a time, paced by the clock.
type WAVInput struct {
	pcm    []int16
	pos    int
	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once
}

// NewWAVInput reads the file (ReadWAV) and starts its clock. A file with
// less than one frame of sound is refused.
func NewWAVInput(path string) (*WAVInput, error) {
	pcm, err := ReadWAV(path)
	if err != nil {
		return nil, err
	}
	if len(pcm) < AudioFrameSamples {
		return nil, fmt.Errorf("%s: %w: %d samples, less than one 20 ms frame", path, ErrNotWAV, len(pcm))
	}
	return &WAVInput{pcm: pcm, ticker: time.NewTicker(AudioFrame), done: make(chan struct{})}, nil
}

// ReadFrame waits for the next 20 ms and fills pcm with the file's next
// samples, going back to its start after the last.
func (w *WAVInput) ReadFrame(ctx context.Context, pcm []int16) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		return errSourceClosed
	case <-w.ticker.C:
	}
	for n := 0; n < len(pcm); {
		c := copy(pcm[n:], w.pcm[w.pos:])
		n += c
		w.pos += c
		if w.pos == len(w.pcm) {
			w.pos = 0
		}
	}
	return nil
}

// Close stops the clock.
func (w *WAVInput) Close() error {
	w.once.Do(func() {
		close(w.done)
		w.ticker.Stop()
	})
	return nil
}

// Name reports "file".
func (w *WAVInput) Name() string { return "file" }
