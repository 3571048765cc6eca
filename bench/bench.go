// Package bench measures Peercall as a person would feel it: `peercall
// bench` runs a two-process call on loopback and reads its CPU, memory and
// statistics; `peercall bench report` turns make bench's measurements into
// BENCHMARKS.md and benchmarks.json.
package bench

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"peercall/call"
	"peercall/rtc"
)

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitCode is the process exit status the error stands for.
func (e *usageError) ExitCode() int { return 2 }

func usage(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// BenchResult is what `peercall bench` measures for one call: two
// processes on loopback, each sending the test pattern.
type BenchResult struct {
	Date        string    `json:"date"`
	Machine     string    `json:"machine"`
	Cores       int       `json:"cores"`
	Size        string    `json:"size"`
	FPS         int       `json:"fps"`
	Seconds     float64   `json:"seconds"`
	InviteChars int       `json:"invite_chars"`
	ReplyChars  int       `json:"reply_chars"`
	Inviter     BenchPeer `json:"inviter"`
	Joiner      BenchPeer `json:"joiner"`
	Command     string    `json:"command"`
}

// BenchSample is one process's memory and goroutines at a moment of a
// long call (see --sample).
type BenchSample struct {
	AtSeconds  float64 `json:"at_s"` // since the call connected
	RSSMB      float64 `json:"rss_mb"`
	Goroutines int     `json:"goroutines"`
}

// BenchPeer is one process's share of the figures.
type BenchPeer struct {
	CPUPercent    float64 `json:"cpu_percent_of_one_core"`
	MaxRSSMB      float64 `json:"max_rss_mb"`
	ConnectedMs   float64 `json:"connected_ms"`
	FirstFrameMs  float64 `json:"first_frame_ms"`
	FramesDecoded uint64  `json:"frames_decoded"`
	DecodedFPS    float64 `json:"decoded_fps"`
	LatencyP50Ms  float64 `json:"latency_ms_p50"`
	LatencyP95Ms  float64 `json:"latency_ms_p95"`
	EncodeMsAvg   float64 `json:"encode_ms_avg"`
	// What it sent, to set its CPU against another sender's: all it put
	// on the connection (media, resends, RTCP) from its third second
	// connected to the end, and, at the last line connected, its encoder's
	// target and the picture it sent.
	SendKbps   float64 `json:"send_kbps"`
	TargetKbps float64 `json:"target_kbps"`
	SendWidth  int     `json:"send_width"`
	SendHeight int     `json:"send_height"`
	SendFPS    float64 `json:"send_fps"`
	// Audio: the tone's marks timed at the moment they are played.
	AudioLatencyMs   float64 `json:"audio_latency_ms"`
	AudioConcealedMs float64 `json:"audio_concealed_ms"`
	// With --sample: memory and goroutines through the call, and how much
	// resident memory grew from the first sample to the last.
	Samples       []BenchSample `json:"samples,omitempty"`
	RSSDriftPct   float64       `json:"rss_drift_pct,omitempty"`
	GoroutinesMin int           `json:"goroutines_min,omitempty"`
	GoroutinesMax int           `json:"goroutines_max,omitempty"`
}

// Bench runs `peercall bench`: a two-process call on loopback, measured
// from outside (CPU and memory from /proc) and inside (the stats files).
// The result is printed as JSON on stdout.
func Run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		return report(args[1:], stderr)
	}
	if len(args) > 0 && args[0] == "codes" {
		return codes(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "file" {
		return fileBench(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "640x480", "picture size WxH")
	fps := fs.Int("fps", 30, "frames a second")
	seconds := fs.Float64("seconds", 20, "call length after connecting")
	every := fs.Float64("sample", 0, "record each process's memory and goroutines this often, in seconds (0: not at all)")
	profileDir := fs.String("profile-dir", "", "write each process's CPU and heap profiles to this directory")
	if err := fs.Parse(args); err != nil {
		return usage("%v", err)
	}
	if _, _, err := call.ParseSize(*size); err != nil {
		return usage("%v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "peercall-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	common := []string{"--source", "pattern", "--size", *size, "--fps", strconv.Itoa(*fps),
		"--stun", "none", "--interface", "lo", "--seconds", strconv.FormatFloat(*seconds, 'f', -1, 64)}

	profile := func(who string) []string {
		if *profileDir == "" {
			return nil
		}
		return []string{"--cpuprofile", filepath.Join(*profileDir, who+".cpu.pprof"), "--memprofile", filepath.Join(*profileDir, who+".heap.pprof")}
	}
	if *profileDir != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			return err
		}
	}
	// start runs one side and reads the code it prints.
	start := func(sub, who, stats string, extra ...string) (*exec.Cmd, io.Writer, string, error) {
		args := append(append(append([]string{sub}, common...), profile(who)...), "--stats", filepath.Join(dir, stats))
		cmd := exec.Command(exe, append(args, extra...)...)
		cmd.Stderr = io.Discard
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			return nil, nil, "", err
		}
		code, err := firstLine(out)
		if err != nil {
			cmd.Process.Kill()
			return nil, nil, "", fmt.Errorf("bench: the %s printed no code: %w", who, err)
		}
		return cmd, in, code, nil
	}
	inv, invIn, inviteCode, err := start("invite", "inviter", "a.jsonl")
	if err != nil {
		return err
	}
	defer inv.Process.Kill()
	join, _, reply, err := start("join", "joiner", "b.jsonl", inviteCode)
	if err != nil {
		return err
	}
	defer join.Process.Kill()
	fmt.Fprintln(invIn, reply)

	// Sample CPU time and memory once a second; CPU is taken over the
	// steady part of the call, from 2 s after the start to the last sample.
	var samples []sample
	var rssA, rssB float64
	// The call lasts --seconds from when it connects; the processes
	// themselves end it.
	started := time.Now()
	exited := make(chan struct{})
	go func() {
		inv.Wait()
		join.Wait()
		close(exited)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
loop:
	for {
		select {
		case <-exited:
			break loop
		case now := <-tick.C:
			ca, ra, errA := procUsage(inv.Process.Pid)
			cb, rb, errB := procUsage(join.Process.Pid)
			if errA != nil || errB != nil {
				continue
			}
			samples = append(samples, sample{now, ca, cb, ra, rb})
			rssA, rssB = max(rssA, ra), max(rssB, rb)
		case <-time.After(time.Until(started.Add(time.Duration(*seconds*float64(time.Second)) + time.Minute))):
			return fmt.Errorf("bench: the call did not end")
		}
	}
	res := BenchResult{
		Date: time.Now().UTC().Format("2006-01-02"), Machine: cpuModel(), Cores: runtime.NumCPU(),
		Size: *size, FPS: *fps, Seconds: *seconds,
		InviteChars: len(inviteCode), ReplyChars: len(reply),
		Command: "peercall bench " + strings.Join(args, " "),
	}
	if len(samples) >= 4 {
		first, last := samples[2], samples[len(samples)-1]
		wall := last.at.Sub(first.at).Seconds()
		res.Inviter.CPUPercent = 100 * (last.cpuA - first.cpuA) / wall
		res.Joiner.CPUPercent = 100 * (last.cpuB - first.cpuB) / wall
	}
	res.Inviter.MaxRSSMB, res.Joiner.MaxRSSMB = rssA, rssB
	for _, p := range []struct {
		file string
		peer *BenchPeer
		rss  func(sample) float64
	}{{"a.jsonl", &res.Inviter, func(s sample) float64 { return s.rssA }}, {"b.jsonl", &res.Joiner, func(s sample) float64 { return s.rssB }}} {
		lines, err := readStatsLines(filepath.Join(dir, p.file))
		if err != nil {
			return err
		}
		st := lines[len(lines)-1]
		if *every > 0 {
			p.peer.sampleLong(lines, samples, p.rss, *every)
		}
		p.peer.ConnectedMs, p.peer.FirstFrameMs = st.ConnectedMs, st.FirstFrameMs
		p.peer.FramesDecoded, p.peer.DecodedFPS = st.FramesDecoded, st.FPS
		p.peer.LatencyP50Ms, p.peer.LatencyP95Ms = st.LatencyP50Ms, st.LatencyP95Ms
		p.peer.EncodeMsAvg = st.EncodeMsAvg
		p.peer.sending(lines)
		p.peer.AudioLatencyMs, p.peer.AudioConcealedMs = st.AudioLatencyMs, st.AudioConcealedMs
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

// sample is one reading of both processes' /proc figures.
type sample struct {
	at         time.Time
	cpuA, cpuB float64
	rssA, rssB float64
}

// sampleLong fills p's long-call figures: every `every` seconds from the
// moment the call connected, the process's resident memory (from the
// /proc samples) and goroutines (from its stats lines). The drift is taken
// from the first sample, once the call has settled, to the last.
func (p *BenchPeer) sampleLong(lines []rtc.Stats, procs []sample, rss func(sample) float64, every float64) {
	var connected time.Time
	for _, st := range lines {
		if st.State == "connected" {
			connected, _ = time.Parse(time.RFC3339Nano, st.Time)
			break
		}
	}
	if connected.IsZero() || len(procs) == 0 {
		return
	}
	step := time.Duration(every * float64(time.Second))
	li, pi := 0, 0
	for at := connected.Add(step); !at.After(procs[len(procs)-1].at); at = at.Add(step) {
		for pi+1 < len(procs) && !procs[pi+1].at.After(at) {
			pi++
		}
		for li+1 < len(lines) {
			t, _ := time.Parse(time.RFC3339Nano, lines[li+1].Time)
			if t.After(at) {
				break
			}
			li++
		}
		p.Samples = append(p.Samples, BenchSample{
			AtSeconds:  at.Sub(connected).Seconds(),
			RSSMB:      rss(procs[pi]),
			Goroutines: lines[li].Goroutines,
		})
	}
	if len(p.Samples) < 2 {
		return
	}
	first, last := p.Samples[0], p.Samples[len(p.Samples)-1]
	if first.RSSMB > 0 {
		p.RSSDriftPct = 100 * (last.RSSMB - first.RSSMB) / first.RSSMB
	}
	p.GoroutinesMin, p.GoroutinesMax = first.Goroutines, first.Goroutines
	for _, s := range p.Samples {
		p.GoroutinesMin = min(p.GoroutinesMin, s.Goroutines)
		p.GoroutinesMax = max(p.GoroutinesMax, s.Goroutines)
	}
}

// sending fills p's figures on what it sent from its statistics lines.
func (p *BenchPeer) sending(lines []rtc.Stats) {
	var first, last *rtc.Stats
	var connected, from, to time.Time
	for i := range lines {
		l := &lines[i]
		at, err := time.Parse(time.RFC3339Nano, l.Time)
		if l.State != "connected" || err != nil {
			continue
		}
		if connected.IsZero() {
			connected = at
		}
		// Its first two seconds left out, as from the CPU figure: the
		// estimate climbs there.
		if first == nil && at.Sub(connected) >= 2*time.Second {
			first, from = l, at
		}
		last, to = l, at
	}
	if last == nil {
		return
	}
	p.TargetKbps, p.SendWidth, p.SendHeight, p.SendFPS = last.TargetKbps, last.SendWidth, last.SendHeight, last.SendFPS
	if secs := to.Sub(from).Seconds(); first != nil && secs > 0 {
		p.SendKbps = 8 * float64(last.BytesSent-first.BytesSent) / secs / 1000
	}
}

func firstLine(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if sc.Err() != nil {
			return "", sc.Err()
		}
		return "", io.EOF
	}
	go io.Copy(io.Discard, r)
	return strings.TrimSpace(sc.Text()), nil
}

// procUsage reads a process's CPU seconds (user+system) and resident memory
// in MB from /proc.
func procUsage(pid int) (cpuSeconds, rssMB float64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name, which is in parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	fields := strings.Fields(rest)
	if len(fields) < 22 {
		return 0, 0, fmt.Errorf("short /proc stat")
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	rssPages, _ := strconv.ParseFloat(fields[21], 64)
	const ticks = 100 // USER_HZ on Linux
	return (utime + stime) / ticks, rssPages * float64(os.Getpagesize()) / (1 << 20), nil
}

// readStatsLines reads a --stats file: one snapshot a line.
func readStatsLines(path string) ([]rtc.Stats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []rtc.Stats
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var st rtc.Stats
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no statistics", path)
	}
	return out, nil
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
