package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Recovery from a network change (issue 12, point 3): `make bench` runs
// e2e's network-change tests in the NAT bed (netchange_test.go, and the
// resume with new codes in resume_test.go) with -recovery-out, each of
// which appends one JSON line to recovery.jsonl, and the report makes the
// table of how soon each side's picture came back.

// RecoveryCase is one network-change test's line; it matches e2e's
// recoveryCase.
type RecoveryCase struct {
	Test     string         `json:"test"`
	Change   string         `json:"change"`
	Paths    string         `json:"paths"`
	NewCodes bool           `json:"new_codes"` // no way back: resumed with a new invite and reply
	Failed   bool           `json:"failed"`
	Sides    []RecoverySide `json:"sides"` // inviter, then joiner
}

// RecoverySide is what one side of the call went through.
type RecoverySide struct {
	Side         string  `json:"side"`
	BackMs       float64 `json:"back_ms"` // from the change (new codes: from the reply's paste); -1 not back
	UpperBound   bool    `json:"upper_bound,omitempty"`
	Steady       bool    `json:"steady,omitempty"` // the picture never stopped
	LostMs       float64 `json:"lost_ms,omitempty"`
	Reconnecting bool    `json:"reconnecting,omitempty"`
	Pair         string  `json:"pair"`
	PathSwitches uint64  `json:"path_switches"`
}

// recoveryTargetMs is how soon the picture must be back after a change
// that leaves a way back (issue 12).
const recoveryTargetMs = 5000

// readRecovery reads recovery.jsonl: one case a line.
func readRecovery(path string) ([]RecoveryCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []RecoveryCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c RecoveryCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// recoveryTarget: wherever a way back remained, the picture came back on
// both sides within 5 s; judged on the slowest side of all such cases.
func recoveryTarget(cases []RecoveryCase) Target {
	t := Target{What: "network change with a way back left: picture back on both sides, slowest of all cases",
		Goal: "≤ 5 s", Limit: recoveryTargetMs / 1000, Measured: "not measured"}
	worst, worstCase, notBack, n := 0.0, "", "", 0
	for _, c := range cases {
		if c.NewCodes {
			continue
		}
		n++
		for _, s := range c.Sides {
			switch {
			case s.BackMs < 0:
				if notBack == "" {
					notBack = c.Change + ", " + s.Side
				}
			case s.BackMs >= worst:
				worst, worstCase = s.BackMs, c.Change+", "+s.Side
			}
		}
	}
	if n == 0 {
		return t
	}
	met := notBack == "" && worst <= recoveryTargetMs
	t.Met = &met
	if notBack != "" {
		t.Measured = "not back (" + notBack + ")"
		return t
	}
	t.Value = worst / 1000
	t.Measured = fmt.Sprintf("%s s (%s; %d cases)", f1(t.Value), worstCase, n)
	return t
}

// recoveryMarkdown is the section on network changes.
func recoveryMarkdown(cases []RecoveryCase) string {
	var b strings.Builder
	b.WriteString("\n## Recovery from a network change\n\n")
	b.WriteString("`go test -run '^(TestNetChange.*|TestNATNoPathResumesWithNewCodes)$' -v ./e2e`, without\n")
	b.WriteString("`-race`: a two-way 320×240@15 call in the NAT bed of `e2e/netbed_test.go` (homes behind\n")
	b.WriteString("nftables NAT routers whose firewalls drop unsolicited packets, coturn for STUN and TURN on\n")
	b.WriteString("a public network between them), and 10 s in one home's network changes. Each side's time\n")
	b.WriteString("is from the change to the first picture decoded after the outage (the freeze that ended\n")
	b.WriteString("with it; \"≤\" where the freeze began late and the statistics line that counted the frame\n")
	b.WriteString("bounds it); the goal is 5 s wherever a way back is left. Where none is, the call is given\n")
	b.WriteString("up as lost and resumed with a new invite and reply: there the time is from the reply's\n")
	b.WriteString("paste to pictures flowing again, read from the once-a-second statistics. The pair is\n")
	b.WriteString("each side's local/remote candidate types once it came back.\n\n")
	b.WriteString("| change | homes and servers | inviter | joiner | how it came back |\n|---|---|---|---|---|\n")
	for _, c := range cases {
		cells := make([]string, 2)
		var how []string
		for i, s := range c.Sides {
			if i < 2 {
				cells[i] = recoveryCell(c, s)
			}
			h := s.Side + " " + orDash(s.Pair)
			switch {
			case s.PathSwitches == 1:
				h += " (1 path switch)"
			case s.PathSwitches > 1:
				h += fmt.Sprintf(" (%d path switches)", s.PathSwitches)
			}
			if s.Reconnecting {
				h += ", showed reconnecting"
			}
			how = append(how, h)
		}
		prefix := ""
		if c.NewCodes {
			prefix = "new invite and reply; "
		}
		note := ""
		if c.Failed {
			note = " (the test failed)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s%s%s |\n", c.Change, c.Paths, orDash(cells[0]), orDash(cells[1]), prefix, strings.Join(how, "; "), note)
	}
	return b.String()
}

func recoveryCell(c RecoveryCase, s RecoverySide) string {
	switch {
	case c.NewCodes && s.BackMs >= 0:
		return fmt.Sprintf("lost after %s s; back %s s after the paste", f1(s.LostMs/1000), f1(s.BackMs/1000))
	case c.NewCodes && s.LostMs > 0:
		return fmt.Sprintf("lost after %s s; **not back**", f1(s.LostMs/1000))
	case s.BackMs < 0:
		return "**not back**"
	case s.Steady:
		return "never stopped"
	case s.UpperBound:
		return "≤ " + strconvF2(s.BackMs/1000) + " s"
	}
	return strconvF2(s.BackMs/1000) + " s"
}

func strconvF2(v float64) string { return fmt.Sprintf("%.2f", v) }

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
