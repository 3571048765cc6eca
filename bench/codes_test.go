package bench

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The code lengths of codes.json become a section and a target judged on
// this machine's codes.
func TestBenchReportCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chars  int
		result string
	}{{"met", 75, "| 75 characters (this machine) | met |"}, {"not met", 97, "| 97 characters (this machine) | **not met** |"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			runs := []CodeRun{
				{Machine: "this machine", Interfaces: "eth0 192.0.2.2/24, fd00::2/64", IPv4IPv6: true, InviteChars: 70, ReplyChars: tc.chars,
					InviteV2Chars: 92, ReplyV2Chars: 97, Candidates: []string{"host 192.0.2.2 5000", "host fd00::2 5000"}},
				{Machine: "IPv4 + IPv6 behind a NAT, with STUN", InviteChars: 95, ReplyChars: 100},
				{Machine: "IPv4 only", Error: "not measured: needs root for the network namespaces"},
			}
			data, _ := json.Marshal(runs)
			if err := os.WriteFile(filepath.Join(dir, "codes.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			md, js := filepath.Join(dir, "B.md"), filepath.Join(dir, "b.json")
			if err := Run([]string{"report", "--dir", dir, "--md", md, "--json", js}, io.Discard, os.Stderr); err != nil {
				t.Fatal(err)
			}
			out, _ := os.ReadFile(md)
			text := string(out)
			for _, want := range []string{
				"| code from a machine with IPv4 and IPv6 addresses, the longest invite or reply | ≤ 80 characters " + tc.result,
				"## Code lengths",
				"| this machine | eth0 192.0.2.2/24, fd00::2/64 | 70 | " + itoaTest(tc.chars) + " | 92 / 97 | host 192.0.2.2 5000; host fd00::2 5000 |",
				"| IPv4 only |  | – | – | – | not measured: needs root for the network namespaces |",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("report lacks %q:\n%s", want, text)
				}
			}
			var r Report
			if data, err := os.ReadFile(js); err != nil || json.Unmarshal(data, &r) != nil || len(r.Codes) != 3 {
				t.Errorf("benchmarks.json: %v, %d code runs", err, len(r.Codes))
			}
		})
	}
}

func itoaTest(i int) string { b, _ := json.Marshal(i); return string(b) }
