package headless

import (
	"io"
	"testing"
)

// The TURN password can come from the environment, out of the process
// list; a flag still wins.
func TestTurnPasswordFromTheEnvironment(t *testing.T) {
	parse := func(args ...string) (*callFlags, error) {
		var f callFlags
		fs := newCallFlagSet("invite", &f, io.Discard)
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		return &f, f.check()
	}
	t.Setenv(TurnPassEnv, "")
	if _, err := parse("--turn", "turn:203.0.113.1:3478", "--turn-user", "u"); err == nil {
		t.Error("a TURN server without a password was accepted")
	}
	t.Setenv(TurnPassEnv, "from-env")
	f, err := parse("--turn", "turn:203.0.113.1:3478", "--turn-user", "u")
	if err != nil {
		t.Fatal(err)
	}
	if s := f.iceServers(); len(s) == 0 || s[len(s)-1].Credential != "from-env" {
		t.Errorf("servers %+v: want the TURN password from %s", s, TurnPassEnv)
	}
	f, err = parse("--turn", "turn:203.0.113.1:3478", "--turn-user", "u", "--turn-pass", "flag")
	if err != nil {
		t.Fatal(err)
	}
	if s := f.iceServers(); s[len(s)-1].Credential != "flag" {
		t.Errorf("the flag did not win over the environment")
	}
}
