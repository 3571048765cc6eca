package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Chromium as the anchor for Peercall's CPU: `make bench` runs e2e's
// BenchmarkChromiumCall640x480, Chromium in the same two-way 640×480@30
// call as `peercall bench --size 640x480`, and its output (chromium.txt)
// gives Chromium's CPU per peer and what its senders sent. Peercall's peers
// must cost less than Chromium's (issue 12, point 2).

// ChromiumRun is Chromium's figures in a two-way call.
type ChromiumRun struct {
	Version string `json:"version"`
	// Metrics are the benchmark's: cpu-%-all, cpu-%-per-peer, send-kbps
	// (all media on the connection, each end), video-kbps, target-kbps,
	// send-width, send-height, send-fps, decoded-fps, encode-ms.
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

// chromiumTarget: a Peercall peer in the 640×480 call costs no more than
// Chromium's per peer in the same run.
func chromiumTarget(r *Report) Target {
	t := Target{What: "headless peer, two-way 640×480@30, CPU against Chromium's per peer in the same run",
		Goal: "≤ Chromium's per peer", Measured: "not measured"}
	c, ok := callBySize(r, "640x480")
	if !ok || r.Chromium == nil {
		return t
	}
	chrome := r.Chromium.Metrics["cpu-%-per-peer"]
	t.Value = max(c.Inviter.CPUPercent, c.Joiner.CPUPercent)
	t.Limit = chrome
	t.Goal = "≤ Chromium's per peer (" + f1(chrome) + " %)"
	t.Measured = f1(t.Value) + " %"
	met := chrome > 0 && t.Value <= chrome
	t.Met = &met
	return t
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
	b.WriteString("without a GPU, in the same two-way 640×480@30 call on loopback (a network namespace with\n")
	b.WriteString("only `lo`), in the same run: one page holding both ends, each sending Chromium's fake camera\n")
	b.WriteString("in VP8 and its fake microphone in Opus; the remote pictures decoded, not drawn, as\n")
	b.WriteString("Peercall's headless peers do. Chromium's CPU is all its processes' (browser, renderer,\n")
	b.WriteString("GPU, network, audio and capture services) from `/proc` over 20 s after 10 s of settling,\n")
	b.WriteString("halved per peer; what it sent is from its `getStats()` over the same 20 s, averaged over\n")
	b.WriteString("the two ends. Peercall's columns are the 640×480 call above (the test pattern; rates from\n")
	b.WriteString("its third second connected). The pictures differ, so the encoders' bits do too.\n\n")
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
	return b.String()
}
