package headless

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

	"peercall/rtc"
)

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
	// Audio: the tone's marks timed at the moment they are played.
	AudioLatencyMs   float64 `json:"audio_latency_ms"`
	AudioConcealedMs float64 `json:"audio_concealed_ms"`
}

// Bench runs `peercall bench`: a two-process call on loopback, measured
// from outside (CPU and memory from /proc) and inside (the stats files).
// The result is printed as JSON on stdout.
func Bench(args []string, std Streams) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	size := fs.String("size", "640x480", "picture size WxH")
	fps := fs.Int("fps", 30, "frames a second")
	seconds := fs.Float64("seconds", 20, "call length after connecting")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	if _, _, err := parseSize(*size); err != nil {
		return usageError("%v", err)
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

	inv := exec.Command(exe, append(append([]string{"invite"}, common...), "--stats", filepath.Join(dir, "a.jsonl"))...)
	inv.Stderr = io.Discard
	invIn, _ := inv.StdinPipe()
	invOut, _ := inv.StdoutPipe()
	if err := inv.Start(); err != nil {
		return err
	}
	defer inv.Process.Kill()
	inviteCode, err := firstLine(invOut)
	if err != nil {
		return fmt.Errorf("bench: no invite: %w", err)
	}
	join := exec.Command(exe, append(append([]string{"join"}, common...), "--stats", filepath.Join(dir, "b.jsonl"), inviteCode)...)
	join.Stderr = io.Discard
	joinOut, _ := join.StdoutPipe()
	if err := join.Start(); err != nil {
		return err
	}
	defer join.Process.Kill()
	reply, err := firstLine(joinOut)
	if err != nil {
		return fmt.Errorf("bench: no reply: %w", err)
	}
	fmt.Fprintln(invIn, reply)

	// Sample CPU time and memory once a second; CPU is taken over the
	// steady part of the call, from 2 s after the start to the last sample.
	type sample struct {
		at         time.Time
		cpuA, cpuB float64
	}
	var samples []sample
	var rssA, rssB float64
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
			samples = append(samples, sample{now, ca, cb})
			rssA, rssB = max(rssA, ra), max(rssB, rb)
		case <-time.After(time.Duration(*seconds)*time.Second + time.Minute):
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
	}{{"a.jsonl", &res.Inviter}, {"b.jsonl", &res.Joiner}} {
		st, err := lastStats(filepath.Join(dir, p.file))
		if err != nil {
			return err
		}
		p.peer.ConnectedMs, p.peer.FirstFrameMs = st.ConnectedMs, st.FirstFrameMs
		p.peer.FramesDecoded, p.peer.DecodedFPS = st.FramesDecoded, st.FPS
		p.peer.LatencyP50Ms, p.peer.LatencyP95Ms = st.LatencyP50Ms, st.LatencyP95Ms
		p.peer.EncodeMsAvg = st.EncodeMsAvg
		p.peer.AudioLatencyMs, p.peer.AudioConcealedMs = st.AudioLatencyMs, st.AudioConcealedMs
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(std.Stdout, string(out))
	return nil
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

func lastStats(path string) (rtc.Stats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return rtc.Stats{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var st rtc.Stats
	err = json.Unmarshal([]byte(lines[len(lines)-1]), &st)
	return st, err
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
