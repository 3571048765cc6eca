package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"peercall/rtc"
)

// peercallBin is the binary the end-to-end tests run, built once.
var peercallBin string

// callEnv is added to both processes' environment by twoProcessCall.
var callEnv []string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "peercall-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	peercallBin = filepath.Join(dir, "peercall")
	build := exec.Command("go", "build", "-o", peercallBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building peercall:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func readStats(t *testing.T, path string) []rtc.Stats {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []rtc.Stats
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var s rtc.Stats
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("%s: bad stats line %q: %v", path, line, err)
		}
		out = append(out, s)
	}
	return out
}

// twoProcessCall runs `peercall invite` and `peercall join` as two processes
// (wrapped by prefix, e.g. `ip netns exec NS`), carries the codes between
// them through pipes exactly as a person would paste them, and returns
// each side's final statistics.
func twoProcessCall(t *testing.T, prefix []string, seconds int) (inviter, joiner rtc.Stats) {
	t.Helper()
	return twoProcessCallWith(t, prefix, seconds, nil, nil)
}

// twoProcessCallWith is twoProcessCall with extra flags for each side.
func twoProcessCallWith(t *testing.T, prefix []string, seconds int, inviterFlags, joinerFlags []string) (inviter, joiner rtc.Stats) {
	t.Helper()
	a, b := twoProcessCallLines(t, prefix, prefix, "lo", seconds, inviterFlags, joinerFlags)
	return a[len(a)-1], b[len(b)-1]
}

// twoProcessCallLines runs the call with each side wrapped by its own
// prefix, gathering host candidates on iface only, and returns every
// statistics line of each side (one a second, then the summary).
func twoProcessCallLines(t *testing.T, inviterPrefix, joinerPrefix []string, iface string, seconds int, inviterFlags, joinerFlags []string) (inviter, joiner []rtc.Stats) {
	t.Helper()
	dir := t.TempDir()
	args := func(stats string, extra []string) []string {
		return append([]string{"--source", "pattern", "--size", "640x480", "--fps", "30", "--stun", "none",
			"--interface", iface, "--seconds", fmt.Sprint(seconds), "--stats", filepath.Join(dir, stats)}, extra...)
	}
	command := func(prefix []string, extra ...string) *exec.Cmd {
		all := append(append([]string{}, prefix...), peercallBin)
		all = append(all, extra...)
		cmd := exec.Command(all[0], all[1:]...)
		cmd.Env = append(os.Environ(), callEnv...)
		return cmd
	}
	inv := command(inviterPrefix, append([]string{"invite"}, args("inviter.jsonl", inviterFlags)...)...)
	invIn, err := inv.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	invOut, err := inv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var invErr, joinErr syncBuffer
	inv.Stderr = &invErr
	if err := inv.Start(); err != nil {
		t.Fatal(err)
	}
	defer inv.Process.Kill()
	inviteCode := readCode(t, invOut, "invite")

	join := command(joinerPrefix, append(append([]string{"join"}, args("joiner.jsonl", joinerFlags)...), inviteCode)...)
	joinOut, err := join.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	join.Stderr = &joinErr
	if err := join.Start(); err != nil {
		t.Fatal(err)
	}
	defer join.Process.Kill()
	reply := readCode(t, joinOut, "reply")
	// The reply arrives wrapped the way chat apps wrap it.
	fmt.Fprintf(invIn, "  %s\n%s  \n", reply[:40], reply[40:])
	fmt.Fprintf(invIn, "\n")

	deadline := time.After(time.Duration(seconds)*time.Second + 60*time.Second)
	wait := func(name string, c *exec.Cmd, stderr *syncBuffer) {
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v; stderr:\n%s", name, err, stderr.String())
			}
		case <-deadline:
			c.Process.Kill()
			<-done
			t.Fatalf("%s did not finish; stderr:\n%s", name, stderr.String())
		}
	}
	wait("invite", inv, &invErr)
	wait("join", join, &joinErr)
	a := readStats(t, filepath.Join(dir, "inviter.jsonl"))
	b := readStats(t, filepath.Join(dir, "joiner.jsonl"))
	if t.Failed() {
		t.Logf("inviter stderr:\n%s\njoiner stderr:\n%s", invErr.String(), joinErr.String())
	}
	return a, b
}

// readCode reads the single line a process prints on stdout.
func readCode(t testing.TB, r io.Reader, what string) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, r) // stdout must carry nothing else
	}()
	select {
	case line, ok := <-lines:
		if !ok || !strings.HasPrefix(line, "PC") {
			t.Fatalf("no %s code on stdout (got %q)", what, line)
		}
		if len(line) > 120 {
			t.Errorf("%s code is %d characters, want at most 120", what, len(line))
		}
		return line
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s code within 15 s", what)
	}
	return ""
}

func checkCall(t *testing.T, name string, s rtc.Stats, seconds int) {
	t.Helper()
	t.Logf("%s: %+v", name, s)
	if s.Width != 640 || s.Height != 480 {
		t.Errorf("%s decoded %dx%d, want 640x480", name, s.Width, s.Height)
	}
	if min := uint64(25 * seconds); s.FramesDecoded < min {
		t.Errorf("%s decoded %d frames in %d s, want at least %d (25 fps)", name, s.FramesDecoded, seconds, min)
	}
	if s.FPS < 25 {
		t.Errorf("%s decoded %.1f fps, want at least 25", name, s.FPS)
	}
	if s.AudioPacketsReceived == 0 {
		t.Errorf("%s received no audio", name)
	}
	if s.FirstFrameMs < 0 || s.ConnectedMs < 0 {
		t.Errorf("%s: connected_ms %.1f, first_frame_ms %.1f: not measured", name, s.ConnectedMs, s.FirstFrameMs)
	}
	if s.LatencyP50Ms <= 0 || s.LatencyP95Ms < s.LatencyP50Ms {
		t.Errorf("%s: latency p50 %.1f ms, p95 %.1f ms: not measured", name, s.LatencyP50Ms, s.LatencyP95Ms)
	}
	if s.Codec != "VP8" || s.BytesReceived == 0 || s.BytesSent == 0 {
		t.Errorf("%s: codec %q, bytes in %d, out %d", name, s.Codec, s.BytesReceived, s.BytesSent)
	}
}

func TestTwoProcessCallOnLoopback(t *testing.T) {
	const seconds = 10
	a, b := twoProcessCall(t, nil, seconds)
	checkCall(t, "inviter", a, seconds)
	checkCall(t, "joiner", b, seconds)
}

// The same call on a machine whose only interface is loopback: a network
// namespace made for the test, holding nothing but lo.
func TestTwoProcessCallInLoopbackOnlyNamespace(t *testing.T) {
	ns := loopbackNamespace(t, "lo")
	const seconds = 10
	a, b := twoProcessCall(t, []string{"ip", "netns", "exec", ns}, seconds)
	checkCall(t, "inviter", a, seconds)
	checkCall(t, "joiner", b, seconds)
}

// loopbackNamespace makes a network namespace holding only lo, brought up,
// and removes it when the test ends. Tests that need one are skipped when
// not run as root (make test runs as root in CI).
func loopbackNamespace(t testing.TB, name string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace; make test runs it as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
	ns := fmt.Sprintf("peercall-%s-%d", name, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	return ns
}

// inNamespace runs f on a thread of its own inside the network namespace
// ns (a name under /var/run/netns): sockets and devices f makes belong to
// that namespace. A thread that cannot go back to its own namespace is
// never unlocked, so the runtime discards it.
func inNamespace(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := enterAndRun(ns, f)
		if back {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// enterAndRun is inNamespace's work on the locked thread; back tells
// whether the thread is in its own namespace again.
func enterAndRun(ns string, f func() error) (back bool, err error) {
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return true, err
	}
	defer orig.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return true, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return true, fmt.Errorf("entering namespace %s: %w", ns, err)
	}
	err = f()
	if e := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); e != nil {
		return false, errors.Join(err, fmt.Errorf("leaving namespace %s: %w", ns, e))
	}
	return true, err
}
