// Package soundtest starts PulseAudio servers of a test's own, for tests
// of what happens when sound comes and goes: a server with a null sink
// (its monitor is the microphone, so what is played comes back), a server
// with no device at all, and a server killed in the middle of a call.
package soundtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Modules a server is started with.
var (
	// NullSink gives one speaker (a null sink) and one microphone (its
	// monitor).
	NullSink = []string{"module-null-sink sink_name=nullsink", "module-always-sink"}
	// NoDevices gives a server with neither speaker nor microphone, as on
	// a computer with no sound card.
	NoDevices []string
	// DelayedEcho gives a speaker (the null sink "speaker") whose sound
	// reaches the microphone (the monitor of the null sink "room") through
	// PulseAudio's loopback 40 ms later, resampled as the loopback keeps
	// its latency: device timing and clock drift in the echo path. Call
	// UseDelayedEcho once the server runs to make them the defaults.
	DelayedEcho = []string{
		"module-null-sink sink_name=speaker",
		"module-null-sink sink_name=room",
		"module-loopback source=speaker.monitor sink=room latency_msec=40",
	}
)

// Server is a running PulseAudio server in a runtime directory of its own.
type Server struct {
	dir string
}

// Start starts a server with the given modules. Without pulseaudio the
// test is skipped, or fails when PEERCALL_REQUIRE_SOUND is set (make test
// installs it and sets that). The server is killed when the test ends.
func Start(t testing.TB, modules []string) *Server {
	t.Helper()
	if _, err := exec.LookPath("pulseaudio"); err != nil {
		if os.Getenv("PEERCALL_REQUIRE_SOUND") != "" {
			t.Fatal("pulseaudio is not installed, although make test requires sound")
		}
		t.Skip("needs pulseaudio (make test installs it)")
	}
	dir, err := os.MkdirTemp("", "peercall-pulse")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &Server{dir: dir}
	args := []string{"--start", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix"}
	for _, m := range modules {
		args = append(args, "--load="+m)
	}
	cmd := exec.Command("pulseaudio", args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("pulseaudio did not start: %v %s", err, out)
	}
	t.Cleanup(func() {
		s.Kill()
		os.RemoveAll(dir)
	})
	return s
}

// Env is what a process needs in its environment to use this server.
func (s *Server) Env() []string {
	return []string{"XDG_RUNTIME_DIR=" + s.dir}
}

// Use points this process's sound at the server until the test ends (the
// sound system reads the environment when it is opened).
func (s *Server) Use(t *testing.T) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// UseDelayedEcho makes DelayedEcho's speaker and microphone the server's
// defaults.
func (s *Server) UseDelayedEcho(t testing.TB) {
	t.Helper()
	for _, args := range [][]string{{"set-default-sink", "speaker"}, {"set-default-source", "room.monitor"}} {
		cmd := exec.Command("pactl", args...)
		cmd.Env = append(os.Environ(), s.Env()...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pactl %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
}

// Kill stops the server: its clients' streams go silent, as when a sound
// server dies. It may be called more than once.
func (s *Server) Kill() {
	cmd := exec.Command("pulseaudio", "--kill")
	cmd.Env = append(os.Environ(), s.Env()...)
	_ = cmd.Run()
}
