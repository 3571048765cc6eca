package bench

import (
	"fmt"
	"strings"

	"peercall/media/quality"
)

// Full-stack picture quality: `make bench` runs e2e's BenchmarkCallQuality,
// which sends camera-like clips through two-process calls on a clean and a
// lossy link and writes, for each, the received pictures measured against
// the sent ones (media/quality) to quality.json; the report turns it into
// the section on picture quality.

// QualityRun is one clip sent over one link.
type QualityRun struct {
	Clip    string  `json:"clip"`
	Link    string  `json:"link"`
	LossPct float64 `json:"loss_pct"` // random loss, each way
	Seconds int     `json:"seconds"`
	// Width, Height and FPS are the clip's.
	Width  int `json:"width"`
	Height int `json:"height"`
	FPS    int `json:"fps"`
	// Result is the received pictures against the sent ones, Scene
	// against the same clip filmed without sensor noise.
	Result quality.Result `json:"result"`
	Scene  quality.Result `json:"scene"`
	// DecodedFPS and LongestFreezeMs are the receiver's statistics.
	DecodedFPS      float64 `json:"decoded_fps"`
	LongestFreezeMs float64 `json:"longest_freeze_ms"`
	// LinkKbps is what the clip's direction of the link carried.
	LinkKbps float64 `json:"link_kbps"`
}

// qualityMarkdown is the section on full-stack picture quality.
func qualityMarkdown(runs []QualityRun) string {
	var b strings.Builder
	b.WriteString("\n## Picture quality through a call\n\n")
	b.WriteString("`go test -run '^$' -bench CallQuality -benchtime 1x ./e2e`: a camera-like clip, a photograph\n")
	b.WriteString("(mate-backgrounds' Blinds.jpg) filmed at 640×480@30 for 10 s and looped — a moving camera\n")
	b.WriteString("(panning across 15 % of the photograph and closing in by 25 %, there and back, sensor noise\n")
	b.WriteString("σ 2 levels) and a still camera in a dim room (σ 4) — sent by `peercall invite --source` for\n")
	b.WriteString(fmt.Sprintf("%d s to a `peercall join --video-out` through Peercall's link emulator (40 ± 5 ms each way,\n", secondsOf(runs)))
	b.WriteString("jitter that reorders; clean, or with 5 % random loss each way). Each picture received is\n")
	b.WriteString("matched to the one sent by the number marked in its top band and compared below the band:\n")
	b.WriteString("PSNR over Y, Cb and Cr together, SSIM on luma (8×8 windows every 4 pixels), mean and 5th\n")
	b.WriteString("percentile over the pictures; repeated and skipped pictures, and the receiver's longest\n")
	b.WriteString("freeze, as a viewer would notice them. \"Against the scene\": the same pictures against the\n")
	b.WriteString("clip filmed without sensor noise, which is what a viewer wants to see.\n\n")
	b.WriteString("| clip | link | pictures received | PSNR mean / 5th pct | SSIM mean / 5th pct | against the scene: PSNR / SSIM | repeated | skipped | unreadable | longest freeze | decoded | on the link |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, q := range runs {
		r := q.Result
		fmt.Fprintf(&b, "| %s | %s | %d | %.2f / %.2f dB | %.4f / %.4f | %.2f dB / %.4f | %d | %d | %d | %.0f ms | %.1f fps | %.0f kbit/s |\n",
			q.Clip, q.Link, r.Received, r.PSNRMean, r.PSNRP5, r.SSIMMean, r.SSIMP5, q.Scene.PSNRMean, q.Scene.SSIMMean, r.Repeated, r.Skipped, r.Unread,
			q.LongestFreezeMs, q.DecodedFPS, q.LinkKbps)
	}
	return b.String()
}

func secondsOf(runs []QualityRun) int {
	if len(runs) == 0 {
		return 0
	}
	return runs[0].Seconds
}
