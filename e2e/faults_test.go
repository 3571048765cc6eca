package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"peercall/rtc/invite"
)

// faultFlags are what every fault test's call sends: a small picture, so
// that the machine's load plays no part.
var faultFlags = []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--stun", "none"}

// faultCall starts a call between two processes, each wrapped by its
// prefix, and returns once both decode video.
func faultCall(t *testing.T, invPrefix, joinPrefix []string, invFlags, joinFlags []string) (inv, join *peer) {
	t.Helper()
	inv, join = startCall(t, callOptions{seconds: 120, flags: faultFlags,
		inviterPrefix: invPrefix, joinerPrefix: joinPrefix, inviterFlags: invFlags, joinerFlags: joinFlags})
	for _, p := range []*peer{inv, join} {
		p.waitStats(20*time.Second, "video", func(l statsLine) bool { return l.FramesDecoded > 15 })
	}
	return inv, join
}

// A peer killed mid-call (SIGKILL: no hang-up is sent): the other side's
// statistics show it within 3 s; within 15 s the call is given up as lost
// and new codes are offered (the inviting side prints a new invite); when
// none come, the process exits non-zero with the reason on stderr.
func TestFaultPeerKilledMidCall(t *testing.T) {
	for _, victim := range []string{"joiner", "inviter"} {
		t.Run("kill "+victim, func(t *testing.T) {
			lo := []string{"--interface", "lo"}
			inv, join := faultCall(t, nil, nil, lo, lo)
			dead, alive := join, inv
			if victim == "inviter" {
				dead, alive = inv, join
			}
			if err := dead.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			shown := alive.waitStats(10*time.Second, "shows the loss", func(l statsLine) bool {
				return l.At.After(killed) && l.State != "connected"
			})
			showAfter := shown.At.Sub(killed)
			t.Logf("%s's statistics said %q %v after the kill", alive.name, shown.State, showAfter.Round(time.Millisecond))
			if shown.State != "reconnecting" {
				t.Errorf("state %q after the kill, want reconnecting", shown.State)
			}
			if showAfter > 3*time.Second {
				t.Errorf("the loss showed %v after the kill, want within 3 s", showAfter)
			}
			// No way back comes: the survivor offers to resume the call with
			// new codes — the inviting side prints a new invite — and, when
			// nobody gives them (stdin closes), ends it.
			lost := alive.waitStats(20*time.Second, "offers new codes", func(l statsLine) bool {
				return l.At.After(killed) && l.State == "lost"
			})
			lostAfter := lost.At.Sub(killed)
			t.Logf("%s's statistics said %q %v after the kill", alive.name, lost.State, lostAfter.Round(time.Millisecond))
			if lostAfter > 15*time.Second {
				t.Errorf("the call was given up %v after the kill, want within 15 s", lostAfter)
			}
			if alive == inv {
				inv.nextCode(10 * time.Second)
			}
			alive.stdin.Close()
			err := alive.wait(20 * time.Second)
			endAfter := time.Since(killed)
			if errors.Is(err, errStillRunning) {
				t.Fatalf("%s: %v after its peer was killed and its stdin closed", alive.name, err)
			}
			t.Logf("%s exited %v after the kill: %v", alive.name, endAfter.Round(time.Millisecond), err)
			if err == nil {
				t.Error("exit status 0 after losing the peer, want non-zero")
			}
			if stderr := alive.stderr.String(); !strings.Contains(stderr, "the connection was lost") {
				t.Errorf("no reason on stderr:\n%s", stderr)
			}
			if end := alive.final().End; end != "the connection was lost" {
				t.Errorf("final statistics end %q, want the connection was lost", end)
			}
		})
	}
}

// txBytes reads how many bytes an interface in a namespace has sent.
func txBytes(t *testing.T, ns, dev string) uint64 {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-s", "-j", "link", "show", dev).Output()
	if err != nil {
		t.Fatalf("ip link show %s: %v", dev, err)
	}
	var links []struct {
		Stats64 struct {
			TX struct {
				Bytes uint64 `json:"bytes"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		t.Fatalf("ip link show %s: %v: %s", dev, err, out)
	}
	return links[0].Stats64.TX.Bytes
}

// Two machines joined by two links (two veth pairs, two subnets). The
// address carrying the call is taken away on one side mid-call: the call
// moves to the other link and goes on within 5 s.
func TestFaultPathDiesCallMovesToTheOtherLink(t *testing.T) {
	nsA := newNamespace(t, "fault-a")
	nsB := newNamespace(t, "fault-b")
	links := []struct{ a, b, addrA, addrB string }{
		{"pa1", "pb1", "198.18.1.1/24", "198.18.1.2/24"},
		{"pa2", "pb2", "198.18.2.1/24", "198.18.2.2/24"},
	}
	for _, l := range links {
		// Made inside the namespaces, removed with them.
		mustRun(t, "ip", "link", "add", l.a, "netns", nsA, "type", "veth", "peer", "name", l.b, "netns", nsB)
		mustRun(t, "ip", "-n", nsA, "addr", "add", l.addrA, "dev", l.a)
		mustRun(t, "ip", "-n", nsB, "addr", "add", l.addrB, "dev", l.b)
		mustRun(t, "ip", "-n", nsA, "link", "set", l.a, "up")
		mustRun(t, "ip", "-n", nsB, "link", "set", l.b, "up")
	}
	inv, join := faultCall(t, nsExec(nsA), nsExec(nsB),
		[]string{"--interface", "pa1", "--interface", "pa2"}, []string{"--interface", "pb1", "--interface", "pb2"})
	time.Sleep(2 * time.Second)

	// The link the inviter sends the call on is the busier one.
	var before [2]uint64
	for i, l := range links {
		before[i] = txBytes(t, nsA, l.a)
	}
	time.Sleep(time.Second)
	busy := 0
	var sent [2]uint64
	for i, l := range links {
		sent[i] = txBytes(t, nsA, l.a) - before[i]
	}
	if sent[1] > sent[0] {
		busy = 1
	}
	t.Logf("the inviter sent %d and %d bytes in a second on the two links; removing %s from %s", sent[0], sent[1], links[busy].addrA, links[busy].a)
	mustRun(t, "ip", "-n", nsA, "addr", "del", links[busy].addrA, "dev", links[busy].a)
	cut := time.Now()

	for _, p := range []*peer{inv, join} {
		stalled := p.waitStats(5*time.Second, "a line after the cut", func(l statsLine) bool {
			return l.At.After(cut.Add(500 * time.Millisecond))
		})
		back := p.waitStats(15*time.Second, "video again", func(l statsLine) bool {
			return l.At.After(stalled.At) && l.FramesDecoded >= stalled.FramesDecoded+5
		})
		restored := back.At.Sub(cut)
		t.Logf("%s: frames %d half a second after the cut, %d at %v (state %s, path switches %d)",
			p.name, stalled.FramesDecoded, back.FramesDecoded, restored.Round(time.Millisecond), back.State, back.PathSwitches)
		if restored > 5*time.Second {
			t.Errorf("%s: video came back %v after the cut, want within 5 s", p.name, restored)
		}
	}
	// The call stays up on the remaining link, and says it moved.
	time.Sleep(3 * time.Second)
	for _, p := range []*peer{inv, join} {
		var timeline []string
		for _, l := range p.statsLines() {
			if d := l.At.Sub(cut); d > -time.Second && d < 8*time.Second {
				timeline = append(timeline, fmt.Sprintf("%+.1fs %s %d", d.Seconds(), l.State, l.FramesDecoded))
			}
		}
		t.Logf("%s around the cut (time, state, frames): %s", p.name, strings.Join(timeline, ", "))
	}
	for _, p := range []*peer{inv, join} {
		last := p.final()
		if last.State != "connected" || last.PathSwitches == 0 {
			t.Errorf("%s: state %q, path switches %d; want connected after at least 1 switch", p.name, last.State, last.PathSwitches)
		}
		if !p.running() {
			t.Errorf("%s exited: %v", p.name, p.err)
		}
	}
	// A normal end: both exit 0.
	for _, p := range []*peer{inv, join} {
		p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range []*peer{inv, join} {
		if err := p.wait(10 * time.Second); err != nil {
			t.Errorf("%s after an interrupt: %v", p.name, err)
		}
	}
}

// A forged reply (one that names the invited person's certificate but comes
// from someone else) pasted into a headless inviter: it says why on stderr
// and goes on waiting on the same invite, and the genuine reply pasted next
// connects.
func TestFaultForgedReplyThenGenuine(t *testing.T) {
	flags := append(slices.Clone(faultFlags), "--seconds", "60")
	start := func(name, sub string, args ...string) *peer {
		return startPeer(t, peerOptions{name: name}, sub, append(slices.Clone(flags), args...)...)
	}
	inv := start("inviter", "invite")
	meant := start("meant", "join", inv.code)
	impostor := start("impostor", "join", inv.code)
	inv.paste(forgeReply(t, meant.code, impostor.code))
	waitRefused(t, inv)
	for _, l := range inv.statsLines() {
		if l.FramesDecoded > 0 {
			t.Fatalf("the inviter decoded %d frames from the impostor", l.FramesDecoded)
		}
	}
	inv.paste(meant.code)
	for _, p := range []*peer{inv, meant} {
		p.waitStats(20*time.Second, "video after the genuine reply", func(l statsLine) bool { return l.FramesDecoded > 15 })
	}
}

// forgeReply is the impostor's reply (its addresses and ICE credentials)
// naming the genuine joiner's certificate.
func forgeReply(t *testing.T, genuine, impostor string) string {
	t.Helper()
	g, err := invite.Decode(genuine)
	if err != nil {
		t.Fatal(err)
	}
	code, err := invite.Decode(impostor)
	if err != nil {
		t.Fatal(err)
	}
	code.Fingerprint = g.Fingerprint
	forged, err := invite.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	return forged
}

// waitRefused waits, for at most 30 s, until the inviter says on stderr
// that it refused a reply; it must still be running.
func waitRefused(t *testing.T, inv *peer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(inv.stderr.String(), "that reply was refused"); {
		if !inv.running() {
			t.Fatalf("the inviter exited (%v)", inv.err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the forged reply was not refused within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
