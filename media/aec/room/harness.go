package room

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The echo canceller Peercall wants: in every room, ERLE ≥ TargetERLE
// (mean) and ≥ TargetERLEP10 (10th percentile), back at 20 dB within
// TargetRecovery seconds of a path change, and the local voice at
// ≥ TargetSDR during double talk.
const (
	TargetERLE     = 45.0
	TargetERLEP10  = 35.0
	TargetRecovery = 1.0
	TargetSDR      = 12.0
)

// Scene lengths: ShortSeconds for go test (with the path change at 6 s and
// three double-talk spurts), FullSeconds for the benchmarks' tables.
const (
	ShortSeconds = 18
	FullSeconds  = 33
)

// spokenVoices renders the two talkers once per test binary, in a directory
// of its own that is removed again at once.
var spokenVoices = sync.OnceValues(func() (*Voices, error) {
	dir, err := os.MkdirTemp("", "peercall-room-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	return Speak(dir)
})

// TestVoices is the two talkers for a test or benchmark, rendered once per
// test binary; without espeak-ng the test is skipped.
func TestVoices(tb testing.TB) *Voices {
	tb.Helper()
	v, err := spokenVoices()
	if errors.Is(err, ErrNoEspeak) {
		tb.Skipf("skipped: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// Floor is the least a canceller must keep in a room: ERLE mean and 10th
// percentile (dB), the longest recovery (s) and the least local-voice SDR
// (dB). NaN leaves a figure unchecked.
type Floor struct{ ERLE, P10, Recovery, SDR float64 }

// CheckFloors fails t where a result falls below its room's floor and
// logs, for every room, how far it is from the targets.
func CheckFloors(t testing.TB, name string, results []Result, floors map[string]Floor) {
	t.Helper()
	for _, r := range results {
		f, ok := floors[r.Room]
		if !ok {
			t.Errorf("%s: no floor for room %q", name, r.Room)
			continue
		}
		if !math.IsNaN(f.ERLE) && !(r.ERLEMean >= f.ERLE) {
			t.Errorf("%s, %s: ERLE %.1f dB, want ≥ %.1f dB (target %.0f dB)", name, r.Room, r.ERLEMean, f.ERLE, TargetERLE)
		}
		if !math.IsNaN(f.P10) && !(r.ERLEP10 >= f.P10) {
			t.Errorf("%s, %s: 10th-percentile ERLE %.1f dB, want ≥ %.1f dB (target %.0f dB)", name, r.Room, r.ERLEP10, f.P10, TargetERLEP10)
		}
		if !math.IsNaN(f.Recovery) && !(r.Recovery <= f.Recovery) {
			t.Errorf("%s, %s: back to 20 dB after %.2f s, want ≤ %.0f s (target %.0f s)", name, r.Room, r.Recovery, f.Recovery, TargetRecovery)
		}
		if !math.IsNaN(f.SDR) && !(r.SDR >= f.SDR) {
			t.Errorf("%s, %s: local voice SDR %.1f dB, want ≥ %.1f dB (target %.0f dB)", name, r.Room, r.SDR, f.SDR, TargetSDR)
		}
		if gaps := Gaps(r); gaps != "" {
			t.Logf("%s, %s: short of the target by %s", name, r.Room, gaps)
		}
	}
}

// Gaps lists how far r falls short of each target, or "".
func Gaps(r Result) string {
	var g []string
	if d := TargetERLE - r.ERLEMean; d > 0 {
		g = append(g, fmt.Sprintf("%.1f dB of ERLE", d))
	}
	if d := TargetERLEP10 - r.ERLEP10; d > 0 {
		g = append(g, fmt.Sprintf("%.1f dB of 10th-percentile ERLE", d))
	}
	switch {
	case math.IsInf(r.Recovery, 1):
		g = append(g, "a recovery (not back at 20 dB before the scene ends)")
	case r.Recovery > TargetRecovery:
		g = append(g, fmt.Sprintf("%.2f s of recovery", r.Recovery-TargetRecovery))
	}
	if d := TargetSDR - r.SDR; d > 0 {
		g = append(g, fmt.Sprintf("%.1f dB of local-voice SDR", d))
	}
	return strings.Join(g, ", ")
}

// Bench runs every subject in every scene as sub-benchmarks of b named
// subject/room (spaces as underscores; ns/op is the time to process one
// scene), each reporting erle-dB, erle-p10-dB, where they apply
// recovery-s (999 for never) and sdr-dB, and µs/frame: the CPU time the
// thread running the scene used per 10 ms frame (Playback, Capture and
// the driving loop; other processes on the machine do not count). It
// returns Markdown: under title, a table per subject followed by its mean
// CPU time per frame.
func Bench(b *testing.B, title string, subs []Subject, scenes []*Scene) string {
	var doc strings.Builder
	for _, sub := range subs {
		var results []Result
		var total time.Duration
		var frames int
		for _, s := range scenes {
			b.Run(strings.ReplaceAll(sub.Name+"/"+s.Room.Name, " ", "_"), func(b *testing.B) {
				var out []int16
				var took time.Duration
				n := len(s.Mic) / FrameSamples
				for b.Loop() {
					c, err := sub.New()
					if err != nil {
						b.Fatal(err)
					}
					runtime.LockOSThread()
					start := threadCPU()
					out = s.Run(c)
					took = threadCPU() - start
					runtime.UnlockOSThread()
					if cl, ok := c.(io.Closer); ok {
						cl.Close()
					}
				}
				total += took
				frames += n
				r := s.Measure(out, sub.Latency)
				results = append(results, r)
				b.ReportMetric(float64(took.Microseconds())/float64(n), "µs/frame")
				b.ReportMetric(r.ERLEMean, "erle-dB")
				b.ReportMetric(r.ERLEP10, "erle-p10-dB")
				if !math.IsNaN(r.Recovery) {
					b.ReportMetric(min(r.Recovery, 999), "recovery-s")
				}
				if !math.IsNaN(r.SDR) {
					b.ReportMetric(r.SDR, "sdr-dB")
				}
			})
		}
		fmt.Fprintf(&doc, "\n%s, %s:\n\n", title, sub.Name)
		Table(&doc, results)
		if frames > 0 {
			fmt.Fprintf(&doc, "\nCPU time: %.0f µs per 10 ms frame (mean over the rooms).\n", float64(total.Microseconds())/float64(frames))
		}
	}
	return doc.String()
}

// WriteTables logs Bench's Markdown under a line naming the rooms and the
// targets, and writes it to path too unless path is "".
func WriteTables(b *testing.B, doc, path string) {
	head := fmt.Sprintf("Echo cancellation in simulated rooms (%d s each; targets: ERLE ≥ %.0f dB mean and ≥ %.0f dB 10th percentile, back to 20 dB within %.0f s, local voice ≥ %.0f dB SDR).\n",
		FullSeconds, TargetERLE, TargetERLEP10, TargetRecovery, TargetSDR)
	b.Logf("\n%s%s", head, doc)
	if path != "" {
		if err := os.WriteFile(path, []byte(head+doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// OutputLag measures how many samples c's output lags its input, for a
// canceller that does not state it: with silence played, it captures 2 s
// of white noise and returns the lag, up to 2000 samples, at which the
// output from 1.5 s on correlates best with the microphone.
func OutputLag(c Canceller) int {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2 * Rate
	mic := make([]int16, n)
	for i := range mic {
		mic[i] = int16(rng.NormFloat64() * 3000)
	}
	out := make([]int16, n)
	silence := make([]int16, FrameSamples)
	for i := 0; i+FrameSamples <= n; i += FrameSamples {
		c.Playback(silence)
		c.Capture(mic[i:i+FrameSamples], out[i:i+FrameSamples])
	}
	best, lag := math.Inf(-1), 0
	for l := 0; l <= 2000; l++ {
		var s float64
		for i := 3 * Rate / 2; i+l < n; i++ {
			s += float64(mic[i]) * float64(out[i+l])
		}
		if s > best {
			best, lag = s, l
		}
	}
	return lag
}
