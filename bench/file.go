package bench

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"peercall/call"
	"peercall/rtc"
)

// FileRun is what `peercall bench file` measures: a file of random bytes
// sent from the inviter to the joiner during a two-way call on loopback,
// its throughput, and the call's video during the transfer.
type FileRun struct {
	Date      string  `json:"date"`
	Size      string  `json:"size"` // the call's picture
	FPS       int     `json:"fps"`
	FileBytes int64   `json:"file_bytes"`
	Seconds   float64 `json:"seconds"` // from the offer accepted to the file saved
	MbitPerS  float64 `json:"mbit_s"`  // the file's bytes over Seconds
	// PeakMbitPerS is the most received in one second (the joiner's
	// progress lines, a second apart); SlowSeconds how long the transfer
	// ran before a second carried a tenth of that.
	PeakMbitPerS float64 `json:"peak_mbit_s"`
	SlowSeconds  float64 `json:"slow_seconds"`
	SHA256OK     bool    `json:"sha256_ok"` // the saved file is the one sent
	// The call's decoded frame rate on each side: over the transfer
	// (from the statistics line before it began to the one after it
	// ended), the fewest frames decoded between two of those lines (a
	// second apart), and over the seconds of the call after it.
	InviterFPSDuring float64 `json:"inviter_fps_during"`
	JoinerFPSDuring  float64 `json:"joiner_fps_during"`
	InviterFewest    uint64  `json:"inviter_fewest_frames_a_second"`
	JoinerFewest     uint64  `json:"joiner_fewest_frames_a_second"`
	InviterFPSAfter  float64 `json:"inviter_fps_after"`
	JoinerFPSAfter   float64 `json:"joiner_fps_after"`
	// The sender's video encoder target at its first and last
	// statistics lines during the transfer: congestion control's
	// estimate, which a transfer that does not yield would cut.
	TargetKbpsBegan float64 `json:"target_kbps_began"`
	TargetKbpsEnded float64 `json:"target_kbps_ended"`
	Command         string  `json:"command"`
}

// fileBench runs `peercall bench file`.
func fileBench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench file", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "640x480", "picture size WxH")
	fps := fs.Int("fps", 30, "frames a second")
	mb := fs.Int("mb", 50, "the file's size, in MB (10^6 bytes)")
	after := fs.Float64("after", 5, "seconds the call goes on after the file arrived")
	if err := fs.Parse(args); err != nil {
		return usage("%v", err)
	}
	if _, _, err := call.ParseSize(*size); err != nil {
		return usage("%v", err)
	}
	if *mb < 1 || *after < 2 {
		return usage("--mb must be at least 1, --after at least 2")
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "peercall-bench-file")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	into := filepath.Join(dir, "received")
	if err := os.Mkdir(into, 0o755); err != nil {
		return err
	}
	src := filepath.Join(dir, "sent.bin")
	bytes := int64(*mb) * 1_000_000
	sum, err := writeRandom(src, bytes)
	if err != nil {
		return err
	}
	common := []string{"--source", "pattern", "--size", *size, "--fps", strconv.Itoa(*fps),
		"--stun", "none", "--interface", "lo", "--seconds", "600"}

	type proc struct {
		cmd   *exec.Cmd
		in    io.WriteCloser
		code  string
		stats string
		log   *lineLog
	}
	start := func(sub, who string, extra ...string) (*proc, error) {
		p := &proc{stats: filepath.Join(dir, who+".jsonl"), log: &lineLog{}}
		args := append(append([]string{sub}, common...), "--stats", p.stats)
		p.cmd = exec.Command(exe, append(args, extra...)...)
		p.cmd.Stderr = p.log
		p.in, _ = p.cmd.StdinPipe()
		out, _ := p.cmd.StdoutPipe()
		if err := p.cmd.Start(); err != nil {
			return nil, err
		}
		if p.code, err = firstLine(out); err != nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			return nil, fmt.Errorf("bench: the %s printed no code: %w", who, err)
		}
		return p, nil
	}
	stop := func(p *proc) {
		p.in.Close()
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
	// The inviter sends the file as soon as the call connects; the
	// joiner saves it.
	inv, err := start("invite", "inviter", "--send-file", src)
	if err != nil {
		return err
	}
	defer stop(inv)
	join, err := start("join", "joiner", "--accept-files", into, inv.code)
	if err != nil {
		return err
	}
	defer stop(join)
	fmt.Fprintln(inv.in, join.code)

	began, ok := join.log.wait(time.Minute, "file receiving")
	if !ok {
		return fmt.Errorf("bench: the joiner was offered no file within a minute")
	}
	deadline := time.Now().Add(10 * time.Minute)
	var ended time.Time
	for ended.IsZero() {
		if at, ok := join.log.wait(100*time.Millisecond, "file received"); ok {
			ended = at
		} else if _, failed := join.log.wait(0, "file not received"); failed || time.Now().After(deadline) {
			return fmt.Errorf("bench: the file did not arrive: %s", join.log.last("file"))
		}
	}
	// The call goes on a while, for the frame rate after the transfer.
	time.Sleep(time.Duration(*after * float64(time.Second)))
	res := FileRun{
		Date: time.Now().UTC().Format("2006-01-02"), Size: *size, FPS: *fps, FileBytes: bytes,
		Seconds: ended.Sub(began).Seconds(),
		Command: "peercall bench file " + strings.Join(args, " "),
	}
	res.MbitPerS = float64(bytes) * 8 / res.Seconds / 1e6
	res.PeakMbitPerS, res.SlowSeconds = join.log.peak(began)
	if got, err := fileSum(filepath.Join(into, "sent.bin")); err == nil {
		res.SHA256OK = got == sum
	}
	for _, side := range []struct {
		p                *proc
		during, afterFPS *float64
		fewest           *uint64
	}{{inv, &res.InviterFPSDuring, &res.InviterFPSAfter, &res.InviterFewest}, {join, &res.JoinerFPSDuring, &res.JoinerFPSAfter, &res.JoinerFewest}} {
		lines, err := readStatsLines(side.p.stats)
		if err != nil {
			return err
		}
		*side.during, *side.fewest, *side.afterFPS = framesAround(lines, began, ended)
		if side.p == inv {
			res.TargetKbpsBegan, res.TargetKbpsEnded = targetAround(lines, began, ended)
		}
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

// framesAround reads a side's statistics around a transfer from began to
// ended: its decoded frame rate from the line before it began to the one
// after it ended, the fewest frames between two of those lines, and the
// rate over the lines after that.
func framesAround(lines []rtc.Stats, began, ended time.Time) (during float64, fewest uint64, after float64) {
	type point struct {
		at     time.Time
		frames uint64
	}
	var span, rest []point
	for _, l := range lines {
		at, err := time.Parse(time.RFC3339Nano, l.Time)
		if err != nil || l.State != "connected" {
			continue
		}
		p := point{at, l.FramesDecoded}
		switch {
		case !at.After(began):
			span = append(span[:0], p)
		case len(span) > 0 && span[len(span)-1].at.After(ended):
			rest = append(rest, p)
		default:
			span = append(span, p)
		}
	}
	rate := func(ps []point) float64 {
		if len(ps) < 2 {
			return 0
		}
		a, b := ps[0], ps[len(ps)-1]
		return float64(b.frames-a.frames) / b.at.Sub(a.at).Seconds()
	}
	if len(span) >= 2 {
		fewest = ^uint64(0)
		for i := 1; i < len(span); i++ {
			fewest = min(fewest, span[i].frames-span[i-1].frames)
		}
	}
	if len(rest) > 0 && len(span) > 0 {
		rest = append([]point{span[len(span)-1]}, rest...)
	}
	return rate(span), fewest, rate(rest)
}

// targetAround is the video encoder's target at the first and the last
// lines written while the transfer ran.
func targetAround(lines []rtc.Stats, began, ended time.Time) (first, last float64) {
	seen := false
	for _, l := range lines {
		at, err := time.Parse(time.RFC3339Nano, l.Time)
		if err != nil || l.State != "connected" || !at.After(began) || at.After(ended) {
			continue
		}
		if !seen {
			first, seen = l.TargetKbps, true
		}
		last = l.TargetKbps
	}
	return first, last
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeRandom fills path with n random bytes and returns their SHA-256.
func writeRandom(path string, n int64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.CopyN(io.MultiWriter(f, h), rand.Reader, n)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return hex.EncodeToString(h.Sum(nil)), err
}

// lineLog keeps a process's stderr and when each line arrived.
type lineLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	at      []time.Time
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := strings.IndexByte(string(l.partial), '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.at = append(l.at, time.Now())
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// wait waits up to d for a line holding text and returns when it came.
func (l *lineLog) wait(d time.Duration, text string) (time.Time, bool) {
	deadline := time.Now().Add(d)
	for {
		l.mu.Lock()
		for i, line := range l.lines {
			if strings.Contains(line, text) {
				at := l.at[i]
				l.mu.Unlock()
				return at, true
			}
		}
		l.mu.Unlock()
		if !time.Now().Before(deadline) {
			return time.Time{}, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// peak reads the "file progress" lines (one a second): the most
// received between two of them, Mbit/s, and how long after began the
// first second came that carried a tenth of that.
func (l *lineLog) peak(began time.Time) (mbits, slow float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	type point struct {
		at    time.Time
		bytes float64
	}
	var ps []point
	for i, line := range l.lines {
		if !strings.Contains(line, "file progress") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "received="); ok {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					ps = append(ps, point{l.at[i], n})
				}
			}
		}
	}
	rates := make([]float64, len(ps))
	for i := 1; i < len(ps); i++ {
		if d := ps[i].at.Sub(ps[i-1].at).Seconds(); d > 0 {
			rates[i] = (ps[i].bytes - ps[i-1].bytes) * 8 / d / 1e6
			mbits = max(mbits, rates[i])
		}
	}
	for i := 1; i < len(ps); i++ {
		if rates[i] >= mbits/10 {
			slow = ps[i-1].at.Sub(began).Seconds()
			break
		}
	}
	return mbits, slow
}

// last is the last line holding text, for an error message.
func (l *lineLog) last(text string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.lines) - 1; i >= 0; i-- {
		if strings.Contains(l.lines[i], text) {
			return l.lines[i]
		}
	}
	return "no word from the joiner"
}

// fileTarget judges the call's video during the transfer: the worse
// side's decoded frame rate.
func fileTarget(f *FileRun) Target {
	t := Target{What: "video during a 50 MB file transfer, 640×480@30", Goal: "≥ 25 fps each side", Limit: 25, Measured: "not measured"}
	if f == nil {
		return t
	}
	t.Value = min(f.InviterFPSDuring, f.JoinerFPSDuring)
	met := t.Value >= t.Limit && f.SHA256OK
	t.Met = &met
	t.Measured = f1(t.Value) + " fps"
	if !f.SHA256OK {
		t.Measured += ", the file arrived damaged"
	}
	return t
}

// checksumWord says whether a saved file's SHA-256 matched the sent one's.
func checksumWord(ok bool) string {
	if ok {
		return "matches"
	}
	return "**differs**"
}

func fileMarkdown(f *FileRun) string {
	var b strings.Builder
	b.WriteString("\n## Sending a file during a call\n\n")
	fmt.Fprintf(&b, "`%s`: a %s MB file of random bytes sent with `--send-file` from the\n", strings.TrimSpace(f.Command), f1(float64(f.FileBytes)/1e6))
	fmt.Fprintf(&b, "inviter to the joiner (`--accept-files`) as soon as a two-way %s@%d call on\n", strings.Replace(f.Size, "x", "×", 1), f.FPS)
	b.WriteString("loopback connects; timed from the offer accepted to the file saved (checked,\n")
	b.WriteString("synced and renamed). The frame rates are each side's decoded video from its\n")
	b.WriteString("statistics line before the transfer began to the one after it ended.\n\n")
	b.WriteString("| figure | value |\n|---|---|\n")
	sum := checksumWord(f.SHA256OK)
	fmt.Fprintf(&b, "| throughput | %s Mbit/s (%s s) |\n", f1(f.MbitPerS), strconv.FormatFloat(f.Seconds, 'f', 2, 64))
	fmt.Fprintf(&b, "| fastest second | %s Mbit/s |\n", f1(f.PeakMbitPerS))
	fmt.Fprintf(&b, "| time before a second carried a tenth of the fastest | %s s |\n", f1(f.SlowSeconds))
	fmt.Fprintf(&b, "| SHA-256 of the saved file | %s |\n", sum)
	fmt.Fprintf(&b, "| video during the transfer, inviter / joiner | %s / %s fps |\n", f1(f.InviterFPSDuring), f1(f.JoinerFPSDuring))
	fmt.Fprintf(&b, "| fewest frames decoded in one second of it | %d / %d |\n", f.InviterFewest, f.JoinerFewest)
	fmt.Fprintf(&b, "| video after the transfer | %s / %s fps |\n", f1(f.InviterFPSAfter), f1(f.JoinerFPSAfter))
	fmt.Fprintf(&b, "| sender's video target, first and last second of the transfer | %s → %s kbit/s |\n", f1(f.TargetKbpsBegan), f1(f.TargetKbpsEnded))
	b.WriteString("\nWhile the video has less than it wants, as in a call's first seconds, a transfer\n")
	b.WriteString("takes only what the estimate leaves after the video (PROTOCOL.md, section 10);\n")
	b.WriteString("then it finds the path's own pace, growing by 5 % every 100 ms.\n")
	b.WriteString("The target is the video's share of congestion control's estimate, which starts\n")
	b.WriteString("at 800 kbit/s and grows by up to 8 % a second while nothing shows congestion; a\n")
	b.WriteString("cut for delay or loss, as chunks queuing in front of the video would cause, shows\n")
	b.WriteString("as a drop.\n")
	return b.String()
}
