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
	"testing"
	"time"
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

// statsLine is the part of a --stats line the tests read.
type statsLine struct {
	State                string  `json:"state"`
	ConnectedMs          float64 `json:"connected_ms"`
	FirstFrameMs         float64 `json:"first_frame_ms"`
	FramesDecoded        uint64  `json:"frames_decoded"`
	FPS                  float64 `json:"fps"`
	Width                int     `json:"width"`
	Height               int     `json:"height"`
	LatencyP50           float64 `json:"latency_ms_p50"`
	LatencyP95           float64 `json:"latency_ms_p95"`
	AudioPacketsReceived uint64  `json:"audio_packets_received"`
	AudioLatencyMs       float64 `json:"audio_latency_ms"`
	AudioConcealedMs     float64 `json:"audio_concealed_ms"`
	BytesSent            uint64  `json:"bytes_sent"`
	BytesReceived        uint64  `json:"bytes_received"`
	RTTMs                float64 `json:"rtt_ms"`
	Codec                string  `json:"codec"`
	End                  string  `json:"end"`
}

func readStats(t *testing.T, path string) []statsLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []statsLine
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var s statsLine
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
func twoProcessCall(t *testing.T, prefix []string, seconds int) (inviter, joiner statsLine) {
	t.Helper()
	return twoProcessCallWith(t, prefix, seconds, nil, nil)
}

// twoProcessCallWith is twoProcessCall with extra flags for each side.
func twoProcessCallWith(t *testing.T, prefix []string, seconds int, inviterFlags, joinerFlags []string) (inviter, joiner statsLine) {
	t.Helper()
	dir := t.TempDir()
	args := func(stats string, extra []string) []string {
		return append([]string{"--source", "pattern", "--size", "640x480", "--fps", "30", "--stun", "none",
			"--interface", "lo", "--seconds", fmt.Sprint(seconds), "--stats", filepath.Join(dir, stats)}, extra...)
	}
	command := func(extra ...string) *exec.Cmd {
		all := append(append([]string{}, prefix...), peercallBin)
		all = append(all, extra...)
		cmd := exec.Command(all[0], all[1:]...)
		cmd.Env = append(os.Environ(), callEnv...)
		return cmd
	}
	inv := command(append([]string{"invite"}, args("inviter.jsonl", inviterFlags)...)...)
	invIn, err := inv.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	invOut, err := inv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var invErr, joinErr strings.Builder
	inv.Stderr = &invErr
	if err := inv.Start(); err != nil {
		t.Fatal(err)
	}
	defer inv.Process.Kill()
	inviteCode := readCode(t, invOut, "invite")

	join := command(append(append([]string{"join"}, args("joiner.jsonl", joinerFlags)...), inviteCode)...)
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

	wait := func(name string, c *exec.Cmd, stderr *strings.Builder) {
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v; stderr:\n%s", name, err, stderr.String())
			}
		case <-time.After(time.Duration(seconds)*time.Second + 60*time.Second):
			c.Process.Kill()
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
	return a[len(a)-1], b[len(b)-1]
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

func checkCall(t *testing.T, name string, s statsLine, seconds int) {
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
	if s.LatencyP50 <= 0 || s.LatencyP95 < s.LatencyP50 {
		t.Errorf("%s: latency p50 %.1f ms, p95 %.1f ms: not measured", name, s.LatencyP50, s.LatencyP95)
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
