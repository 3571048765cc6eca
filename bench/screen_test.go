package bench

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bench report --screen writes screen sharing's section from screen.txt
// (go test -bench output) and keeps the rest of BENCHMARKS.md and of the
// JSON; a full report afterwards keeps the screen's figures.
func TestBenchReportScreen(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("screen.txt", `goos: linux
pkg: peercall/rtc
BenchmarkScreenChangeReadable
    screenbench_test.go:154: first 174ms, after the first 380ms
BenchmarkScreenChangeReadable-2   	       1	25978676670 ns/op	       380.5 after-first-ms	        20.54 encode-ms	      5650 estimate-kbps	       174.0 first-ms	       793.0 flicked-max-ms	       675.3 flicked-p50-ms	        52.00 frames-sent	         2.000 keyframes	       627.4 paged-max-ms	       103.7 paged-p50-ms	      1920 received-width	      3476 screen-target-kbps
PASS
pkg: peercall/media/vp8
BenchmarkScreenPageChange-2   	      72	  14345930 ns/op	        16.72 decode-ms	        28.40 encode-ms	       259.8 frame-kB
`)
	write("screen-load.txt", "2.79\n2.20\n")
	md := filepath.Join(dir, "B.md")
	jsonPath := filepath.Join(dir, "b.json")
	write("B.md", "# B\n\n"+sectionBegin+"\nthe run's figures\n"+sectionEnd+"\n")
	write("b.json", `{"date": "2026-12-01", "calls": [{"size": "640x480"}]}`)
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath, "--screen"}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(md)
	for _, want := range []string{
		"the run's figures", screenBegin, "load average (1 minute) 2.79 → 2.20",
		"| a page changed as soon as the first arrived | 380 ms |",
		"| pages changed after 2 s of a still screen (6), median / slowest | 104 ms / 627 ms |",
		"| pages changed every 0.5 s (6), median / slowest | 675 ms / 793 ms |",
		"): met.", "| ScreenPageChange | 14.35 ms | 28.4 ms | 16.7 ms | 259.8 kB |",
		"Every time measured: first 174ms, after the first 380ms.",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
	var r Report
	if data, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(data, &r) != nil {
		t.Fatalf("reading the JSON: %v", err)
	}
	if r.Screen == nil || r.Screen.Call.Metrics["after-first-ms"] != 380.5 || len(r.Screen.Parts) != 1 {
		t.Errorf("the JSON's screen sharing: %+v", r.Screen)
	}
	if r.Date != "2026-12-01" || len(r.Calls) != 1 {
		t.Errorf("the JSON lost the run's figures: date %q, %d calls", r.Date, len(r.Calls))
	}

	// A full report keeps the screen's section and figures.
	os.Remove(filepath.Join(dir, "screen.txt"))
	if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", jsonPath}, io.Discard, os.Stderr); err != nil {
		t.Fatal(err)
	}
	text, _ = os.ReadFile(md)
	if strings.Contains(string(text), "the run's figures") || !strings.Contains(string(text), "| a page changed as soon as the first arrived | 380 ms |") {
		t.Errorf("after a full report:\n%s", text)
	}
	data, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(data, &r); err != nil || r.Screen == nil {
		t.Errorf("the full report dropped the screen's figures: %v", err)
	}
}
