package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Chromium as the anchor for Peercall's CPU: `make bench` runs e2e's
// BenchmarkChromiumCall640x480, and its output (chromium.txt) gives
// Chromium's CPU in two two-way 640×480@30 calls sending Peercall's test
// pattern: with itself, both ends in one page (halved per peer), and as the
// peer of a `peercall invite`, with that Peercall's CPU in the same call.
// Peercall's peers must cost less than Chromium's (issue 12, point 2).

// ChromiumRun is Chromium's figures in a two-way call.
type ChromiumRun struct {
	Version string `json:"version"`
	// Metrics are the benchmark's. Chromium with itself: cpu-%-all,
	// cpu-%-per-peer, send-kbps (all media on the connection, each end),
	// video-kbps, target-kbps, send-width, send-height, send-fps,
	// decoded-fps, encode-ms. Chromium and Peercall in one call:
	// peer-cpu-%, peer-send-kbps, peer-target-kbps, peer-send-fps,
	// peer-decoded-fps, peer-encode-ms for Chromium; peercall-cpu-%,
	// peercall-send-kbps, peercall-target-kbps, peercall-decoded-fps,
	// peercall-encode-ms for Peercall.
	Metrics map[string]float64 `json:"metrics"`
}

// chromiumVersionNote is how the benchmark logs the browser's version.
const chromiumVersionNote = "chromium version: "

// readChromium reads the benchmark's output: its result line and the
// version it logged.
func readChromium(path string) (*ChromiumRun, error) {
	runs, err := readGoBench(path)
	if err != nil {
		return nil, err
	}
	var run *ChromiumRun
	for _, b := range runs {
		if b.Name == "BenchmarkChromiumCall640x480" {
			run = &ChromiumRun{Metrics: b.Metrics}
		}
	}
	if run == nil {
		return nil, fmt.Errorf("%s: no result", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), chromiumVersionNote); ok {
			run.Version = strings.TrimSpace(v)
		}
	}
	return run, sc.Err()
}

// chromiumTargets: a Peercall peer costs no more than Chromium's, both
// where two Peercall processes call each other (against Chromium with
// itself, halved) and where Peercall and Chromium are in one call.
func chromiumTargets(r *Report) []Target {
	halved := Target{What: "headless peer, two-way 640×480@30, CPU against Chromium's per peer in the same run",
		Goal: "≤ Chromium's per peer", Measured: "not measured"}
	together := Target{What: "Peercall and Chromium in one 640×480@30 call, Peercall's CPU against Chromium's",
		Goal: "≤ Chromium's", Measured: "not measured"}
	if r.Chromium == nil {
		return []Target{halved, together}
	}
	judge := func(t *Target, value, limit float64, goal string) {
		t.Value, t.Limit = value, limit
		t.Goal = goal + " (" + f1(limit) + " %)"
		t.Measured = f1(value) + " %"
		if limit > 0 {
			t.Measured += fmt.Sprintf(", %.0f %% of it", 100*value/limit)
		}
		met := limit > 0 && value <= limit
		t.Met = &met
	}
	m := r.Chromium.Metrics
	if c, ok := callBySize(r, "640x480"); ok {
		judge(&halved, max(c.Inviter.CPUPercent, c.Joiner.CPUPercent), m["cpu-%-per-peer"], "≤ Chromium's per peer")
	}
	if _, ok := m["peer-cpu-%"]; ok {
		judge(&together, m["peercall-cpu-%"], m["peer-cpu-%"], "≤ Chromium's")
	}
	return []Target{halved, together}
}

// chromiumMarkdown is the section setting Chromium's figures beside
// Peercall's 640×480 call.
func chromiumMarkdown(r *Report) string {
	m := r.Chromium.Metrics
	name := "Chromium"
	if r.Chromium.Version != "" {
		name += " " + r.Chromium.Version
	}
	var b strings.Builder
	b.WriteString("\n## Against Chromium, 640×480\n\n")
	b.WriteString("`go test -run '^$' -bench ChromiumCall640x480 -benchtime 1x ./e2e`: " + name + ", headless\n")
	b.WriteString("without a GPU, in two-way 640×480@30 calls on loopback (a network namespace with only `lo`),\n")
	b.WriteString("in the same run. Chromium's camera plays Peercall's test pattern from a Y4M file (10 s,\n")
	b.WriteString("looped), so that both encoders code the same picture, in VP8; its microphone is its fake\n")
	b.WriteString("one, in Opus. The remote pictures are decoded, not drawn, as Peercall's headless peers do.\n")
	b.WriteString("Chromium's CPU is all its processes' (browser, renderer, GPU, network, audio and capture\n")
	b.WriteString("services) from `/proc` over 20 s after 10 s of settling; what it sent is from its\n")
	b.WriteString("`getStats()` over the same 20 s.\n\n")
	b.WriteString("Chromium with itself: one page holds both ends; its CPU is halved per peer (the processes\n")
	b.WriteString("a browser needs anyway are shared by the two ends) and its figures averaged over the two.\n")
	b.WriteString("Peercall's columns are the 640×480 call above (rates from its third second connected).\n\n")
	rows := []struct {
		name   string
		peer   func(BenchPeer) string
		chrome string
	}{
		{"CPU, % of one core", func(p BenchPeer) string { return f1(p.CPUPercent) }, f1(m["cpu-%-per-peer"])},
		{"sent on the connection (media, resends, RTCP)", func(p BenchPeer) string { return f0(p.SendKbps) + " kbit/s" }, f0(m["send-kbps"]) + " kbit/s"},
		{"encoder target at the end", func(p BenchPeer) string { return f0(p.TargetKbps) + " kbit/s" }, f0(m["target-kbps"]) + " kbit/s"},
		{"picture sent", func(p BenchPeer) string { return fmt.Sprintf("%d×%d@%s", p.SendWidth, p.SendHeight, f0(p.SendFPS)) },
			fmt.Sprintf("%s×%s@%s", f0(m["send-width"]), f0(m["send-height"]), f0(m["send-fps"]))},
		{"decoded frame rate", func(p BenchPeer) string { return f1(p.DecodedFPS) + " fps" }, f1(m["decoded-fps"]) + " fps"},
		{"VP8 encode, mean", func(p BenchPeer) string { return strconv.FormatFloat(p.EncodeMsAvg, 'f', 2, 64) + " ms" },
			strconv.FormatFloat(m["encode-ms"], 'f', 2, 64) + " ms"},
	}
	c, ok := callBySize(r, "640x480")
	if ok {
		b.WriteString("| figure | Peercall inviter | Peercall joiner | Chromium, per peer |\n|---|---|---|---|\n")
	} else {
		b.WriteString("| figure | Chromium, per peer |\n|---|---|\n")
	}
	for _, row := range rows {
		if ok {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.name, row.peer(c.Inviter), row.peer(c.Joiner), row.chrome)
		} else {
			fmt.Fprintf(&b, "| %s | %s |\n", row.name, row.chrome)
		}
	}
	fmt.Fprintf(&b, "\nChromium's processes together: %s %% of one core; its video alone\n(RTP payloads) %s kbit/s an end.\n",
		f1(m["cpu-%-all"]), f0(m["video-kbps"]))
	if _, ok := m["peer-cpu-%"]; ok {
		b.WriteString("\nChromium and Peercall in one call: the page joins a `peercall invite` (the test pattern,\n")
		b.WriteString("host candidates on `lo`), and both are measured over the same 20 s: Chromium's CPU is\n")
		b.WriteString("what a browser costs for one call, Peercall's is its process's.\n\n")
		b.WriteString("| figure | Peercall | Chromium |\n|---|---|---|\n")
		fmt.Fprintf(&b, "| CPU, %% of one core | %s | %s |\n", f1(m["peercall-cpu-%"]), f1(m["peer-cpu-%"]))
		fmt.Fprintf(&b, "| sent on the connection (media, resends, RTCP) | %s kbit/s | %s kbit/s |\n", f0(m["peercall-send-kbps"]), f0(m["peer-send-kbps"]))
		fmt.Fprintf(&b, "| encoder target at the end | %s kbit/s | %s kbit/s |\n", f0(m["peercall-target-kbps"]), f0(m["peer-target-kbps"]))
		fmt.Fprintf(&b, "| decoded frame rate | %s fps | %s fps |\n", f1(m["peercall-decoded-fps"]), f1(m["peer-decoded-fps"]))
		fmt.Fprintf(&b, "| VP8 encode, mean | %s ms | %s ms |\n",
			strconv.FormatFloat(m["peercall-encode-ms"], 'f', 2, 64), strconv.FormatFloat(m["peer-encode-ms"], 'f', 2, 64))
	}
	return b.String()
}
