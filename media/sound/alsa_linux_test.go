package sound

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// countingHandler counts the debug records that quote ALSA.
type countingHandler struct {
	mu   sync.Mutex
	alsa int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "ALSA says") {
		h.mu.Lock()
		h.alsa++
		h.mu.Unlock()
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// captureFD2 sends what anything in the process, C libraries included,
// writes to the standard error until the returned function is called,
// which puts it back and returns what was written.
func captureFD2(t *testing.T) func() string {
	t.Helper()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	read := make(chan struct{})
	go func() {
		defer close(read)
		_, _ = io.Copy(&out, r)
	}()
	restore := sync.OnceFunc(func() {
		_ = syscall.Dup3(saved, 2, 0)
		_ = syscall.Close(saved)
		_ = w.Close()
		<-read
		_ = r.Close()
	})
	t.Cleanup(restore)
	return func() string {
		restore()
		return out.String()
	}
}

// With no sound server to talk to, the sound system falls back to ALSA,
// whose probing of devices that are not there used to fill the terminal
// with "ALSA lib ..." lines. They now go to the debug log, and a person
// sees only the error Peercall reports.
func TestALSAProbingStaysOffTheTerminal(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:/nonexistent")
	logs := &countingHandler{}
	saved := slog.Default()
	slog.SetDefault(slog.New(logs))
	t.Cleanup(func() { slog.SetDefault(saved) })

	stderr := captureFD2(t)
	sys, err := Open()
	if err == nil {
		if out, err := sys.OpenPlayback("", 1, func(pcm []int16) { clear(pcm) }); err == nil {
			_ = out.Close()
		}
		if in, err := sys.OpenCapture("", func([]int16) {}); err == nil {
			_ = in.Close()
		}
		_ = sys.Close()
	}
	if out := stderr(); strings.Contains(out, "ALSA") {
		t.Errorf("ALSA wrote to the terminal:\n%s", out)
	}
	logs.mu.Lock()
	t.Logf("opening the sound system: %v; ALSA messages in the debug log: %d", err, logs.alsa)
	logs.mu.Unlock()
}
