package room

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Canceller is an echo canceller as the app drives it, one 10 ms frame
// (FrameSamples mono 16-bit samples at Rate) at a time: Playback with every
// frame handed to the speaker, then Capture with the microphone frame,
// which writes the cleaned frame to out. *aec.Canceller satisfies it; a
// canceller that works on floats converts (full scale is 32768).
type Canceller interface {
	Playback(far []int16)
	Capture(mic, out []int16)
}

// Run feeds the scene to c in lockstep, Playback then Capture for every
// frame, as a playout and a capture callback running in step would, and
// returns the output. The scene's own Room.CaptureDelay stands for the
// capture side running late.
func (s *Scene) Run(c Canceller) []int16 {
	out := make([]int16, len(s.Mic))
	for i := 0; i+FrameSamples <= len(s.Mic); i += FrameSamples {
		c.Playback(s.Far[i : i+FrameSamples])
		c.Capture(s.Mic[i:i+FrameSamples], out[i:i+FrameSamples])
	}
	return out
}

// Subject is a canceller under test.
type Subject struct {
	Name string
	// New makes a fresh canceller for each scene; if it is an io.Closer it
	// is closed after the scene.
	New func() (Canceller, error)
	// Latency is how many samples Capture's output lags its input (480
	// for media/aec with its preprocessor running).
	Latency int
}

// Evaluate runs a fresh canceller from sub through every scene and
// measures it.
func Evaluate(sub Subject, scenes []*Scene) ([]Result, error) {
	var res []Result
	for _, s := range scenes {
		c, err := sub.New()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sub.Name, err)
		}
		out := s.Run(c)
		if cl, ok := c.(io.Closer); ok {
			cl.Close()
		}
		res = append(res, s.Measure(out, sub.Latency))
	}
	return res, nil
}

// RenderAll renders every room with the voices.
func RenderAll(rooms []Room, v *Voices) ([]*Scene, error) {
	scenes := make([]*Scene, len(rooms))
	for i, r := range rooms {
		s, err := Render(r, v)
		if err != nil {
			return nil, err
		}
		scenes[i] = s
	}
	return scenes, nil
}

// Table writes results as a Markdown table, one row per room.
func Table(w io.Writer, results []Result) error {
	var b strings.Builder
	b.WriteString("| room | ERLE mean | ERLE p10 | worst 1 s | windows | ceiling | back to 20 dB after the change | local voice SDR | local voice level |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range results {
		rec := "—"
		switch {
		case math.IsInf(r.Recovery, 1):
			rec = "not back"
		case !math.IsNaN(r.Recovery):
			rec = fmt.Sprintf("%.2f s", r.Recovery)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %s | %s | %s |\n", r.Room,
			db(r.ERLEMean), db(r.ERLEP10), db(r.ERLEMin), r.Windows, db(r.Ceiling), rec, db(r.SDR), signedDB(r.NearGain))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func db(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.1f dB", v)
}

func signedDB(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%+.1f dB", v)
}
