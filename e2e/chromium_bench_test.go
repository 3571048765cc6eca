package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"peercall/media/pattern"
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

// chromiumCameraLoop is the length of the test pattern Chromium's camera
// plays, over and over: long enough that the jump where the loop starts
// again costs little.
const chromiumCameraLoop = 10 * time.Second

// BenchmarkChromiumCall640x480 measures Chromium doing a Peercall peer's
// work, 640×480@30 two ways, in a network namespace with only lo (as
// `peercall bench` uses lo only). Chromium's camera plays Peercall's own
// test pattern from a Y4M file, so that both encoders code the same
// picture; its microphone is its fake one, in Opus. The remote pictures
// are decoded, not drawn, as Peercall's headless peers do. CPU is of all
// Chromium's processes (browser, renderer, GPU, network, audio and capture
// services) over 20 s of the steady call, as % of one core.
//
// Two calls, in one run: Chromium with itself, one page holding both ends
// (cpu-%-all, and half of it per peer: what a browser's peer costs when
// the processes it needs anyway are shared by two calls); then Chromium as
// the peer of a `peercall invite` (peer-cpu-%, a browser's whole cost for
// one call, beside peercall-cpu-%, Peercall's cost in the same call). One
// iteration is one measurement; make bench runs it.
func BenchmarkChromiumCall640x480(b *testing.B) {
	const width, height, fps = 640, 480, 30
	const measure = 20 * time.Second
	if _, err := exec.LookPath("chromium"); err != nil {
		b.Skip("needs Debian's chromium on PATH (apt-get install chromium)")
	}
	loopJS, err := browserScript("loopback.js")
	if err != nil {
		b.Fatal(err)
	}
	peerJS, err := browserScript("peer.js")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ns := newNamespace(b, "chromium-bench")
		deadline := time.Now().Add(2*(chromiumBenchSettle+measure) + 2*time.Minute)
		camera := writePatternY4M(b, width, height, fps, chromiumCameraLoop)
		br := startChromium(b, ns, deadline, "--use-file-for-fake-video-capture="+camera)
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

		chromiumWithItself(b, br, loopJS, width, height, fps, measure)
		chromiumWithPeercall(b, br, ns, peerJS, width, height, fps, measure)
	}
}

// chromiumWithItself: one page holds both ends of the call.
func chromiumWithItself(b *testing.B, br *chromium, js []byte, width, height, fps int, measure time.Duration) {
	page := br.newPage(b, js)
	camera := page.evalString(b, fmt.Sprintf("loopback.start(%d, %d, %d)", width, height, fps), 20*time.Second)
	b.Logf("chromium with itself: the call is up; the camera gives %s", camera)
	time.Sleep(chromiumBenchSettle)

	var f0, f1 []endFigures
	cpu := measureCPU(b, measure, []int{br.cmd.Process.Pid}, func() {
		f0 = pageFigures(b, page, "loopback.figures()", 2)
	}, func() {
		f1 = pageFigures(b, page, "loopback.figures()", 2)
	})
	b.ReportMetric(cpu[0], "cpu-%-all")
	b.ReportMetric(cpu[0]/2, "cpu-%-per-peer")

	// What the two ends sent over the measurement, averaged: what the CPU
	// above paid for.
	var sendKbps, videoKbps, target, sendFPS, decodedFPS, encodeMs float64
	for e := range f1 {
		d := sent(b, f0[e], f1[e])
		sendKbps += d.sendKbps / 2
		videoKbps += d.videoKbps / 2
		target += f1[e].TargetBitrate / 1000 / 2
		sendFPS += d.sendFPS / 2
		decodedFPS += d.decodedFPS / 2
		encodeMs += d.encodeMs / 2
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
	if f1[1].SendWidth*f1[1].SendHeight < w*h {
		w, h = f1[1].SendWidth, f1[1].SendHeight
	}
	b.ReportMetric(float64(w), "send-width")
	b.ReportMetric(float64(h), "send-height")
	page.eval(b, "loopback.stop()", 10*time.Second)
}

// chromiumWithPeercall: the page joins a `peercall invite` in the same
// namespace, and both sides are measured over the same seconds.
func chromiumWithPeercall(b *testing.B, br *chromium, ns string, js []byte, width, height, fps int, measure time.Duration) {
	page := br.newPage(b, js)
	page.eval(b, fmt.Sprintf("peercall.configure(%d, %d, %d, false)", width, height, fps), 5*time.Second)
	seconds := int((2*chromiumBenchSettle + measure + 20*time.Second).Seconds())
	inv := startPeer(b, peerOptions{name: "peercall invite", prefix: nsExec(ns)}, "invite",
		"--stun", "none", "--interface", "lo", "--source", "pattern",
		"--size", fmt.Sprintf("%dx%d", width, height), "--seconds", fmt.Sprint(seconds))
	answer := page.evalString(b, "peercall.join("+jsString(codeDecode(b, inv.code))+")", 15*time.Second)
	inv.paste(codeEncode(b, answer, inv.code))
	inv.waitStats(30*time.Second, "pictures from chromium", func(l statsLine) bool { return l.FramesDecoded > 0 })
	b.Logf("chromium with peercall: the call is up")
	time.Sleep(chromiumBenchSettle)

	var f0, f1 []endFigures
	var s0, s1 statsLine
	cpu := measureCPU(b, measure, []int{br.cmd.Process.Pid, inv.cmd.Process.Pid}, func() {
		f0 = pageFigures(b, page, "peercall.figures().then((f) => '[' + f + ']')", 1)
		s0 = inv.final()
	}, func() {
		f1 = pageFigures(b, page, "peercall.figures().then((f) => '[' + f + ']')", 1)
		s1 = inv.final()
	})
	d := sent(b, f0[0], f1[0])
	b.Logf("chromium as peercall's peer sent %s %dx%d (encoder %s, limited by %s), target %.0f kbit/s; received %dx%d",
		f1[0].SendCodec, f1[0].SendWidth, f1[0].SendHeight, f1[0].Encoder, f1[0].QualityLimitation,
		f1[0].TargetBitrate/1000, f1[0].RecvWidth, f1[0].RecvHeight)
	b.ReportMetric(cpu[0], "peer-cpu-%")
	b.ReportMetric(d.sendKbps, "peer-send-kbps")
	b.ReportMetric(f1[0].TargetBitrate/1000, "peer-target-kbps")
	b.ReportMetric(d.sendFPS, "peer-send-fps")
	b.ReportMetric(d.decodedFPS, "peer-decoded-fps")
	b.ReportMetric(d.encodeMs, "peer-encode-ms")

	secs := s1.At.Sub(s0.At).Seconds()
	if secs <= 0 {
		b.Fatalf("peercall wrote no statistics over %v", measure)
	}
	b.Logf("peercall sent %dx%d@%.0f, target %.0f kbit/s; received %dx%d",
		s1.SendWidth, s1.SendHeight, s1.SendFPS, s1.TargetKbps, s1.Width, s1.Height)
	b.ReportMetric(cpu[1], "peercall-cpu-%")
	b.ReportMetric(8*float64(s1.BytesSent-s0.BytesSent)/secs/1000, "peercall-send-kbps")
	b.ReportMetric(s1.TargetKbps, "peercall-target-kbps")
	b.ReportMetric(float64(s1.FramesDecoded-s0.FramesDecoded)/secs, "peercall-decoded-fps")
	b.ReportMetric(s1.EncodeMsAvg, "peercall-encode-ms")
}

// measureCPU runs before, waits d with the benchmark's timer on, runs
// after, and returns the CPU each process tree under roots used in
// between, as % of one core over the wall time. Chromium's trees are
// logged by process kind.
func measureCPU(b *testing.B, d time.Duration, roots []int, before, after func()) []float64 {
	read := func() []map[int]procCPU {
		out := make([]map[int]procCPU, len(roots))
		for i, pid := range roots {
			t, err := processTreeCPU(pid)
			if err != nil {
				b.Fatalf("process %d: %v", pid, err)
			}
			out[i] = t
		}
		return out
	}
	before()
	cpu0 := read()
	start := time.Now()
	b.StartTimer()
	time.Sleep(d)
	b.StopTimer()
	cpu1 := read()
	wall := time.Since(start)
	after()

	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() }
	out := make([]float64, len(roots))
	for i := range roots {
		var total time.Duration
		byKind := map[string]time.Duration{}
		for pid, p := range cpu1[i] {
			d := p.cpu - cpu0[i][pid].cpu // a process started since counts whole
			total += d
			byKind[p.kind] += d
		}
		out[i] = pct(total)
		kinds := slices.Sorted(maps.Keys(byKind))
		if len(kinds) > 1 {
			for _, k := range kinds {
				b.Logf("process tree %d, %s processes: %.1f %% of one core", roots[i], k, pct(byKind[k]))
			}
		}
	}
	return out
}

// sendRates is what one Chromium end did between two readings.
type sendRates struct {
	sendKbps, videoKbps, sendFPS, decodedFPS, encodeMs float64
}

func sent(b *testing.B, f0, f1 endFigures) sendRates {
	secs := (f1.Timestamp - f0.Timestamp) / 1000
	if secs <= 0 {
		b.Fatalf("no time passed between the two readings of the page's statistics")
	}
	r := sendRates{
		sendKbps:   8 * (f1.TransportBytesSent - f0.TransportBytesSent) / secs / 1000,
		videoKbps:  8 * (f1.VideoBytesSent - f0.VideoBytesSent) / secs / 1000,
		sendFPS:    (f1.FramesEncoded - f0.FramesEncoded) / secs,
		decodedFPS: (f1.FramesDecoded - f0.FramesDecoded) / secs,
	}
	if n := f1.FramesEncoded - f0.FramesEncoded; n > 0 {
		r.encodeMs = 1000 * (f1.TotalEncodeTime - f0.TotalEncodeTime) / n
	}
	return r
}

// writePatternY4M writes loop of Peercall's test pattern as a Y4M file,
// the format Chromium's fake camera plays, and returns its path.
func writePatternY4M(b *testing.B, width, height, fps int, loop time.Duration) string {
	path := filepath.Join(b.TempDir(), "pattern.y4m")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", width, height, fps)
	g := pattern.NewGenerator(width, height)
	t := time.Now()
	frames := int(loop.Seconds() * float64(fps))
	for n := 0; n < frames; n++ {
		img := g.Next(t.Add(time.Duration(n) * time.Second / time.Duration(fps)))
		w.WriteString("FRAME\n")
		for y := 0; y < height; y++ {
			w.Write(img.Y[y*img.YStride : y*img.YStride+width])
		}
		for _, plane := range [][]byte{img.Cb, img.Cr} {
			for y := 0; y < height/2; y++ {
				w.Write(plane[y*img.CStride : y*img.CStride+width/2])
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// endFigures is one end's cumulative statistics, as figures.js gives them.
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

// pageFigures reads the page's figures (figures.js) for its n ends.
func pageFigures(b *testing.B, page *cdpPage, expression string, n int) []endFigures {
	b.Helper()
	var f []endFigures
	raw := page.evalString(b, expression, 10*time.Second)
	if err := json.Unmarshal([]byte(raw), &f); err != nil || len(f) != n {
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
