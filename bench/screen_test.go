package bench

import (
	"strings"
	"testing"
)

// bench report --screen writes screen sharing's section from screen.txt
// (go test -bench output) and keeps the rest of BENCHMARKS.md and of the
// JSON; a full report afterwards keeps the screen's figures.
func TestBenchReportScreen(t *testing.T) {
	s := newSectionRun(t, map[string]string{
		"screen.txt": `goos: linux
pkg: peercall/rtc
BenchmarkScreenChangeReadable
    screenbench_test.go:154: first 174ms, after the first 380ms
BenchmarkScreenChangeReadable-2   	       1	25978676670 ns/op	       380.5 after-first-ms	        20.54 encode-ms	      5650 estimate-kbps	       174.0 first-ms	       793.0 flicked-max-ms	       675.3 flicked-p50-ms	        52.00 frames-sent	         2.000 keyframes	       627.4 paged-max-ms	       103.7 paged-p50-ms	      1920 received-width	      3476 screen-target-kbps
PASS
pkg: peercall/media/vp8
BenchmarkScreenPageChange-2   	      72	  14345930 ns/op	        16.72 decode-ms	        28.40 encode-ms	       259.8 frame-kB
`,
		"screen-load.txt": "2.79\n2.20\n",
	})
	text, r := s.report("--screen")
	for _, want := range []string{
		"the run's figures", screenBegin, "load average (1 minute) 2.79 → 2.20",
		"| a page changed as soon as the first arrived | 380 ms |",
		"| pages changed after 2 s of a still screen (6), median / slowest | 104 ms / 627 ms |",
		"| pages changed every 0.5 s (6), median / slowest | 675 ms / 793 ms |",
		"): met.", "| ScreenPageChange | 14.35 ms | 28.4 ms | 16.7 ms | 259.8 kB |",
		"Every time measured: first 174ms, after the first 380ms.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
	if r.Screen == nil || r.Screen.Call.Metrics["after-first-ms"] != 380.5 || len(r.Screen.Parts) != 1 {
		t.Errorf("the JSON's screen sharing: %+v", r.Screen)
	}
	if r.Date != "2026-12-01" || len(r.Calls) != 1 {
		t.Errorf("the JSON lost the run's figures: date %q, %d calls", r.Date, len(r.Calls))
	}

	// A full report keeps the screen's section and figures.
	s.remove("screen.txt")
	text, r = s.report()
	if strings.Contains(text, "the run's figures") || !strings.Contains(text, "| a page changed as soon as the first arrived | 380 ms |") {
		t.Errorf("after a full report:\n%s", text)
	}
	if r.Screen == nil {
		t.Error("the full report dropped the screen's figures")
	}
}
