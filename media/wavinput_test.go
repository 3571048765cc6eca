package media

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wav builds a WAV file: the format chunk (format, channels, rate, bits),
// an extra chunk of odd length before the samples, and the samples.
func wav(format uint16, channels, rate, bits int, samples []int16) []byte {
	var b []byte
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	fmtSize := 16
	if format == 0xFFFE {
		fmtSize = 40
	}
	b = append(b, "fmt "...)
	le32(uint32(fmtSize))
	le16(format)
	le16(uint16(channels))
	le32(uint32(rate))
	le32(uint32(rate * channels * bits / 8))
	le16(uint16(channels * bits / 8))
	le16(uint16(bits))
	if format == 0xFFFE {
		le16(22)
		le16(uint16(bits))
		le32(0)
		le16(1) // PCM
		b = append(b, make([]byte, 14)...)
	}
	b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // odd size, padded
	b = append(b, "data"...)
	le32(uint32(2 * len(samples)))
	for _, s := range samples {
		le16(uint16(s))
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadWAVMonoAndStereo(t *testing.T) {
	mono := writeFile(t, "mono.wav", wav(1, 1, 48000, 16, []int16{1, -2, 3000}))
	got, err := ReadWAV(mono)
	if err != nil || len(got) != 3 || got[1] != -2 || got[2] != 3000 {
		t.Errorf("mono: %v, %v", got, err)
	}
	// Stereo is mixed down; WAVE_FORMAT_EXTENSIBLE names PCM in its GUID.
	stereo := writeFile(t, "stereo.wav", wav(0xFFFE, 2, 48000, 16, []int16{100, 300, -100, -300}))
	got, err = ReadWAV(stereo)
	if err != nil || len(got) != 2 || got[0] != 200 || got[1] != -200 {
		t.Errorf("stereo: %v, %v", got, err)
	}
}

func TestReadWAVRefusesWhatItCannotSend(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		says string
	}{
		{"not a WAV", []byte("ID3\x04 an mp3"), "no RIFF/WAVE header"},
		{"22 kHz", wav(1, 1, 22050, 16, make([]int16, 10)), "22050 Hz"},
		{"8-bit", wav(1, 1, 48000, 8, make([]int16, 10)), "8-bit"},
		{"float", wav(3, 1, 48000, 32, make([]int16, 10)), "not PCM"},
		{"no samples", []byte("RIFF\x04\x00\x00\x00WAVE"), "no data chunk"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "in.wav", c.data)
			_, err := ReadWAV(path)
			if !errors.Is(err, ErrNotWAV) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "in.wav") {
				t.Errorf("error %v, want ErrNotWAV naming the file and saying %q", err, c.says)
			}
		})
	}
}

// A file whose writer stopped early (its data chunk says more than is
// there) gives the samples that are there.
func TestReadWAVCutShort(t *testing.T) {
	data := wav(1, 1, 48000, 16, []int16{5, 6, 7, 8})
	path := writeFile(t, "cut.wav", data[:len(data)-3])
	got, err := ReadWAV(path)
	if err != nil || len(got) != 2 || got[1] != 6 {
		t.Errorf("%v, %v; want the two whole samples", got, err)
	}
}

// The file is sent 20 ms at a time, and again from its start after its
// end.
func TestWAVInputLoops(t *testing.T) {
	samples := make([]int16, AudioFrameSamples*3/2)
	for i := range samples {
		samples[i] = int16(i)
	}
	in, err := NewWAVInput(writeFile(t, "speech.wav", wav(1, 1, 48000, 16, samples)))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pcm := make([]int16, AudioFrameSamples)
	for frame := range 3 {
		if err := in.ReadFrame(ctx, pcm); err != nil {
			t.Fatal(err)
		}
		for i, s := range pcm {
			want := int16((frame*AudioFrameSamples + i) % len(samples))
			if s != want {
				t.Fatalf("frame %d, sample %d: %d, want %d", frame, i, s, want)
			}
		}
	}
	if in.Name() != "file" {
		t.Errorf("name %q", in.Name())
	}
	in.Close()
	if err := in.ReadFrame(ctx, pcm); !errors.Is(err, errEOF) {
		t.Errorf("read after Close: %v", err)
	}
	if _, err := NewWAVInput(writeFile(t, "short.wav", wav(1, 1, 48000, 16, make([]int16, 10)))); !errors.Is(err, ErrNotWAV) {
		t.Errorf("a file shorter than a frame: %v", err)
	}
}
