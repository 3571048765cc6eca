package bench

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	write("window.txt", "BenchmarkWindowCall720p-2   	       1	20019067062 ns/op	        63.6 cpu-%	        36.4 drawing-cpu-%	       233.0 rss-MB\n")
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
	check("window memory, 720p call", &no)
	check("1280×720@30 both ways, CPU", nil) // no 720p call in this run
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
