package bench

import (
	"fmt"
	"math"
	"strings"
)

// Echo cancellation in simulated rooms: `make bench` runs media/aec/room's
// BenchmarkSpeexDSPRooms (speexdsp with its preprocessor, with and without
// automatic gain) and media/aec/res's BenchmarkRooms (the app's canceller:
// speexdsp's filter with Peercall's residual echo suppressor) with the
// other Go benchmarks
// (go.txt); each sub-benchmark is one canceller in one room and reports
// erle-dB, erle-p10-dB, and where they apply recovery-s and sdr-dB.

// Targets for every room, as media/aec/room's tests state them.
const (
	echoTargetERLE     = 45.0
	echoTargetERLEP10  = 35.0
	echoTargetRecovery = 1.0
	echoTargetSDR      = 12.0
)

// echoRow is one canceller in one room.
type echoRow struct {
	canceller, room string
	m               map[string]float64
}

// echoRows picks the room benchmarks out of the Go benchmarks, in order.
func echoRows(r *Report) []echoRow {
	var rows []echoRow
	for _, g := range r.GoBench {
		var canceller, roomName string
		switch {
		case g.Package == "peercall/media/aec/room" && strings.HasPrefix(g.Name, "BenchmarkSpeexDSPRooms/"):
			sub, rm, ok := strings.Cut(strings.TrimPrefix(g.Name, "BenchmarkSpeexDSPRooms/"), "/")
			if !ok {
				continue
			}
			canceller, roomName = "speexdsp with its preprocessor, "+strings.ReplaceAll(sub, "_", " "), rm
			if sub == "preprocessor" {
				canceller = "speexdsp with its preprocessor (noise suppression, automatic gain)"
			}
		case g.Package == "peercall/media/aec/res" && strings.HasPrefix(g.Name, "BenchmarkRooms/"):
			canceller, roomName = "the app's: speexdsp's filter + Peercall's suppressor (media/aec/res)", strings.TrimPrefix(g.Name, "BenchmarkRooms/")
		default:
			continue
		}
		rows = append(rows, echoRow{canceller, strings.ReplaceAll(roomName, "_", " "), g.Metrics})
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
	b.WriteString("`go test -run '^$' -bench Rooms ./media/aec/room ./media/aec/res`: espeak-ng speech played\n")
	b.WriteString("through a laptop speaker (high-pass at 250 Hz) into rooms of RT60 300 ms, echo at −6 dB of\n")
	b.WriteString("the far end, −60 dBFS microphone noise, 33 s each, fed to the canceller frame by frame;\n")
	b.WriteString("media/aec/room's package doc defines every figure. Rooms: reverberation alone; the speaker\n")
	b.WriteString("at 5 % distortion; the laptop moved mid-call (a new echo path); the capture 40 ms late;\n")
	b.WriteString("double talk (the local talker 40 % of the time); all of these at once. ERLE is the mean\n")
	fmt.Fprintf(&b, "over the far-end-only 1 s windows after 3 s (target ≥ %.0f dB; 10th percentile ≥ %.0f dB);\n", echoTargetERLE, echoTargetERLEP10)
	fmt.Fprintf(&b, "recovery is the time back to 20 dB after the path changes (≤ %.0f s); SDR is the local voice\n", echoTargetRecovery)
	fmt.Fprintf(&b, "against what remains of the rest in double talk (≥ %.0f dB).\n\n", echoTargetSDR)
	b.WriteString("| canceller | room | ERLE mean | ERLE p10 | recovery | local voice SDR |\n|---|---|---|---|---|---|\n")
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
		fmt.Fprintf(&b, "| %s | %s | %s dB | %s dB | %s | %s |\n", row.canceller, row.room,
			mark(row.m["erle-dB"], echoTargetERLE, true), mark(row.m["erle-p10-dB"], echoTargetERLEP10, true), rec, sdr)
	}
	b.WriteString("\nBold: short of the target. Cost per 10 ms frame at 48 kHz (Go benchmarks above):")
	for _, c := range []struct{ pkg, name, what string }{
		{"peercall/media/aec", "BenchmarkPlaybackCapture/aec+ns+agc", "speexdsp with its preprocessor"},
		{"peercall/media/aec/res", "BenchmarkCanceller", "speexdsp's filter + Peercall's suppressor"},
	} {
		for _, g := range r.GoBench {
			if g.Package == c.pkg && g.Name == c.name {
				fmt.Fprintf(&b, " %s %.0f µs;", c.what, g.Metrics["ns/op"]/1000)
			}
		}
	}
	b.WriteString("\n")
	return b.String()
}
