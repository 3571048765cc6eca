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

// Kill stops the server: its clients' streams go silent, as when a sound
// server dies. It may be called more than once.
func (s *Server) Kill() {
	cmd := exec.Command("pulseaudio", "--kill")
	cmd.Env = append(os.Environ(), s.Env()...)
	_ = cmd.Run()
}
