package room

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoEspeak is returned by Speak and Talker.Render when the espeak-ng
// program is not installed.
var ErrNoEspeak = errors.New("room: espeak-ng is not installed (Debian package espeak-ng; scripts/deps.sh installs it)")

// Talker is one synthetic talker: an espeak-ng voice reading sentences.
type Talker struct {
	Name  string   // file name stem of the rendered WAV
	Voice string   // espeak-ng -v, e.g. "en-gb+m3"
	Pitch int      // espeak-ng -p, 0 to 99
	Speed int      // espeak-ng -s, words per minute
	Text  []string // the sentences, read in order
}

// FarTalker is the far end: a low British-English male voice reading the
// first ten Harvard sentences (IEEE 1969, list 1), about 25 s.
var FarTalker = Talker{
	Name: "far", Voice: "en-gb+m3", Pitch: 35, Speed: 165,
	Text: []string{
		"The birch canoe slid on the smooth planks.",
		"Glue the sheet to the dark blue background.",
		"It's easy to tell the depth of a well.",
		"These days a chicken leg is a rare dish.",
		"Rice is often served in round bowls.",
		"The juice of lemons makes fine punch.",
		"The box was thrown beside the parked truck.",
		"The hogs were fed chopped corn and garbage.",
		"Four hours of steady work faced us.",
		"A large size in stockings is hard to sell.",
	},
}

// NearTalker is the local talker: a higher American-English female voice
// reading Harvard list 2.
var NearTalker = Talker{
	Name: "near", Voice: "en-us+f3", Pitch: 60, Speed: 175,
	Text: []string{
		"The boy was there when the sun rose.",
		"A rod is used to catch pink salmon.",
		"The source of the huge river is the clear spring.",
		"Kick the ball straight and follow through.",
		"Help the woman get back to her feet.",
		"A pot of tea helps to pass the evening.",
		"Smoky fires lack flame and heat.",
		"The soft cushion broke the man's fall.",
		"The salt breeze came across from the sea.",
		"The girl at the booth sold fifty bonds.",
	},
}

// Voices holds the two talkers' speech at 48 kHz, full scale 1.0, at the
// level espeak-ng made it (Render scales it).
type Voices struct {
	Far, Near []float64
}

// Speak renders FarTalker and NearTalker with espeak-ng into dir (which
// must exist; the WAV files are left there) and returns them at 48 kHz.
func Speak(dir string) (*Voices, error) {
	far, err := FarTalker.Render(dir)
	if err != nil {
		return nil, err
	}
	near, err := NearTalker.Render(dir)
	if err != nil {
		return nil, err
	}
	return &Voices{Far: far, Near: near}, nil
}

// Render has espeak-ng read the talker's sentences into dir/Name.wav (at
// espeak-ng's own rate, 22050 Hz) and returns the speech resampled to
// 48 kHz with Resample.
func (t Talker) Render(dir string) ([]float64, error) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, ErrNoEspeak
	}
	path := filepath.Join(dir, t.Name+".wav")
	cmd := exec.Command(bin, "-v", t.Voice, "-p", strconv.Itoa(t.Pitch), "-s", strconv.Itoa(t.Speed),
		"-w", path, strings.Join(t.Text, " "))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("room: espeak-ng %s: %w: %s", t.Voice, err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pcm, rate, err := parseWAV(data)
	if err != nil {
		return nil, fmt.Errorf("room: espeak-ng %s: %w", t.Voice, err)
	}
	if len(pcm) == 0 {
		return nil, fmt.Errorf("room: espeak-ng %s wrote no audio", t.Voice)
	}
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v) / 32768
	}
	return Resample(x, rate, Rate), nil
}

// parseWAV reads a 16-bit mono PCM WAV file, walking its chunks. A data
// chunk whose size runs past the end of the file (as when the writer could
// not seek back to fill it in) is read to the end.
func parseWAV(data []byte) (pcm []int16, rate int, err error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	var haveFmt bool
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4:]))
		body := data[p+8:]
		if size > len(body) || size < 0 {
			size = len(body)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels := binary.LittleEndian.Uint16(body[2:])
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			depth := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || depth != 16 || rate <= 0 {
				return nil, 0, fmt.Errorf("want 16-bit mono PCM, have format %d, %d channels, %d bits", format, channels, depth)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, errors.New("data before fmt")
			}
			pcm = make([]int16, len(body)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		p += 8 + size + size&1
	}
	return nil, 0, errors.New("no data chunk")
}
