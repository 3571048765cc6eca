package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// The narrow-link file figure: `make bench` runs e2e's
// BenchmarkFileOverACappedLink, which sends a file during a call over a
// link capped in both directions (two network namespaces joined by
// e2e/linkemu) and writes what the transfer and the video did to
// filecap.json; the report turns it into a section of its own.

// FileCapRun is a file sent during a call over a capped link.
type FileCapRun struct {
	CapKbps   float64 `json:"cap_kbps"` // each way
	QueueMs   float64 `json:"queue_ms"` // the queue in front of the cap, at its rate
	DelayMs   float64 `json:"delay_ms"` // one way
	FileBytes int64   `json:"file_bytes"`
	Seconds   float64 `json:"seconds"` // from the joiner's first word of it to the file saved
	SHA256OK  bool    `json:"sha256_ok"`
	// The joiner's decoded frame rate over the transfer, the fewest
	// frames between two of its statistics lines, and the highest of
	// their latency medians.
	JoinerFPS       float64 `json:"joiner_fps_during"`
	JoinerFewest    uint64  `json:"joiner_fewest_frames_a_second"`
	LatencyP50MaxMs float64 `json:"latency_ms_p50_max"`
	// LinkPeakKbps is the most the link carried toward the joiner in a
	// quarter second of the transfer.
	LinkPeakKbps float64 `json:"link_peak_kbps"`
	// The sender's video target: the highest it reached during the
	// transfer, and the lowest share of the highest reached before it
	// at a statistics line that followed a full link (the file's doing).
	TargetHighestKbps float64 `json:"target_highest_kbps"`
	TargetKeptPct     float64 `json:"target_kept_pct"`
	// Cuts is how many cuts congestion control made during the transfer.
	Cuts    int    `json:"cuts"`
	Command string `json:"command"`
}

func fileCapMarkdown(f *FileCapRun) string {
	var b strings.Builder
	b.WriteString("\n## Sending a file over a narrow link\n\n")
	fmt.Fprintf(&b, "`%s`: a %s MB file sent with `--send-file` as a two-way\n", strings.TrimSpace(f.Command), f1(float64(f.FileBytes)/1e6))
	fmt.Fprintf(&b, "640×480@30 call starts, over a link of %s kbit/s each way with a %s ms queue and\n", f0(f.CapKbps), f0(f.QueueMs))
	fmt.Fprintf(&b, "%s ms of delay (network namespaces joined by e2e/linkemu): narrower than the video\n", f0(f.DelayMs))
	b.WriteString("and the file would take together. The video's target is the sender's; it is\n")
	b.WriteString("judged where the link was full in the two seconds before, as only then was a\n")
	b.WriteString("cut the file's doing.\n\n")
	b.WriteString("| figure | value |\n|---|---|\n")
	sum := checksumWord(f.SHA256OK)
	fmt.Fprintf(&b, "| transfer | %s s (%s kbit/s on average) |\n", strconv.FormatFloat(f.Seconds, 'f', 1, 64), f0(float64(f.FileBytes)*8/f.Seconds/1000))
	fmt.Fprintf(&b, "| SHA-256 of the saved file | %s |\n", sum)
	fmt.Fprintf(&b, "| the link toward the joiner, busiest quarter second | %s kbit/s |\n", f0(f.LinkPeakKbps))
	fmt.Fprintf(&b, "| video decoded by the joiner during the transfer | %s fps (at least %d frames a second) |\n", f1(f.JoinerFPS), f.JoinerFewest)
	fmt.Fprintf(&b, "| its latency, highest median of a second | %s ms |\n", f0(f.LatencyP50MaxMs))
	fmt.Fprintf(&b, "| sender's video target, highest during the transfer | %s kbit/s |\n", f0(f.TargetHighestKbps))
	fmt.Fprintf(&b, "| lowest share of it kept with the link full | %s %% |\n", f0(f.TargetKeptPct))
	fmt.Fprintf(&b, "| congestion control's cuts during the transfer | %d |\n", f.Cuts)
	b.WriteString("\nOnce the video has all it wants, the file probes for more and, on this link,\n")
	b.WriteString("fills the queue; congestion control cuts from what the path carried, the video's\n")
	b.WriteString("share and the file's, and the file halves and then stays under that rate. A cut\n")
	b.WriteString("from the video's share alone took its target to a fifth.\n")
	return b.String()
}
