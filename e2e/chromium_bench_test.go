package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Chromium as the anchor for Peercall's CPU figures (issue 12, point 2):
// Peercall's sender climbs to the rates Chromium uses, and each Peercall
// peer must still cost well under what a browser costs for the same call on
// the same machine. `peercall bench` measures two Peercall processes in a
// two-way 640×480@30 call on loopback; this measures Chromium doing that
// work in the same make bench run, with the launcher TestBrowserPeer uses.

// chromiumBenchSettle is how long the call runs before it is measured:
// Chromium's estimate probes up from its start rate to the encoder's
// ceiling in a few seconds on loopback, and Peercall's bench likewise
// leaves its first seconds out.
const chromiumBenchSettle = 10 * time.Second

// BenchmarkChromiumCall640x480: one headless Chromium page holding both
// ends of a two-way call in a network namespace with only lo (as
// `peercall bench` uses lo only), each end sending Chromium's fake camera
// at 640×480@30 in VP8 and its fake microphone in Opus. It reports the CPU
// of all Chromium's processes over 20 s of the steady call, as % of one
// core, and half of it per peer, with what Chromium's own statistics say
// each end sent over that time, so that the figures are set against a
// sender doing the same. One iteration is one measurement; make bench
// runs it.
func BenchmarkChromiumCall640x480(b *testing.B) {
	const width, height, fps = 640, 480, 30
	const measure = 20 * time.Second
	if _, err := exec.LookPath("chromium"); err != nil {
		b.Skip("needs Debian's chromium on PATH (apt-get install chromium)")
	}
	pageJS, err := os.ReadFile(filepath.Join("testdata", "browser", "loopback.js"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ns := newNamespace(b, "chromium-bench")
		deadline := time.Now().Add(chromiumBenchSettle + measure + time.Minute)
		// The fake camera runs at 20 fps unless told otherwise; Peercall's
		// bench sends 30.
		br := startChromium(b, ns, deadline, fmt.Sprintf("--use-fake-device-for-media-stream=fps=%d", fps))
		// The report names the browser it measured (bench/chromium.go
		// reads this line).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := br.call(ctx, "", "Browser.getVersion", nil)
		cancel()
		if err == nil {
			var version struct {
				Product string `json:"product"` // "Chrome/156.0.…"
			}
			json.Unmarshal(v, &version)
			_, number, _ := strings.Cut(version.Product, "/")
			b.Logf("chromium version: %s", number)
		}
		page := br.newPage(b, pageJS)
		camera := page.evalString(b, fmt.Sprintf("loopback.start(%d, %d, %d)", width, height, fps), 20*time.Second)
		b.Logf("the call is up; the camera gives %s", camera)
		time.Sleep(chromiumBenchSettle)

		f0 := chromiumFigures(b, page)
		cpu0, err := processTreeCPU(br.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		b.StartTimer()
		time.Sleep(measure)
		b.StopTimer()
		cpu1, err := processTreeCPU(br.cmd.Process.Pid)
		if err != nil {
			b.Fatalf("chromium ended: %v\n%s", err, br.stderrTail(8<<10))
		}
		wall := time.Since(start)
		f1 := chromiumFigures(b, page)

		var total time.Duration
		byKind := map[string]time.Duration{}
		for pid, p := range cpu1 {
			d := p.cpu - cpu0[pid].cpu // a process started since counts whole
			total += d
			byKind[p.kind] += d
		}
		pct := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() }
		b.ReportMetric(pct(total), "cpu-%-all")
		b.ReportMetric(pct(total)/2, "cpu-%-per-peer")
		kinds := make([]string, 0, len(byKind))
		for k := range byKind {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			b.Logf("chromium %s processes: %.1f %% of one core", k, pct(byKind[k]))
		}

		// What the two ends sent over the measurement, averaged: what the
		// CPU above paid for.
		var sendKbps, videoKbps, target, sendFPS, decodedFPS, encodeMs float64
		for e := range f1 {
			secs := (f1[e].Timestamp - f0[e].Timestamp) / 1000
			if secs <= 0 {
				b.Fatalf("end %d: no time passed between the two readings of its statistics", e)
			}
			sendKbps += 8 * (f1[e].TransportBytesSent - f0[e].TransportBytesSent) / secs / 1000 / 2
			videoKbps += 8 * (f1[e].VideoBytesSent - f0[e].VideoBytesSent) / secs / 1000 / 2
			target += f1[e].TargetBitrate / 1000 / 2
			sendFPS += (f1[e].FramesEncoded - f0[e].FramesEncoded) / secs / 2
			decodedFPS += (f1[e].FramesDecoded - f0[e].FramesDecoded) / secs / 2
			if n := f1[e].FramesEncoded - f0[e].FramesEncoded; n > 0 {
				encodeMs += 1000 * (f1[e].TotalEncodeTime - f0[e].TotalEncodeTime) / n / 2
			}
			b.Logf("end %d sent %s %dx%d (encoder %s, limited by %s), target %.0f kbit/s; received %dx%d",
				e, f1[e].SendCodec, f1[e].SendWidth, f1[e].SendHeight, f1[e].Encoder, f1[e].QualityLimitation,
				f1[e].TargetBitrate/1000, f1[e].RecvWidth, f1[e].RecvHeight)
		}
		b.ReportMetric(sendKbps, "send-kbps")
		b.ReportMetric(videoKbps, "video-kbps")
		b.ReportMetric(target, "target-kbps")
		b.ReportMetric(sendFPS, "send-fps")
		b.ReportMetric(decodedFPS, "decoded-fps")
		b.ReportMetric(encodeMs, "encode-ms")
		// The picture size each end sent, the smaller if they differ.
		w, h := f1[0].SendWidth, f1[0].SendHeight
		if len(f1) > 1 && f1[1].SendWidth*f1[1].SendHeight < w*h {
			w, h = f1[1].SendWidth, f1[1].SendHeight
		}
		b.ReportMetric(float64(w), "send-width")
		b.ReportMetric(float64(h), "send-height")
	}
}

// endFigures is one end's cumulative statistics, as loopback.js's
// figures() gives them.
type endFigures struct {
	Timestamp          float64 `json:"timestamp"` // ms
	TransportBytesSent float64 `json:"transportBytesSent"`
	VideoBytesSent     float64 `json:"videoBytesSent"`
	FramesEncoded      float64 `json:"framesEncoded"`
	SendWidth          int     `json:"sendWidth"`
	SendHeight         int     `json:"sendHeight"`
	TargetBitrate      float64 `json:"targetBitrate"` // bit/s
	TotalEncodeTime    float64 `json:"totalEncodeTime"`
	Encoder            string  `json:"encoder"`
	QualityLimitation  string  `json:"qualityLimitation"`
	SendCodec          string  `json:"sendCodec"`
	FramesDecoded      float64 `json:"framesDecoded"`
	RecvWidth          int     `json:"recvWidth"`
	RecvHeight         int     `json:"recvHeight"`
}

func chromiumFigures(b *testing.B, page *cdpPage) []endFigures {
	b.Helper()
	var f []endFigures
	raw := page.evalString(b, "loopback.figures()", 10*time.Second)
	if err := json.Unmarshal([]byte(raw), &f); err != nil || len(f) != 2 {
		b.Fatalf("the page's statistics: %v: %s", err, raw)
	}
	return f
}

// procCPU is one process's CPU time so far and what kind of Chromium
// process it is.
type procCPU struct {
	cpu  time.Duration
	kind string // Chromium's --type (renderer, gpu-process, utility, zygote), or "browser"
}

// processTreeCPU reads from /proc the CPU time (user and system, of all
// its threads) of a process and of every process below it: Chromium's
// work is spread over its browser, zygotes, renderer, GPU and utility
// processes (network, audio, video capture).
func processTreeCPU(root int) (map[int]procCPU, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parent := map[int]int{}
	stats := map[int][]string{}
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // it ended
		}
		// Fields after the name, which is in parentheses and may hold
		// spaces: state, ppid, …; utime and stime are the 12th and 13th.
		s := string(stat)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 13 {
			continue
		}
		var ppid int
		fmt.Sscan(f[1], &ppid)
		parent[pid] = ppid
		stats[pid] = f
	}
	if _, ok := stats[root]; !ok {
		return nil, fmt.Errorf("process %d is gone", root)
	}
	under := func(pid int) bool {
		for n := 0; pid > 1 && n < 64; n++ {
			if pid == root {
				return true
			}
			pid = parent[pid]
		}
		return false
	}
	out := map[int]procCPU{}
	for pid, f := range stats {
		if !under(pid) {
			continue
		}
		var ut, st int64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		out[pid] = procCPU{cpu: time.Duration(ut+st) * time.Second / 100, kind: chromiumKind(pid)} // USER_HZ
	}
	return out, nil
}

// chromiumKind is the --type a Chromium process was started with.
func chromiumKind(pid int) string {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "ended"
	}
	kind, sub := "browser", ""
	for _, arg := range strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' }) {
		if t, ok := strings.CutPrefix(arg, "--type="); ok {
			kind = t
		}
		if s, ok := strings.CutPrefix(arg, "--utility-sub-type="); ok {
			sub = s
		}
	}
	if sub != "" {
		kind += " " + sub
	}
	return kind
}
