package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "peercall-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	peercallBin = filepath.Join(dir, "peercall")
	build := exec.Command("go", "build", "-o", peercallBin, "peercall")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building peercall:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkCall checks a side's summary of a call of the given length on a
// link with room to spare: the whole picture at full rate, audio, and
// every figure measured.
func checkCall(t *testing.T, p *peer, seconds int) {
	t.Helper()
	s := p.final()
	t.Logf("%s: %+v", p.name, s.Stats)
	if s.Width != 640 || s.Height != 480 {
		t.Errorf("%s decoded %dx%d, want 640x480", p.name, s.Width, s.Height)
	}
	if min := uint64(25 * seconds); s.FramesDecoded < min {
		t.Errorf("%s decoded %d frames in %d s, want at least %d (25 fps)", p.name, s.FramesDecoded, seconds, min)
	}
	// The average ends when the call does, before the hang-up's farewell.
	// A sender at 30 fps gives 30 and a little over (n frames over n-1
	// intervals), more when a loaded machine decodes the first frame late
	// and the next ones catch up: 33 leaves a third of a second of that in
	// a 4 s call (31 left 0.1 s), and still fails an average cut a tenth
	// short.
	if s.FPS < 25 || s.FPS > 33 {
		t.Errorf("%s decoded %.1f fps on average, want 25 to 33 from a sender at 30", p.name, s.FPS)
	}
	if s.AudioPacketsReceived == 0 {
		t.Errorf("%s received no audio", p.name)
	}
	if s.FirstFrameMs < 0 || s.ConnectedMs < 0 {
		t.Errorf("%s: connected_ms %.1f, first_frame_ms %.1f: not measured", p.name, s.ConnectedMs, s.FirstFrameMs)
	}
	if s.LatencyP50Ms <= 0 || s.LatencyP95Ms < s.LatencyP50Ms {
		t.Errorf("%s: latency p50 %.1f ms, p95 %.1f ms: not measured", p.name, s.LatencyP50Ms, s.LatencyP95Ms)
	}
	if s.Codec != "VP8" || s.BytesReceived == 0 || s.BytesSent == 0 {
		t.Errorf("%s: codec %q, bytes in %d, out %d", p.name, s.Codec, s.BytesReceived, s.BytesSent)
	}
}

func TestTwoProcessCallOnLoopback(t *testing.T) {
	const seconds = 10
	a, b := twoProcessCall(t, callOptions{seconds: seconds})
	checkCall(t, a, seconds)
	checkCall(t, b, seconds)
}

// The same call on a machine whose only interface is loopback: a network
// namespace made for the test, holding nothing but lo.
func TestTwoProcessCallInLoopbackOnlyNamespace(t *testing.T) {
	ns := newNamespace(t, "lo")
	const seconds = 10
	a, b := twoProcessCall(t, callOptions{seconds: seconds, inviterPrefix: nsExec(ns), joinerPrefix: nsExec(ns)})
	checkCall(t, a, seconds)
	checkCall(t, b, seconds)
}
