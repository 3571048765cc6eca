package rtc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"

	"peercall/media"
)

// logRecorder keeps every log record a session writes at or above level.
type logRecorder struct {
	level slog.Level
	mu    sync.Mutex
	lines []string
	attrs []slog.Attr // of the handler, from With
}

func (r *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	for _, a := range r.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logView{r: r, attrs: attrs}
}

func (r *logRecorder) WithGroup(string) slog.Handler { return r }

// logView is the recorder seen through With: the same lines, with more
// attributes on each.
type logView struct {
	r     *logRecorder
	attrs []slog.Attr
}

func (v *logView) Enabled(ctx context.Context, l slog.Level) bool { return v.r.Enabled(ctx, l) }
func (v *logView) Handle(ctx context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(v.attrs...)
	return v.r.Handle(ctx, rec)
}
func (v *logView) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logView{r: v.r, attrs: append(append([]slog.Attr{}, v.attrs...), attrs...)}
}
func (v *logView) WithGroup(string) slog.Handler { return v }

// pionLines returns the recorded lines that came from pion.
func (r *logRecorder) pionLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if strings.Contains(l, " pion=") {
			out = append(out, l)
		}
	}
	return out
}

// captureStderr collects what is written to os.Stderr until the returned
// function is called, which puts os.Stderr back and returns it.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	restore := sync.OnceFunc(func() { os.Stderr = saved })
	t.Cleanup(restore)
	var out strings.Builder
	read := make(chan struct{})
	go func() {
		defer close(read)
		_, _ = io.Copy(&out, r)
	}()
	return func() string {
		restore()
		_ = w.Close()
		<-read
		_ = r.Close()
		return out.String()
	}
}

// loggedCallPair connects two sessions over lo, sending the pattern and a
// tone, both logging to logger with their side.
func (h *harness) loggedCallPair(logger *slog.Logger) (inviter, joiner *Session) {
	lo := []string{"lo"}
	return h.callPair(
		Config{Interfaces: lo, Video: patternSource(h.t), Audio: media.NewToneInput(), FPS: 15, Logger: logger.With("side", "inviter")},
		Config{Interfaces: lo, Video: patternSource(h.t), Audio: media.NewToneInput(), FPS: 15, Logger: logger.With("side", "joiner")})
}

// A call on this machine that connects, carries pictures and sound, and is
// hung up leaves nothing from pion in the log at the level a person runs
// Peercall with, and nothing on the terminal: no "agent is closed" or the
// like after a normal end.
func TestNormalCallEndLeavesPionQuiet(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	stderr := captureStderr(t)
	rec := &logRecorder{level: slog.LevelInfo}
	inviter, joiner := h.loggedCallPair(slog.New(rec))
	eventually(t, 15*time.Second, "video and sound both ways", func() bool {
		a, b := inviter.Stats(), joiner.Stats()
		return a.FramesDecoded > 5 && b.FramesDecoded > 5 && a.AudioPacketsReceived > 5 && b.AudioPacketsReceived > 5
	})
	if err := inviter.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-joiner.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the joiner did not see the hang-up")
	}
	if err := joiner.Close(); err != nil {
		t.Fatal(err)
	}
	// The last statistics line, as the command line writes it once the
	// call has ended, asks the closed connection for its figures.
	_, _ = inviter.Stats(), joiner.Stats()
	// Whatever pion still had to say while closing has been said.
	time.Sleep(500 * time.Millisecond)
	if lines := rec.pionLines(); len(lines) > 0 {
		t.Errorf("pion logged %d lines at Info or above in a normal call:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if out := stderr(); out != "" {
		t.Errorf("a normal call wrote to the terminal:\n%s", out)
	}
}

// The side that is hung up on reads its statistics all the while, as the
// command line's statistics line and the window's quality indicator do:
// the connection pion closes when the other side's ends still logs nothing
// from pion at Info or above. (Each read is bounded; the loop ends with the
// call.)
func TestHungUpOnWhileReadingStatisticsLeavesPionQuiet(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	for round := range 3 {
		rec := &logRecorder{level: slog.LevelInfo}
		inviter, joiner := h.loggedCallPair(slog.New(rec))
		eventually(t, 15*time.Second, "video both ways", func() bool {
			return inviter.Stats().FramesDecoded > 5 && joiner.Stats().FramesDecoded > 5
		})
		reading := make(chan struct{})
		go func() {
			defer close(reading)
			for i := 0; i < 100000; i++ {
				select {
				case <-joiner.Done():
					return
				default:
					_ = joiner.Stats()
				}
			}
		}()
		if err := inviter.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-joiner.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the joiner did not see the hang-up")
		}
		<-reading
		_ = joiner.Close()
		time.Sleep(300 * time.Millisecond)
		if lines := rec.pionLines(); len(lines) > 0 {
			t.Fatalf("round %d: pion logged %d lines at Info or above while the call was hung up:\n%s", round+1, len(lines), strings.Join(lines, "\n"))
		}
	}
}

// pion's errors reach the log as errors while the connection is in use,
// and drop to Debug once it is being closed; its chatter and warnings are
// Debug.
func TestPionLogLevels(t *testing.T) {
	rec := &logRecorder{level: levelTrace}
	logs := newPionLogs(slog.New(rec))
	l := logs.NewLogger("ice")
	l.Infof("state %s", "checking")
	l.Warn("a check timed out")
	l.Errorf("write: %v", "network is unreachable")
	logs.closed()
	l.Error("agent is closed")
	l.Tracef("packet %d", 7)
	l.Debugf("got new track: %v", "video")
	want := []string{
		"DEBUG state checking pion=ice",
		"DEBUG a check timed out pion=ice",
		"ERROR write: network is unreachable pion=ice",
		"DEBUG agent is closed pion=ice",
		"DEBUG-4 packet 7 pion=ice",
		"DEBUG-4 got new track: video pion=ice",
	}
	rec.mu.Lock()
	got := rec.lines
	rec.mu.Unlock()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// formatCounter counts how often it is formatted.
type formatCounter struct{ n *atomic.Int32 }

func (f formatCounter) String() string { f.n.Add(1); return "track" }

// A call logged at Debug (as the tests and --verbose log it) never has
// pion's debug lines formatted: they print pion's structures whole, read
// while another goroutine fills them in.
func TestPionDebugLinesAreNotFormattedAtDebug(t *testing.T) {
	rec := &logRecorder{level: slog.LevelDebug}
	l := newPionLogs(slog.New(rec)).NewLogger("pc")
	var n atomic.Int32
	l.Debugf("got new track: %+v", formatCounter{&n})
	l.Infof("state %v", formatCounter{&n})
	if got := n.Load(); got != 1 {
		t.Errorf("formatted %d arguments, want 1 (the info line's only)", got)
	}
}

// The bandwidth estimator is Peercall's own: its decisions stay at Debug,
// where a call logged at Debug (--verbose) shows them.
func TestEstimatorDecisionsStayAtDebug(t *testing.T) {
	rec := &logRecorder{level: slog.LevelDebug}
	newPionLogs(slog.New(rec)).NewLogger("bwe").Debugf("delay over-use: %d → %d kbit/s", 1700, 1445)
	rec.mu.Lock()
	got := strings.Join(rec.lines, "\n")
	rec.mu.Unlock()
	if want := "DEBUG delay over-use: 1700 → 1445 kbit/s pion=bwe"; got != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}
