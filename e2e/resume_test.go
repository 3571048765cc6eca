package e2e

import (
	"os"
	"testing"
	"time"
)

// Two computers on one link; the link goes dead for longer than a call
// waits for a way back (the cable pulled, both Wi-Fis gone), then comes
// back. Neither side can find the other by itself any more: both give the
// call up as lost, and new codes resume it with the contract of the first
// pair — the inviting side prints a new invite, the other side reads it on
// stdin and prints its reply, the inviting side reads that — after which
// pictures flow both ways again and the call ends normally.
func TestLostCallResumesWithNewCodes(t *testing.T) {
	a, b := newNamespace(t, "resume-a"), newNamespace(t, "resume-b")
	mustRun(t, "ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
	mustRun(t, "ip", "-n", a, "addr", "add", "198.51.100.2/24", "dev", "eth0")
	mustRun(t, "ip", "-n", b, "addr", "add", "198.51.100.3/24", "dev", "eth0")
	for _, ns := range []string{a, b} {
		mustRun(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	const seconds = 60
	inv, join := startCall(t, callOptions{
		seconds:       seconds,
		flags:         []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--stun", "none", "--interface", "eth0"},
		inviterPrefix: nsExec(a), joinerPrefix: nsExec(b),
	})
	for _, p := range []*peer{inv, join} {
		p.waitStats(20*time.Second, "video", func(l statsLine) bool { return l.FramesDecoded > 15 })
	}

	mustRun(t, "ip", "-n", a, "link", "set", "eth0", "down")
	cut := time.Now()
	for _, p := range []*peer{inv, join} {
		l := p.waitStats(25*time.Second, "the call given up as lost", func(l statsLine) bool { return l.At.After(cut) && l.State == "lost" })
		t.Logf("%s: lost %v after the link died", p.name, l.At.Sub(cut).Round(time.Millisecond))
	}
	mustRun(t, "ip", "-n", a, "link", "set", "eth0", "up")

	invite := inv.nextCode(15 * time.Second)
	join.paste(invite)
	reply := join.nextCode(15 * time.Second)
	inv.paste(reply)
	resumed := time.Now()
	for _, p := range []*peer{inv, join} {
		l := p.waitDecodingSince(resumed, 20*time.Second, 5)
		t.Logf("%s: pictures again %v after the new reply was pasted", p.name, l.At.Sub(resumed).Round(time.Millisecond))
	}
	for _, p := range []*peer{inv, join} {
		p.stdin.Close()
	}
	inv.cmd.Process.Signal(os.Interrupt)
	for _, p := range []*peer{inv, join} {
		if err := p.wait(20 * time.Second); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
	if end := join.final().End; end != "the other side hung up" {
		t.Errorf("the joiner's call ended with %q, want the other side hung up", end)
	}
}

// No path remains: both homes behind cone NATs with firewalls, no TURN,
// and home 1's router comes back with a new public address. Neither side
// can reach the other by itself: both give the call up as lost, and the new
// invite and reply — carried by hand, as the first pair — resume it
// through the routers as they are now.
func TestNATNoPathResumesWithNewCodes(t *testing.T) {
	b, inv, join, changed := netChangeNoPath(t)
	rec := &recoveryCase{Change: "inviter's " + changeWords((*natBed).renumberWAN), Paths: bedPaths(b, false), NewCodes: true}
	recordRecovery(t, rec)
	for _, p := range []*peer{inv, join} {
		l := p.waitStats(25*time.Second, "the call given up as lost", func(l statsLine) bool { return l.At.After(changed) && l.State == "lost" })
		t.Logf("%s: lost %v after the change", p.name, l.At.Sub(changed).Round(time.Millisecond))
		rec.sideByName(p.name).LostMs = ms(l.At.Sub(changed))
	}
	invite := inv.nextCode(15 * time.Second)
	join.paste(invite)
	reply := join.nextCode(15 * time.Second)
	inv.paste(reply)
	resumed := time.Now()
	for _, p := range []*peer{inv, join} {
		l := p.waitDecodingSince(resumed, 20*time.Second, 5)
		t.Logf("%s: pictures again %v after the new reply was pasted, on %s/%s", p.name,
			l.At.Sub(resumed).Round(time.Millisecond), l.LocalCandidate, l.RemoteCandidate)
		s := rec.sideByName(p.name)
		s.BackMs, s.Pair = ms(l.At.Sub(resumed)), l.LocalCandidate+"/"+l.RemoteCandidate
	}
}
