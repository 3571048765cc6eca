package bench

import (
	"fmt"
	"strings"
)

// The denoiser's worth: `make bench` runs media/vp8's BenchmarkDenoiser
// with the other Go benchmarks (go.txt); each of its results is a clip, a
// rate and a denoiser level, named "BenchmarkDenoiser/CLIP/RATEk/denoiseN".

// denoiseMarkdown is the section on the VP8 denoiser, or "" when the
// benchmark did not run.
func denoiseMarkdown(r *Report) string {
	type row struct{ clip, rate, level string }
	var rows []row
	metrics := map[row]map[string]float64{}
	for _, g := range r.GoBench {
		rest, ok := strings.CutPrefix(g.Name, "BenchmarkDenoiser/")
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) != 3 {
			continue
		}
		k := row{parts[0], strings.TrimSuffix(parts[1], "k"), strings.TrimPrefix(parts[2], "denoise")}
		rows = append(rows, k)
		metrics[k] = g.Metrics
	}
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## The VP8 denoiser on camera pictures\n\n")
	b.WriteString("`go test -run '^$' -bench Denoiser ./media/vp8`: a photograph (mate-backgrounds' Blinds.jpg)\n")
	b.WriteString("filmed at 640×480@30 for 5 s by a still camera with sensor noise of σ 4 levels (a dim room) or\n")
	b.WriteString("σ 2, and by a camera panning across 15 % of it and closing in by 25 % (σ 2); coded twice over\n")
	b.WriteString("at a fixed rate with the call's encoder settings, the second pass decoded and compared with\n")
	b.WriteString("the clip as sent and with the scene (the same clip filmed without noise), PSNR over Y, Cb and\n")
	b.WriteString("Cr, SSIM on luma (media/quality). Levels: 0 off, 1 luma, 2 luma and chroma, 4 libvpx's\n")
	b.WriteString("adaptive mode; auto is what Peercall does for a camera: 2 while it stands still, off while\n")
	b.WriteString("media/motion finds the whole picture moving.\n\n")
	b.WriteString("| camera | rate | denoiser | sent | PSNR against the scene | SSIM against the scene | PSNR against the clip sent |\n|---|---|---|---|---|---|---|\n")
	for _, k := range rows {
		m := metrics[k]
		fmt.Fprintf(&b, "| %s | %s kbit/s | %s | %s kbit/s | %.2f dB | %.4f | %.2f dB |\n",
			k.clip, k.rate, k.level, f0(m["kbps"]), m["psnr-scene-dB"], m["ssim-scene"], m["psnr-sent-dB"])
	}
	return b.String()
}
