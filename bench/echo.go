package bench

import (
	"fmt"
	"math"
	"strings"
)

// Echo cancellation in simulated rooms: `make bench` runs, with the other
// Go benchmarks (go.txt), media/aec/res's BenchmarkRooms (the app's
// canceller: speexdsp's filter with Peercall's residual echo suppressor),
// media/aec/room's BenchmarkSpeexDSPRooms (speexdsp with its preprocessor,
// with and without automatic gain) and media/aec/aec2's BenchmarkAEC2Rooms
// (WebRTC's AEC2 from webrtc-audio-processing 0.3 in thirteen settings).
// Each sub-benchmark, BENCH/SUBJECT/ROOM, is one canceller in one room
// and reports erle-dB, erle-p10-dB, µs/frame, and where they apply
// recovery-s and sdr-dB (media/aec/room's Bench).

// Targets for every room, as media/aec/room states them.
const (
	echoTargetERLE     = 45.0
	echoTargetERLEP10  = 35.0
	echoTargetRecovery = 1.0
	echoTargetSDR      = 12.0
)

// echoSubjects are the cancellers the report shows, by package and
// benchmark, with the settings kept (all when nil) and how each is named.
var echoSubjects = []struct {
	pkg, bench string
	keep       map[string]string // subject kept → its name in the table
}{
	{"peercall/media/aec/res", "BenchmarkRooms", map[string]string{
		"speexdsp filter + res": "Peercall (the app's): speexdsp's filter + Peercall's suppressor"}},
	{"peercall/media/aec/room", "BenchmarkSpeexDSPRooms", map[string]string{
		"preprocessor": "speexdsp with its preprocessor (noise suppression, automatic gain)",
		"AGC off":      "speexdsp with its preprocessor, automatic gain off"}},
	{"peercall/media/aec/aec2", "BenchmarkAEC2Rooms", map[string]string{
		"suppression high, noise suppression high": "webrtc-audio-processing 0.3 (AEC2), high suppression, high noise suppression",
		"suppression low, noise suppression off":   "webrtc-audio-processing 0.3 (AEC2), low suppression, no noise suppression"}},
}

// echoRow is one canceller in one room.
type echoRow struct {
	canceller, room string
	m               map[string]float64
}

// echoRows picks the room benchmarks out of the Go benchmarks, canceller
// by canceller in echoSubjects' order.
func echoRows(r *Report) []echoRow {
	var rows []echoRow
	for _, want := range echoSubjects {
		for _, g := range r.GoBench {
			rest, ok := strings.CutPrefix(g.Name, want.bench+"/")
			if g.Package != want.pkg || !ok {
				continue
			}
			i := strings.LastIndexByte(rest, '/')
			if i < 0 {
				continue
			}
			sub, rm := strings.ReplaceAll(rest[:i], "_", " "), strings.ReplaceAll(rest[i+1:], "_", " ")
			name, ok := want.keep[sub]
			if !ok {
				continue
			}
			rows = append(rows, echoRow{name, rm, g.Metrics})
		}
	}
	return rows
}

// echoMarkdown is the section on echo cancellation, or "" without room
// benchmarks.
func echoMarkdown(r *Report) string {
	rows := echoRows(r)
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## Echo cancellation in simulated rooms\n\n")
	b.WriteString("`go test -run '^$' -bench Rooms ./media/aec/res ./media/aec/room ./media/aec/aec2`: espeak-ng speech played\n")
	b.WriteString("through a laptop speaker (high-pass at 250 Hz) into rooms of RT60 300 ms, echo at −6 dB of\n")
	b.WriteString("the far end, −60 dBFS microphone noise, 33 s each, fed to the canceller frame by frame;\n")
	b.WriteString("media/aec/room's package doc defines every figure. Rooms: reverberation alone; the speaker\n")
	b.WriteString("at 5 % distortion; the laptop moved mid-call (a new echo path); the capture 40 ms late;\n")
	b.WriteString("double talk (the local talker 40 % of the time); the microphone's clock 40 ppm fast (two\n")
	b.WriteString("sound devices keeping time apart); the first five at once. ERLE is the mean\n")
	fmt.Fprintf(&b, "over the far-end-only 1 s windows after 3 s (target ≥ %.0f dB; 10th percentile ≥ %.0f dB);\n", echoTargetERLE, echoTargetERLEP10)
	fmt.Fprintf(&b, "recovery is the time back to 20 dB after the path changes (≤ %.0f s); SDR is the local voice\n", echoTargetRecovery)
	fmt.Fprintf(&b, "against what remains of the rest in double talk (≥ %.0f dB).\n\n", echoTargetSDR)
	b.WriteString("| canceller | room | ERLE mean | ERLE p10 | recovery | local voice SDR | CPU per 10 ms frame |\n|---|---|---|---|---|---|---|\n")
	mark := func(v, goal float64, higher bool) string {
		s := fmt.Sprintf("%.1f", v)
		if (higher && v < goal) || (!higher && v > goal) {
			s = "**" + s + "**"
		}
		return s
	}
	for _, row := range rows {
		rec, sdr := "–", "–"
		if v, ok := row.m["recovery-s"]; ok {
			if v >= 999 {
				rec = "**not back**"
			} else {
				rec = mark(v, echoTargetRecovery, false) + " s"
			}
		}
		if v, ok := row.m["sdr-dB"]; ok && !math.IsNaN(v) {
			sdr = mark(v, echoTargetSDR, true) + " dB"
		}
		fmt.Fprintf(&b, "| %s | %s | %s dB | %s dB | %s | %s | %.0f µs |\n", row.canceller, row.room,
			mark(row.m["erle-dB"], echoTargetERLE, true), mark(row.m["erle-p10-dB"], echoTargetERLEP10, true), rec, sdr, row.m["µs/frame"])
	}
	b.WriteString("\nBold: short of the target. CPU is the time the thread running the room used per frame.\n")
	return b.String()
}
