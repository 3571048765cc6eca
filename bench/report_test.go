package bench

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"peercall/media/quality"
)

func TestReplaceSectionKeepsTheRest(t *testing.T) {
	doc := "# T\n\nintro\n\n" + sectionBegin + "\nold\n" + sectionEnd + "\n\n## Kept\n\ntext\n"
	got := replaceSection(doc, sectionBegin, sectionEnd, "new\n")
	want := "# T\n\nintro\n\n" + sectionBegin + "\nnew\n" + sectionEnd + "\n\n## Kept\n\ntext\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// No section yet: appended.
	got = replaceSection("# T\n", sectionBegin, sectionEnd, "new\n")
	if !strings.HasSuffix(got, sectionBegin+"\nnew\n"+sectionEnd+"\n") || !strings.HasPrefix(got, "# T\n\n") {
		t.Errorf("appended section: %q", got)
	}
}

// A report from a directory of measurements: targets judged from the
// figures, the Markdown and JSON written.
func TestBenchReportFromMeasurements(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.txt", `goos: linux
pkg: peercall/media/vp8
BenchmarkEncode640x480-2   	     100	   1500000 ns/op	       0 B/op	       0 allocs/op
BenchmarkEncode1280x720-2  	     100	  13000000 ns/op
pkg: peercall/media
BenchmarkReceive640x480-2  	     100	    300000 ns/op	       0 B/op	       0 allocs/op
pkg: peercall/media/yuv
BenchmarkConvert/1280x720→1280x720-2 	 1000	    170000 ns/op	 0.17 ms/frame	       0 B/op	       0 allocs/op
PASS
`)
	write("window.txt", "BenchmarkWindowCall640x480-2   	       1	20019067062 ns/op	        44.0 cpu-%	        26.4 drawing-cpu-%	       190.0 rss-MB	       205.0 peak-rss-MB	        14.0 remote-p50-ms	        31.0 remote-p95-ms	        -1 self-p50-ms\n"+
		"BenchmarkWindowCall720p-2   	       1	20019067062 ns/op	        63.6 cpu-%	        36.4 drawing-cpu-%	       233.0 rss-MB\n")
	call := BenchResult{Size: "640x480", FPS: 30, Seconds: 30,
		Inviter: BenchPeer{CPUPercent: 10, MaxRSSMB: 50, FirstFrameMs: 40, LatencyP50Ms: 3, LatencyP95Ms: 5, DecodedFPS: 29.8},
		Joiner:  BenchPeer{CPUPercent: 11, MaxRSSMB: 51, FirstFrameMs: 30, LatencyP50Ms: 3, LatencyP95Ms: 6, DecodedFPS: 29.7}}
	data, _ := json.Marshal(call)
	write("call-640x480.json", string(data))
	write("prof-640x480.txt", `      flat  flat%   sum%        cum   cum%
      10ms  1.04% 72.92%      480ms 50.00%  peercall/media/vp8._Cfunc_pc_enc_encode
         0     0% 72.92%      200ms 20.83%  peercall/media/vp8._Cfunc_pc_dec_decode
`)
	md := filepath.Join(dir, "B.md")
	write("B.md", "# B\n\n"+sectionBegin+"\n"+sectionEnd+"\n\n## Kept\n")
	jsonPath := filepath.Join(dir, "b.json")
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var r Report
	if data, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(data, &r) != nil {
		t.Fatalf("reading the JSON: %v", err)
	}
	judged := map[string]*bool{}
	for _, tg := range r.Targets {
		judged[tg.What] = tg.Met
	}
	check := func(what string, want *bool) {
		t.Helper()
		got, ok := judged[what]
		if !ok {
			t.Fatalf("no target %q", what)
		}
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s: met=%v, want %v", what, deref(got), deref(want))
		}
	}
	yes, no := true, false
	check("headless peer, two-way 640×480@30, CPU", &yes)
	check("VP8 encode, 640×480", &yes)
	check("VP8 encode, 1280×720", &no) // 13 ms > 12 ms
	check("window, both views at 720p, drawing", &yes)
	check("window memory, 720p call, at its peak", &no)
	check("window memory, 640×480 call, at its peak", &no) // 190 MB at the end, 205 at its peak
	check("window, whole app in a 640×480 call, both views visible", &yes)
	check("window, remote picture capture → on screen, 640×480, p50", &yes)
	check("window, remote picture capture → on screen, 640×480, p95", &no)
	check("window, self-view capture → on screen, 640×480, p50", nil) // its time code was not read
	check("1280×720@30 both ways, CPU", nil)                          // no 720p call in this run
	if got := r.Breakdowns["640x480"][0]; got.Percent != 50 {
		t.Errorf("encoding share %v, want 50 %%", got)
	}
	text, _ := os.ReadFile(md)
	for _, want := range []string{"| VP8 encode, 1280×720 | ≤ 12 ms a frame | 13.0 ms | **not met** |", "## Kept", "| media/yuv | Convert/1280x720→1280x720 | 170.0 µs | 0 | 0 |"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// The impaired links' figures: the lossy link judged against the clean
// one, the capped link against its cap, and the section with the rate and
// picture size over time.
func TestBenchReportLinks(t *testing.T) {
	dir := t.TempDir()
	side := func(name string, target float64, w, h int, freeze, p95 float64) LinkSide {
		s := LinkSide{Name: name, DecodedFPS: 29.9, LongestFreezeMs: freeze, LatencyP50Ms: p95 / 2, LatencyP95Ms: p95, LinkKbps: 700}
		for i := range 30 {
			s.PerSecond = append(s.PerSecond, LinkSecond{TargetKbps: target, SendWidth: w, SendHeight: h, SendFPS: 30, FPS: 30})
			if i < 10 {
				s.PerSecond[i].TargetKbps = 800 // the climb, not judged
			}
		}
		return s
	}
	runs := []LinkRun{
		{Name: "no loss", DelayMs: 40, JitterMs: 5, Seconds: 30, Sides: []LinkSide{side("inviter", 1700, 640, 480, 40, 50), side("joiner", 1650, 640, 480, 45, 50)}},
		{Name: "5 % loss", LossPct: 5, DelayMs: 40, JitterMs: 5, Seconds: 30, Sides: []LinkSide{side("inviter", 1600, 640, 480, 180, 150), side("joiner", 1300, 640, 480, 230, 160)}},
		{Name: "500 kbit/s cap", CapKbps: 500, DelayMs: 10, Seconds: 30, Sides: []LinkSide{side("inviter", 300, 480, 360, 90, 60), side("joiner", 320, 480, 360, 80, 70)}},
	}
	data, _ := json.Marshal(runs)
	if err := os.WriteFile(filepath.Join(dir, "links.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	md, jsonPath := filepath.Join(dir, "B.md"), filepath.Join(dir, "b.json")
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var r Report
	if data, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(data, &r) != nil {
		t.Fatalf("reading the JSON: %v", err)
	}
	met := map[string]Target{}
	for _, tg := range r.Targets {
		met[tg.What] = tg
	}
	for what, want := range map[string]bool{
		"5 % random loss each way, 80 ms round trip, reordering jitter: encoder target against the clean link's": false, // 1300 of 1700: 76 %
		"5 % random loss: time sending 640×480@30":                                                               true,
		"5 % random loss: longest freeze":                                                                        false,
		"500 kbit/s cap: encoder target at the end":                                                              true,
	} {
		tg, ok := met[what]
		if !ok || tg.Met == nil || *tg.Met != want {
			t.Errorf("%s: %+v, want met=%v", what, tg, want)
		}
	}
	text, _ := os.ReadFile(md)
	for _, want := range []string{"## Lossy and capped links", "| 5 % loss | 1300 kbit/s | 100 % |", "| 15 | 1700 · 640×480@30 | 1600 · 640×480@30 | 300 · 480×360@30 |"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
}

// Chromium's figures beside Peercall's 640×480 call, judged against them,
// and the network changes' table with the slowest recovery judged.
func TestBenchReportChromiumAndRecovery(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("chromium.txt", `BenchmarkChromiumCall640x480
    chromium_bench_test.go:64: chromium version: 156.0.8078.114
BenchmarkChromiumCall640x480-2   	       1	20008441154 ns/op	        30.68 cpu-%-all	        15.34 cpu-%-per-peer	        30.02 decoded-fps	         3.152 encode-ms	        29.97 send-fps	       480.0 send-height	       849.7 send-kbps	       640.0 send-width	      1700 target-kbps	       774.4 video-kbps	        17.89 peer-cpu-%	        30.02 peer-decoded-fps	         2.080 peer-encode-ms	        29.87 peer-send-fps	      1448 peer-send-kbps	      1700 peer-target-kbps	        12.99 peercall-cpu-%	        29.90 peercall-decoded-fps	         1.255 peercall-encode-ms	       523.8 peercall-send-kbps	      1672 peercall-target-kbps
PASS
`)
	call := BenchResult{Size: "640x480", FPS: 30, Seconds: 30,
		Inviter: BenchPeer{CPUPercent: 9.4, DecodedFPS: 29.7, SendKbps: 812, TargetKbps: 1700, SendWidth: 640, SendHeight: 480, SendFPS: 30},
		Joiner:  BenchPeer{CPUPercent: 16.1, DecodedFPS: 29.7, SendKbps: 805, TargetKbps: 1650, SendWidth: 640, SendHeight: 480, SendFPS: 30}}
	data, _ := json.Marshal(call)
	write("call-640x480.json", string(data))
	cases := []RecoveryCase{
		{Change: "inviter's router: new public address, NAT state gone", Paths: "both homes behind cone NATs, STUN and TURN",
			Sides: []RecoverySide{{Side: "inviter", BackMs: 2340, Reconnecting: true, Pair: "relay/relay", PathSwitches: 2}, {Side: "joiner", BackMs: 2470, Pair: "host/prflx"}}},
		{Change: "inviter's computer: new address on the same network", Paths: "inviter behind a cone NAT, joiner on a public address, STUN only",
			Sides: []RecoverySide{{Side: "inviter", BackMs: 2000, UpperBound: true, Pair: "host/host"}, {Side: "joiner", Steady: true, Pair: "host/prflx"}}},
		{Change: "inviter's router: new public address, NAT state gone", Paths: "both homes behind cone NATs, STUN only", NewCodes: true,
			Sides: []RecoverySide{{Side: "inviter", LostMs: 12200, BackMs: 1010, Pair: "srflx/srflx"}, {Side: "joiner", LostMs: 12300, BackMs: -1}}, Failed: true},
	}
	var lines []string
	for _, c := range cases {
		data, _ := json.Marshal(c)
		lines = append(lines, string(data))
	}
	write("recovery.jsonl", strings.Join(lines, "\n")+"\n")
	md, jsonPath := filepath.Join(dir, "B.md"), filepath.Join(dir, "b.json")
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var r Report
	if data, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(data, &r) != nil {
		t.Fatalf("reading the JSON: %v", err)
	}
	if r.Chromium == nil || r.Chromium.Version != "156.0.8078.114" || r.Chromium.Metrics["cpu-%-per-peer"] != 15.34 {
		t.Errorf("chromium: %+v", r.Chromium)
	}
	if len(r.Recovery) != 3 {
		t.Errorf("%d network changes read, want 3", len(r.Recovery))
	}
	got := map[string]Target{}
	for _, tg := range r.Targets {
		got[tg.What] = tg
	}
	for what, want := range map[string]struct {
		met      bool
		measured string
	}{
		// The worse of the two peers, 16.1 %, against Chromium's 15.3 %.
		"headless peer, two-way 640×480@30, CPU against Chromium's per peer in the same run": {false, "16.1 %, 105 % of it"},
		// Peercall's 13.0 % against Chromium's 17.9 % in one call.
		"Peercall and Chromium in one 640×480@30 call, Peercall's CPU against Chromium's": {true, "13.0 %, 73 % of it"},
		// The case resumed with new codes is not judged against 5 s.
		"network change with a way back left: picture back on both sides, slowest of all cases": {true, "2.5 s (inviter's router: new public address, NAT state gone, joiner; 2 cases)"},
	} {
		tg, ok := got[what]
		if !ok || tg.Met == nil || *tg.Met != want.met || tg.Measured != want.measured {
			t.Errorf("%s: %+v, want met=%v measured %q", what, tg, want.met, want.measured)
		}
	}
	text, _ := os.ReadFile(md)
	for _, want := range []string{
		"| headless peer, two-way 640×480@30, CPU against Chromium's per peer in the same run | ≤ Chromium's per peer (15.3 %) | 16.1 %, 105 % of it | **not met** |",
		"| Peercall and Chromium in one 640×480@30 call, Peercall's CPU against Chromium's | ≤ Chromium's (17.9 %) | 13.0 %, 73 % of it | met |",
		"| CPU, % of one core | 13.0 | 17.9 |",
		"| sent on the connection (media, resends, RTCP) | 524 kbit/s | 1448 kbit/s |",
		"## Against Chromium, 640×480",
		"Chromium 156.0.8078.114",
		"| CPU, % of one core | 9.4 | 16.1 | 15.3 |",
		"| sent on the connection (media, resends, RTCP) | 812 kbit/s | 805 kbit/s | 850 kbit/s |",
		"| picture sent | 640×480@30 | 640×480@30 | 640×480@30 |",
		"## Recovery from a network change",
		"| inviter's router: new public address, NAT state gone | both homes behind cone NATs, STUN and TURN | 2.34 s | 2.47 s | inviter relay/relay (2 path switches), showed reconnecting; joiner host/prflx |",
		"| ≤ 2.00 s | never stopped |",
		"| lost after 12.2 s; back 1.0 s after the paste | lost after 12.3 s; **not back** | new invite and reply; inviter srflx/srflx; joiner – (the test failed) |",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}

	// Without Chromium's run, the target is there but not measured.
	os.Remove(filepath.Join(dir, "chromium.txt"))
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	text, _ = os.ReadFile(md)
	if !strings.Contains(string(text), "| ≤ Chromium's per peer | not measured | – |") || !strings.Contains(string(text), "| ≤ Chromium's | not measured | – |") ||
		strings.Contains(string(text), "## Against Chromium") {
		t.Errorf("without chromium.txt:\n%s", text)
	}
}

// The picture-quality calls become a table row each.
func TestBenchReportQuality(t *testing.T) {
	dir := t.TempDir()
	runs := []QualityRun{{Clip: "moving camera", Link: "5 % loss", LossPct: 5, Seconds: 30, Width: 640, Height: 480, FPS: 30,
		Result:     quality.Result{Received: 880, Repeated: 2, Skipped: 3, PSNRMean: 40.08, PSNRP5: 39.7, SSIMMean: 0.9301, SSIMP5: 0.9245},
		Scene:      quality.Result{Received: 880, PSNRMean: 41.5, SSIMMean: 0.95},
		DecodedFPS: 29.9, LongestFreezeMs: 154, LinkKbps: 2195}}
	data, _ := json.Marshal(runs)
	if err := os.WriteFile(filepath.Join(dir, "quality.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	text := reportMarkdown(t, dir)
	for _, want := range []string{
		"## Picture quality through a call",
		"| moving camera | 5 % loss | 880 | 40.08 / 39.70 dB | 0.9301 / 0.9245 | 41.50 dB / 0.9500 | 2 | 3 | 0 | 154 ms | 29.9 fps | 2195 kbit/s |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
}

// BenchmarkDenoiser's results in go.txt become the denoiser's table.
func TestBenchReportDenoiser(t *testing.T) {
	dir := t.TempDir()
	goTxt := `pkg: peercall/media/vp8
BenchmarkDenoiser/still-noisy/800k/denoise0-2   	       1	 869164053 ns/op	       799.4 kbps	        39.18 psnr-scene-dB	        35.44 psnr-sent-dB	         0.9012 ssim-scene
BenchmarkDenoiser/still-noisy/800k/denoise2-2   	       1	1029145245 ns/op	       801.7 kbps	        42.02 psnr-scene-dB	        36.21 psnr-sent-dB	         0.9400 ssim-scene
`
	if err := os.WriteFile(filepath.Join(dir, "go.txt"), []byte(goTxt), 0o644); err != nil {
		t.Fatal(err)
	}
	text := reportMarkdown(t, dir)
	for _, want := range []string{
		"## The VP8 denoiser on camera pictures",
		"| still-noisy | 800 kbit/s | 0 | 799 kbit/s | 39.18 dB | 0.9012 | 35.44 dB |",
		"| still-noisy | 800 kbit/s | 2 | 802 kbit/s | 42.02 dB | 0.9400 | 36.21 dB |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
}

// reportMarkdown runs the report on what dir holds and returns the
// Markdown it writes.
func reportMarkdown(t *testing.T, dir string) string {
	t.Helper()
	md, jsonPath := filepath.Join(dir, "B.md"), filepath.Join(dir, "b.json")
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// The room benchmarks become the echo table, short figures in bold.
func TestBenchReportEcho(t *testing.T) {
	dir := t.TempDir()
	goTxt := `pkg: peercall/media/aec/room
BenchmarkSpeexDSPRooms/preprocessor/laptop_moved-2   	       1	 500000000 ns/op	        19.30 erle-dB	        14.00 erle-p10-dB	       999.0 recovery-s	       206.0 µs/frame
pkg: peercall/media/aec/res
BenchmarkRooms/speexdsp_filter_+_res/double_talk-2   	       1	 500000000 ns/op	        46.80 erle-dB	        45.00 erle-p10-dB	         6.200 sdr-dB	       240.0 µs/frame
BenchmarkCanceller-2   	    4000	    258000 ns/op
pkg: peercall/media/aec/aec2
BenchmarkAEC2Rooms/suppression_high,_noise_suppression_high/reverb-2   	       1	 500000000 ns/op	        55.10 erle-dB	        50.90 erle-p10-dB	        78.00 µs/frame
BenchmarkAEC2Rooms/suppression_moderate,_noise_suppression_low/reverb-2   	       1	 500000000 ns/op	        40.50 erle-dB	        33.20 erle-p10-dB	        65.00 µs/frame
`
	if err := os.WriteFile(filepath.Join(dir, "go.txt"), []byte(goTxt), 0o644); err != nil {
		t.Fatal(err)
	}
	text := reportMarkdown(t, dir)
	if strings.Contains(text, "noise suppression low") || strings.Contains(text, "moderate") {
		t.Errorf("an AEC2 setting the table leaves out is in it:\n%s", text)
	}
	// Peercall's canceller comes first.
	if strings.Index(text, "| Peercall (the app's)") > strings.Index(text, "| speexdsp with its preprocessor") {
		t.Errorf("Peercall's canceller is not first:\n%s", text)
	}
	for _, want := range []string{
		"## Echo cancellation in simulated rooms",
		"| speexdsp with its preprocessor (noise suppression, automatic gain) | laptop moved | **19.3** dB | **14.0** dB | **not back** | – | 206 µs |",
		"| Peercall (the app's): speexdsp's filter + Peercall's suppressor | double talk | 46.8 dB | 45.0 dB | – | **6.2** dB | 240 µs |",
		"| webrtc-audio-processing 0.3 (AEC2), high suppression, high noise suppression | reverb | 55.1 dB | 50.9 dB | – | – | 78 µs |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
}

// The file transfer's figures: judged by the worse side's frame rate
// during the transfer, and failed whatever the rate when the file arrived
// damaged.
func TestBenchReportFile(t *testing.T) {
	run := FileRun{Size: "640x480", FPS: 30, FileBytes: 50_000_000, Seconds: 5.25, MbitPerS: 76.2, SHA256OK: true,
		InviterFPSDuring: 30, JoinerFPSDuring: 24.5, InviterFewest: 29, JoinerFewest: 20, InviterFPSAfter: 30, JoinerFPSAfter: 30,
		TargetKbpsBegan: 683, TargetKbpsEnded: 944, PeakMbitPerS: 131.4, SlowSeconds: 12.2, Command: "peercall bench file"}
	tg := fileTarget(&run)
	if tg.Met == nil || *tg.Met || tg.Measured != "24.5 fps" {
		t.Errorf("24.5 fps: %+v, want not met", tg)
	}
	run.JoinerFPSDuring = 29.9
	if tg := fileTarget(&run); tg.Met == nil || !*tg.Met {
		t.Errorf("29.9 fps: %+v, want met", tg)
	}
	run.SHA256OK = false
	if tg := fileTarget(&run); tg.Met == nil || *tg.Met || !strings.Contains(tg.Measured, "damaged") {
		t.Errorf("a damaged file: %+v, want not met", tg)
	}
	if tg := fileTarget(nil); tg.Met != nil {
		t.Errorf("not measured: %+v", tg)
	}
	text := fileMarkdown(&run)
	for _, want := range []string{"## Sending a file during a call", "| throughput | 76.2 Mbit/s (5.25 s) |",
		"| video during the transfer, inviter / joiner | 30.0 / 29.9 fps |", "| SHA-256 of the saved file | **differs** |",
		"683.0 → 944.0 kbit/s", "| fastest second | 131.4 Mbit/s |", "| time before a second carried a tenth of the fastest | 12.2 s |"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section lacks %q:\n%s", want, text)
		}
	}
	// Read back from file.json by the report.
	dir := t.TempDir()
	data, _ := json.Marshal(run)
	if err := os.WriteFile(filepath.Join(dir, "file.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := loadReport(dir)
	if err != nil || r.File == nil || r.File.MbitPerS != 76.2 {
		t.Fatalf("loadReport: %v, %+v", err, r.File)
	}
	if !strings.Contains(benchMarkdown(r), "## Sending a file during a call") {
		t.Error("the report leaves the file section out")
	}
}

func TestBenchReportFileOverACappedLink(t *testing.T) {
	run := FileCapRun{CapKbps: 2000, QueueMs: 500, DelayMs: 20, FileBytes: 2_500_000, Seconds: 44.4, SHA256OK: true,
		JoinerFPS: 29.9, JoinerFewest: 18, LatencyP50MaxMs: 33, LinkPeakKbps: 1996, TargetHighestKbps: 1686, TargetKeptPct: 73.2,
		Cuts: 1, Command: "go test ./e2e -bench FileOverACappedLink -benchtime 1x"}
	text := fileCapMarkdown(&run)
	for _, want := range []string{"## Sending a file over a narrow link", "a link of 2000 kbit/s each way with a 500 ms queue",
		"| transfer | 44.4 s (450 kbit/s on average) |", "| SHA-256 of the saved file | matches |",
		"| the link toward the joiner, busiest quarter second | 1996 kbit/s |", "| 29.9 fps (at least 18 frames a second) |",
		"| sender's video target, highest during the transfer | 1686 kbit/s |", "| lowest share of it kept with the link full | 73 % |",
		"| congestion control's cuts during the transfer | 1 |"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section lacks %q:\n%s", want, text)
		}
	}
	dir := t.TempDir()
	data, _ := json.Marshal(run)
	if err := os.WriteFile(filepath.Join(dir, "filecap.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := loadReport(dir)
	if err != nil || r.FileCap == nil || r.FileCap.TargetKeptPct != 73.2 {
		t.Fatalf("loadReport: %v, %+v", err, r.FileCap)
	}
	if !strings.Contains(benchMarkdown(r), "## Sending a file over a narrow link") {
		t.Error("the report leaves the narrow-link file section out")
	}
}
