package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"peercall/rtc/invite"
)

// faultLine is the part of a --stats line the fault tests read.
type faultLine struct {
	Time          time.Time `json:"time"`
	State         string    `json:"state"`
	FramesDecoded uint64    `json:"frames_decoded"`
	PathSwitches  uint64    `json:"path_switches"`
	End           string    `json:"end"`
}

// faultStats reads the complete lines of a --stats file written so far.
func faultStats(path string) []faultLine {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []faultLine
	for _, line := range strings.Split(string(data), "\n") {
		var l faultLine
		if json.Unmarshal([]byte(line), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}

// faultProc is one headless peercall process.
type faultProc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stats  string
	stderr *syncBuffer
	code   string // the one line it printed
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// faultStart starts `peercall <sub> --stats FILE <args>` (wrapped by
// prefix) and waits for the code it prints. The process is killed when the
// test ends.
func faultStart(t *testing.T, name string, prefix []string, sub string, args ...string) *faultProc {
	t.Helper()
	p := &faultProc{name: name, stats: filepath.Join(t.TempDir(), name+".jsonl"), stderr: &syncBuffer{}, exited: make(chan struct{})}
	all := append(append([]string{}, prefix...), peercallBin)
	all = append(append(all, sub, "--stats", p.stats), args...)
	p.cmd = exec.Command(all[0], all[1:]...)
	p.cmd.Env = append(os.Environ(), callEnv...)
	p.cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: not gone 10 s after being killed", name)
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.stderr.String())
		}
	})
	select {
	case line, ok := <-lines:
		if !ok || !strings.HasPrefix(line, "PC") {
			t.Fatalf("%s printed no code (got %q); stderr:\n%s", name, line, p.stderr.String())
		}
		p.code = line
	case <-time.After(20 * time.Second):
		t.Fatalf("%s printed no code within 20 s", name)
	}
	return p
}

// faultWaitLine polls p's statistics until a line satisfies ok.
func faultWaitLine(t *testing.T, p *faultProc, within time.Duration, what string, ok func(faultLine) bool) faultLine {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, l := range faultStats(p.stats) {
			if ok(l) {
				return l
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %s: not within %v; stderr:\n%s", p.name, what, within, p.stderr.String())
	return faultLine{}
}

// faultCall starts a call between two processes, each wrapped by its
// prefix, and returns once both decode video.
func faultCall(t *testing.T, invPrefix, joinPrefix []string, invFlags, joinFlags []string) (inv, join *faultProc) {
	t.Helper()
	common := []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--stun", "none", "--seconds", "120"}
	inv = faultStart(t, "inviter", invPrefix, "invite", append(common, invFlags...)...)
	join = faultStart(t, "joiner", joinPrefix, "join", append(append(append([]string{}, common...), joinFlags...), inv.code)...)
	fmt.Fprintln(inv.stdin, join.code)
	for _, p := range []*faultProc{inv, join} {
		faultWaitLine(t, p, 20*time.Second, "video", func(l faultLine) bool { return l.FramesDecoded > 15 })
	}
	return inv, join
}

// A peer killed mid-call (SIGKILL: no hang-up is sent): the other side's
// statistics show it within 3 s, and the process ends the call within 15 s,
// exiting non-zero with the reason on stderr.
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
			shown := faultWaitLine(t, alive, 10*time.Second, "shows the loss", func(l faultLine) bool {
				return l.Time.After(killed) && l.State != "connected"
			})
			showAfter := shown.Time.Sub(killed)
			t.Logf("%s's statistics said %q %v after the kill", alive.name, shown.State, showAfter.Round(time.Millisecond))
			if shown.State != "reconnecting" {
				t.Errorf("state %q after the kill, want reconnecting", shown.State)
			}
			if showAfter > 3*time.Second {
				t.Errorf("the loss showed %v after the kill, want within 3 s", showAfter)
			}
			select {
			case <-alive.exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s still runs 20 s after its peer was killed", alive.name)
			}
			endAfter := time.Since(killed)
			t.Logf("%s exited %v after the kill: %v", alive.name, endAfter.Round(time.Millisecond), alive.err)
			if endAfter > 15*time.Second {
				t.Errorf("the call ended %v after the kill, want within 15 s", endAfter)
			}
			if alive.err == nil {
				t.Error("exit status 0 after losing the peer, want non-zero")
			}
			if stderr := alive.stderr.String(); !strings.Contains(stderr, "the connection was lost") {
				t.Errorf("no reason on stderr:\n%s", stderr)
			}
			lines := faultStats(alive.stats)
			if last := lines[len(lines)-1]; last.End != "the connection was lost" {
				t.Errorf("final statistics end %q, want the connection was lost", last.End)
			}
		})
	}
}

// faultRun runs a command and fails the test if it fails.
func faultRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// faultTxBytes reads how many bytes an interface in a namespace has sent.
func faultTxBytes(t *testing.T, ns, dev string) uint64 {
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
	nsA := loopbackNamespace(t, "fault-a")
	nsB := loopbackNamespace(t, "fault-b")
	links := []struct{ a, b, addrA, addrB string }{
		{"pa1", "pb1", "198.18.1.1/24", "198.18.1.2/24"},
		{"pa2", "pb2", "198.18.2.1/24", "198.18.2.2/24"},
	}
	for _, l := range links {
		// Made inside the namespaces, removed with them.
		faultRun(t, "ip", "link", "add", l.a, "netns", nsA, "type", "veth", "peer", "name", l.b, "netns", nsB)
		faultRun(t, "ip", "-n", nsA, "addr", "add", l.addrA, "dev", l.a)
		faultRun(t, "ip", "-n", nsB, "addr", "add", l.addrB, "dev", l.b)
		faultRun(t, "ip", "-n", nsA, "link", "set", l.a, "up")
		faultRun(t, "ip", "-n", nsB, "link", "set", l.b, "up")
	}
	inv, join := faultCall(t,
		[]string{"ip", "netns", "exec", nsA}, []string{"ip", "netns", "exec", nsB},
		[]string{"--interface", "pa1", "--interface", "pa2"}, []string{"--interface", "pb1", "--interface", "pb2"})
	time.Sleep(2 * time.Second)

	// The link the inviter sends the call on is the busier one.
	var before [2]uint64
	for i, l := range links {
		before[i] = faultTxBytes(t, nsA, l.a)
	}
	time.Sleep(time.Second)
	busy := 0
	var sent [2]uint64
	for i, l := range links {
		sent[i] = faultTxBytes(t, nsA, l.a) - before[i]
	}
	if sent[1] > sent[0] {
		busy = 1
	}
	t.Logf("the inviter sent %d and %d bytes in a second on the two links; removing %s from %s", sent[0], sent[1], links[busy].addrA, links[busy].a)
	faultRun(t, "ip", "-n", nsA, "addr", "del", links[busy].addrA, "dev", links[busy].a)
	cut := time.Now()

	restored := map[string]time.Duration{}
	for _, p := range []*faultProc{inv, join} {
		stalled := faultWaitLine(t, p, 5*time.Second, "a line after the cut", func(l faultLine) bool {
			return l.Time.After(cut.Add(500 * time.Millisecond))
		})
		back := faultWaitLine(t, p, 15*time.Second, "video again", func(l faultLine) bool {
			return l.Time.After(stalled.Time) && l.FramesDecoded >= stalled.FramesDecoded+5
		})
		restored[p.name] = back.Time.Sub(cut)
		t.Logf("%s: frames %d half a second after the cut, %d at %v (state %s, path switches %d)",
			p.name, stalled.FramesDecoded, back.FramesDecoded, back.Time.Sub(cut).Round(time.Millisecond), back.State, back.PathSwitches)
		if restored[p.name] > 5*time.Second {
			t.Errorf("%s: video came back %v after the cut, want within 5 s", p.name, restored[p.name])
		}
	}
	// The call stays up on the remaining link, and says it moved.
	time.Sleep(3 * time.Second)
	for _, p := range []*faultProc{inv, join} {
		var timeline []string
		for _, l := range faultStats(p.stats) {
			if d := l.Time.Sub(cut); d > -time.Second && d < 8*time.Second {
				timeline = append(timeline, fmt.Sprintf("%+.1fs %s %d", d.Seconds(), l.State, l.FramesDecoded))
			}
		}
		t.Logf("%s around the cut (time, state, frames): %s", p.name, strings.Join(timeline, ", "))
	}
	for _, p := range []*faultProc{inv, join} {
		lines := faultStats(p.stats)
		last := lines[len(lines)-1]
		if last.State != "connected" || last.PathSwitches == 0 {
			t.Errorf("%s: state %q, path switches %d; want connected after at least 1 switch", p.name, last.State, last.PathSwitches)
		}
		select {
		case <-p.exited:
			t.Errorf("%s exited: %v", p.name, p.err)
		default:
		}
	}
	// A normal end: both exit 0.
	for _, p := range []*faultProc{inv, join} {
		p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range []*faultProc{inv, join} {
		select {
		case <-p.exited:
			if p.err != nil {
				t.Errorf("%s exited with %v after an interrupt", p.name, p.err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop on an interrupt", p.name)
		}
	}
}

// A forged reply (one that names the invited person's certificate but comes
// from someone else) pasted into a headless inviter: it says why on stderr
// and goes on waiting on the same invite, and the genuine reply pasted next
// connects.
func TestFaultForgedReplyThenGenuine(t *testing.T) {
	common := []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--stun", "none", "--seconds", "60"}
	inv := faultStart(t, "inviter", nil, "invite", common...)
	meant := faultStart(t, "meant", nil, "join", append(append([]string{}, common...), inv.code)...)
	impostor := faultStart(t, "impostor", nil, "join", append(append([]string{}, common...), inv.code)...)
	genuine, err := invite.Decode(meant.code)
	if err != nil {
		t.Fatal(err)
	}
	code, err := invite.Decode(impostor.code)
	if err != nil {
		t.Fatal(err)
	}
	code.Fingerprint = genuine.Fingerprint // the impostor's addresses and ICE credentials
	forged, err := invite.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(inv.stdin, forged)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(inv.stderr.String(), "that reply was refused") {
		if time.Now().After(deadline) {
			t.Fatalf("the forged reply was not refused within 30 s; stderr:\n%s", inv.stderr.String())
		}
		select {
		case <-inv.exited:
			t.Fatalf("the inviter exited (%v); stderr:\n%s", inv.err, inv.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, l := range faultStats(inv.stats) {
		if l.FramesDecoded > 0 {
			t.Fatalf("the inviter decoded %d frames from the impostor", l.FramesDecoded)
		}
	}
	fmt.Fprintln(inv.stdin, meant.code)
	for _, p := range []*faultProc{inv, meant} {
		faultWaitLine(t, p, 20*time.Second, "video after the genuine reply", func(l faultLine) bool { return l.FramesDecoded > 15 })
	}
}
