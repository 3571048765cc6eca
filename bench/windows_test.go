package bench

import (
	"strings"
	"testing"
)

// bench report --windows writes the Windows build's section from
// windows.json and keeps the rest of BENCHMARKS.md and of the JSON; a full
// report afterwards keeps the Windows figures in the JSON and the section
// in the Markdown.
func TestBenchReportWindows(t *testing.T) {
	s := newSectionRun(t, map[string]string{
		"windows.json": `{"cold_seconds": 612.4, "libraries_seconds": 51.2, "warm_seconds": 3.4, "exe_bytes": 31317504, "zip_bytes": 12250263, "libraries": "libvpx 1.12.0-1+deb12u5"}`,
	})
	text, r := s.report("--windows")
	for _, want := range []string{
		"the run's figures", windowsBegin, "| cold build | 10 min 12 s |", "| of which the C libraries | 51.2 s |",
		"| warm build | 3.4 s |", "| Peercall.exe | 31.3 MB |", "| Peercall-windows-amd64.zip | 12.3 MB |",
		"Libraries: libvpx 1.12.0-1+deb12u5.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, text)
		}
	}
	if r.Windows == nil || r.Windows.ColdSeconds != 612.4 || r.Windows.ExeBytes != 31317504 || r.Windows.Cores == 0 {
		t.Errorf("the JSON's Windows build: %+v", r.Windows)
	}
	if r.Date != "2026-12-01" || len(r.Calls) != 1 {
		t.Errorf("the JSON lost the run's figures: date %q, %d calls", r.Date, len(r.Calls))
	}

	// A full report: the run's section is rewritten, the Windows one kept.
	s.remove("windows.json")
	text, r = s.report()
	if strings.Contains(text, "the run's figures") || !strings.Contains(text, "| warm build | 3.4 s |") {
		t.Errorf("after a full report:\n%s", text)
	}
	if r.Windows == nil || r.Windows.WarmSeconds != 3.4 {
		t.Errorf("a full report dropped the Windows build: %+v", r.Windows)
	}
}
