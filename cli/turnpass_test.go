package cli

import (
	"io"
	"testing"

	"peercall/call"
)

// The TURN password can come from the environment, out of the process
// list; a flag still wins.
func TestTurnPasswordFromTheEnvironment(t *testing.T) {
	parse := func(args ...string) (call.Options, error) {
		var f callFlags
		fs := newCallFlagSet("invite", &f, io.Discard)
		if err := fs.Parse(args); err != nil {
			return call.Options{}, err
		}
		return f.options()
	}
	t.Setenv(TurnPassEnv, "")
	if _, err := parse("--turn", "turn:203.0.113.1:3478", "--turn-user", "u"); err == nil {
		t.Error("a TURN server without a password was accepted")
	}
	t.Setenv(TurnPassEnv, "from-env")
	o, err := parse("--turn", "turn:203.0.113.1:3478", "--turn-user", "u")
	if err != nil {
		t.Fatal(err)
	}
	if s := call.ICEServers(o.STUN, o.TURN, o.TURNUser, o.TURNPass); len(s) == 0 || s[len(s)-1].Credential != "from-env" {
		t.Errorf("servers %+v: want the TURN password from %s", s, TurnPassEnv)
	}
	o, err = parse("--turn", "turn:203.0.113.1:3478", "--turn-user", "u", "--turn-pass", "flag")
	if err != nil {
		t.Fatal(err)
	}
	if s := call.ICEServers(o.STUN, o.TURN, o.TURNUser, o.TURNPass); s[len(s)-1].Credential != "flag" {
		t.Errorf("the flag did not win over the environment")
	}
}
