package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"peercall/rtc"
)

// peercallBin is the binary the tests run, built once by TestMain.
var peercallBin string

// peer is one headless `peercall invite` or `peercall join` process.
type peer struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	code   string      // the first line it printed
	stats  string      // its --stats file
	stdout *syncBuffer // what it printed after the code: nothing, unless it misbehaves
	stderr *syncBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// peerOptions are how startPeer runs the process.
type peerOptions struct {
	name   string   // in messages and the statistics file's name; the subcommand if empty
	bin    string   // the program; peercallBin if empty
	prefix []string // the command is wrapped by it, such as nsExec(ns)
	env    []string // added to the environment
}

// startPeer runs `peercall <invite|join> --stats FILE args...` and waits,
// bounded, for the code it prints as its first line on stdout. The process
// is killed and reaped when the test ends; its stderr is logged then if the
// test failed.
func startPeer(t testing.TB, o peerOptions, sub string, args ...string) *peer {
	t.Helper()
	if o.name == "" {
		o.name = sub
	}
	p := &peer{
		t: t, name: o.name, stats: filepath.Join(t.TempDir(), o.name+".jsonl"),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{}),
	}
	if o.bin == "" {
		o.bin = peercallBin
	}
	all := append(slices.Clone(o.prefix), o.bin, sub, "--stats", p.stats)
	p.cmd = exec.Command(all[0], append(all[1:], args...)...)
	p.cmd.Env = append(os.Environ(), o.env...)
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
	codes := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		if line, err := r.ReadString('\n'); err == nil || line != "" {
			codes <- strings.TrimRight(line, "\r\n")
		}
		close(codes)
		io.Copy(p.stdout, r)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: not gone 10 s after being killed", p.name)
		}
		for _, extra := range strings.Split(p.stdout.String(), "\n") {
			if extra != "" && !strings.HasPrefix(extra, "PC") {
				t.Errorf("%s printed more than codes on stdout: %q", p.name, extra)
			}
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
		}
	})
	select {
	case line, ok := <-codes:
		if !ok || !strings.HasPrefix(line, "PC") {
			t.Fatalf("%s printed no code (got %q)", p.name, line)
		}
		if len(line) > 120 {
			t.Errorf("%s's code is %d characters, want at most 120", p.name, len(line))
		}
		p.code = line
	case <-time.After(20 * time.Second):
		t.Fatalf("%s printed no code within 20 s", p.name)
	}
	return p
}

// nextCode waits up to d for the next code p prints on stdout after its
// first (a new invite or reply that resumes a lost call) and returns it.
func (p *peer) nextCode(d time.Duration) string {
	p.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if line, ok := p.stdout.takeLine(); ok {
			if !strings.HasPrefix(line, "PC") {
				p.t.Fatalf("%s printed %q on stdout, want a code", p.name, line)
			}
			return line
		}
	}
	p.t.Fatalf("%s printed no new code within %v", p.name, d)
	return ""
}

// paste writes a code on p's stdin, as a person pastes it.
func (p *peer) paste(code string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.stdin, code); err != nil {
		p.t.Fatalf("pasting into %s: %v", p.name, err)
	}
}

// errStillRunning is what wait says of a process that did not end in time.
var errStillRunning = errors.New("still running")

// wait waits up to d for p to end by itself and returns Wait's result. A
// process still running after d is killed, and wait returns
// errStillRunning.
func (p *peer) wait(d time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
	}
	p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
	return fmt.Errorf("%w after %v", errStillRunning, d)
}

// running tells whether p has not exited yet.
func (p *peer) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// statsLine is one line of a --stats file.
type statsLine struct {
	rtc.Stats
	// Missing names what the call lacks among "camera", "microphone",
	// "speaker" and "sound server"; empty when nothing is.
	Missing []string `json:"missing"`
	// Echo is the echo canceller's counts; nil without one.
	Echo *struct {
		Played, Captured, Underruns, Dropped uint64
	} `json:"echo"`
	// At is Time, parsed.
	At time.Time `json:"-"`
}

// lacks tells whether the line lists what as missing.
func (l statsLine) lacks(what string) bool { return slices.Contains(l.Missing, what) }

// readStatsFile reads the lines of a --stats file written so far; fields
// it does not know are ignored. A last line without its end is being
// written and left out; a file not made yet has no lines.
func readStatsFile(path string) ([]statsLine, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []statsLine
	lines := strings.Split(string(data), "\n")
	for i, text := range lines {
		if strings.TrimSpace(text) == "" {
			continue
		}
		var l statsLine
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			if i == len(lines)-1 {
				break // cut short: the rest is on its way
			}
			return out, fmt.Errorf("%s, line %d: %v: %q", path, i+1, err, text)
		}
		if l.At, err = time.Parse(time.RFC3339Nano, l.Time); err != nil {
			return out, fmt.Errorf("%s, line %d: time %q: %v", path, i+1, l.Time, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// statsLines is every line of p's statistics written so far.
func (p *peer) statsLines() []statsLine {
	p.t.Helper()
	lines, err := readStatsFile(p.stats)
	if err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	return lines
}

// final is the last line of p's statistics: the call's summary once p has
// ended.
func (p *peer) final() statsLine {
	p.t.Helper()
	lines := p.statsLines()
	if len(lines) == 0 {
		p.t.Fatalf("%s wrote no statistics", p.name)
	}
	return lines[len(lines)-1]
}

// waitStats reads p's statistics until a line satisfies ok and returns it;
// the test fails if none does within d.
func (p *peer) waitStats(d time.Duration, what string, ok func(statsLine) bool) statsLine {
	p.t.Helper()
	for deadline := time.Now().Add(d); ; {
		running := p.running()
		for _, l := range p.statsLines() {
			if ok(l) {
				return l
			}
		}
		if !running {
			p.t.Fatalf("%s: %s: it exited first (%v)", p.name, what, p.err)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s: not within %v", p.name, what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitDecodingSince waits up to d until p's statistics show pictures
// decoded after since: two lines after it, both connected, frames decoded
// growing by at least grow between them. It returns the later line.
func (p *peer) waitDecodingSince(since time.Time, d time.Duration, grow uint64) statsLine {
	p.t.Helper()
	return p.waitStats(d, "pictures decoded again", func(l statsLine) bool {
		if !l.At.After(since) || l.State != "connected" {
			return false
		}
		for _, earlier := range p.statsLines() {
			if earlier.At.After(since) && earlier.At.Before(l.At) && earlier.State == "connected" &&
				l.FramesDecoded >= earlier.FramesDecoded+grow {
				return true
			}
		}
		return false
	})
}

// callOptions are how startCall runs a call between two processes.
type callOptions struct {
	seconds                     int      // --seconds: how long the call lasts once connected
	flags                       []string // for both sides; nil: loopbackFlags
	inviterFlags, joinerFlags   []string // after flags
	inviterPrefix, joinerPrefix []string // such as nsExec(ns)
	env                         []string // added to both environments
	pasteDelay                  time.Duration
}

// loopbackFlags send the test pattern at 640×480@30, with no STUN server
// and host candidates on lo only.
var loopbackFlags = []string{"--source", "pattern", "--size", "640x480", "--fps", "30", "--stun", "none", "--interface", "lo"}

// startCall starts `peercall invite`, then `peercall join` with its code,
// and pastes the reply into the inviter pasteDelay after the joiner
// started, wrapped over two lines as chat apps wrap it. It returns once
// the reply is in.
func startCall(t testing.TB, o callOptions) (inviter, joiner *peer) {
	t.Helper()
	flags := o.flags
	if flags == nil {
		flags = loopbackFlags
	}
	flags = append(slices.Clone(flags), "--seconds", fmt.Sprint(o.seconds))
	inviter = startPeer(t, peerOptions{name: "inviter", prefix: o.inviterPrefix, env: o.env},
		"invite", append(slices.Clone(flags), o.inviterFlags...)...)
	joinStarted := time.Now()
	joiner = startPeer(t, peerOptions{name: "joiner", prefix: o.joinerPrefix, env: o.env},
		"join", append(append(slices.Clone(flags), o.joinerFlags...), inviter.code)...)
	time.Sleep(o.pasteDelay - time.Since(joinStarted))
	reply, half := joiner.code, len(joiner.code)/2
	if _, err := fmt.Fprintf(inviter.stdin, "  %s\n%s  \n\n", reply[:half], reply[half:]); err != nil {
		t.Fatalf("pasting the reply: %v", err)
	}
	return inviter, joiner
}

// twoProcessCall runs a call to its end: each side must exit with status
// 0, the first within a minute and a quarter of the call's length, the
// other within 15 s of it. Their statistics are then complete.
func twoProcessCall(t testing.TB, o callOptions) (inviter, joiner *peer) {
	t.Helper()
	inviter, joiner = startCall(t, o)
	limit := time.Duration(o.seconds)*time.Second + 75*time.Second
	for _, p := range []*peer{inviter, joiner} {
		if err := p.wait(limit); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
		limit = 15 * time.Second
	}
	return inviter, joiner
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// takeLine removes and returns the first complete line written so far.
func (b *syncBuffer) takeLine() (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.buf.Bytes()
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return "", false
	}
	line := string(data[:i])
	b.buf.Next(i + 1)
	return line, true
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
