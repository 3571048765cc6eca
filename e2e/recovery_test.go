package e2e

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// What the network-change tests (netchange_test.go, resume_test.go) saw,
// for make bench: with -recovery-out, each of them appends one JSON line
// to that file — the change, and per side how long until the picture was
// back and on which candidate pair — and `peercall bench report` makes the
// table of recovery times in BENCHMARKS.md from them. Without the flag, as
// in make test, nothing is written and the tests behave as before.

var recoveryOut = flag.String("recovery-out", "", "network-change tests: append what each saw, one JSON line a test, to this file")

// recoveryCase is one test's line. Its fields match bench.RecoveryCase.
type recoveryCase struct {
	Test   string `json:"test"`
	Change string `json:"change"` // what changed, and on whose side
	Paths  string `json:"paths"`  // the homes and servers: what a way back could go through
	// NewCodes: no way back was left, and the call was resumed with a new
	// invite and reply.
	NewCodes bool           `json:"new_codes"`
	Failed   bool           `json:"failed"`
	Sides    []recoverySide `json:"sides"` // inviter, then joiner
}

// recoverySide mirrors bench.RecoverySide.
type recoverySide struct {
	Side string `json:"side"`
	// BackMs is from the change to the first frame after the outage (with
	// new codes, from the reply's paste to pictures flowing again); -1 if
	// it did not come back, 0 with Steady.
	BackMs float64 `json:"back_ms"`
	// UpperBound: BackMs is the statistics line that first counted the
	// frame, as the freeze did not start at the change.
	UpperBound bool `json:"upper_bound,omitempty"`
	// Steady: the picture never stopped for longer than before the change.
	Steady bool `json:"steady,omitempty"`
	// LostMs: with new codes, when the side gave the call up as lost,
	// from the change.
	LostMs       float64 `json:"lost_ms,omitempty"`
	Reconnecting bool    `json:"reconnecting,omitempty"` // it showed reconnecting on the way
	Pair         string  `json:"pair"`                   // local/remote candidate types it came back on
	PathSwitches uint64  `json:"path_switches"`
}

var recoveryMu sync.Mutex

// recordRecovery appends c to -recovery-out, if it names a file, once the
// test is over, so that a test that fails half way still says how far it
// got.
func recordRecovery(t *testing.T, c *recoveryCase) {
	if *recoveryOut == "" {
		return
	}
	t.Cleanup(func() {
		c.Test, c.Failed = t.Name(), t.Failed()
		data, err := json.Marshal(c)
		if err != nil {
			t.Errorf("recovery record: %v", err)
			return
		}
		recoveryMu.Lock()
		defer recoveryMu.Unlock()
		f, err := os.OpenFile(*recoveryOut, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			_, err = f.Write(append(data, '\n'))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Errorf("recovery record: %v", err)
		}
	})
}

// netChangeRecord describes a netChangeTestAt case and what each side
// went through.
func netChangeRecord(b *natBed, turn bool, change bedChange, home int, sides []*sideRecovery) *recoveryCase {
	c := &recoveryCase{
		Change: []string{"inviter's", "joiner's"}[home] + " " + changeWords(change),
		Paths:  bedPaths(b, turn),
	}
	for _, s := range sides {
		r := recoverySide{Side: s.p.name, BackMs: -1, Pair: pair(s.p)}
		switch {
		case s.back == nil:
		case s.steady:
			r.BackMs, r.Steady = 0, true
		default:
			r.BackMs, r.UpperBound = ms(s.firstFrame), s.byLine
		}
		for _, l := range s.lines {
			r.Reconnecting = r.Reconnecting || l.State == "reconnecting"
		}
		if s.back != nil {
			r.PathSwitches = s.back.PathSwitches
		}
		c.Sides = append(c.Sides, r)
	}
	return c
}

// bedPaths says what the bed offers a call that lost its path.
func bedPaths(b *natBed, turn bool) string {
	homes := "both homes behind cone NATs"
	if b.kind[1] == natPublic {
		homes = "inviter behind a cone NAT, joiner on a public address"
	}
	if turn {
		return homes + ", STUN and TURN"
	}
	return homes + ", STUN only"
}

// changeWords names one of the bed's changes (netbed_test.go).
func changeWords(change bedChange) string {
	name := runtime.FuncForPC(reflect.ValueOf(change).Pointer()).Name()
	switch {
	case strings.HasSuffix(name, ".renumberWAN"):
		return "router: new public address, NAT state gone"
	case strings.HasSuffix(name, ".moveHost"):
		return "computer: new address on the same network"
	case strings.HasSuffix(name, ".swapInterface"):
		return "computer: only link down, another up on a new subnet"
	}
	return name
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sideByName finds the record of the named side, adding it if need be.
func (c *recoveryCase) sideByName(name string) *recoverySide {
	for i := range c.Sides {
		if c.Sides[i].Side == name {
			return &c.Sides[i]
		}
	}
	c.Sides = append(c.Sides, recoverySide{Side: name, BackMs: -1})
	return &c.Sides[len(c.Sides)-1]
}
