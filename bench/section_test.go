package bench

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sectionRun is a folder of measurements beside a BENCHMARKS.md that
// holds only the last full run's section and a JSON of one call: what a
// section's own make target (make bench-windows, make bench-screen) finds.
type sectionRun struct {
	t                *testing.T
	dir, md, jsonOut string
}

func newSectionRun(t *testing.T, files map[string]string) *sectionRun {
	t.Helper()
	dir := t.TempDir()
	s := &sectionRun{t: t, dir: dir, md: filepath.Join(dir, "B.md"), jsonOut: filepath.Join(dir, "b.json")}
	files["B.md"] = "# B\n\n" + sectionBegin + "\nthe run's figures\n" + sectionEnd + "\n"
	files["b.json"] = `{"date": "2026-12-01", "calls": [{"size": "640x480"}]}`
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// report runs bench report on the folder with flags and returns the
// Markdown and the JSON it wrote.
func (s *sectionRun) report(flags ...string) (string, Report) {
	s.t.Helper()
	args := append([]string{"report", "--dir", s.dir, "--md", s.md, "--json", s.jsonOut}, flags...)
	if err := Run(args, io.Discard, os.Stderr); err != nil {
		s.t.Fatal(err)
	}
	text, err := os.ReadFile(s.md)
	if err != nil {
		s.t.Fatal(err)
	}
	var r Report
	if data, err := os.ReadFile(s.jsonOut); err != nil || json.Unmarshal(data, &r) != nil {
		s.t.Fatalf("reading the JSON: %v", err)
	}
	return string(text), r
}

// remove takes a measurement file out of the folder.
func (s *sectionRun) remove(name string) {
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
		s.t.Fatal(err)
	}
}
