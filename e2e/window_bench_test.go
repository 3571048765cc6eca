package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// threadTimes reads, for each thread of a process, its name and the CPU
// time it has used (user and system), from /proc.
func threadTimes(pid int) (map[int]string, map[int]time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	names, times := map[int]string{}, map[int]time.Duration{}
	for _, e := range entries {
		var tid int
		if _, err := fmt.Sscan(e.Name(), &tid); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue // the thread ended
		}
		// The name is in parentheses and may hold spaces: fields start
		// after the last ')'. utime and stime are fields 14 and 15.
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 13 {
			continue
		}
		var ut, st int64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		names[tid] = s[open+1 : end]
		times[tid] = time.Duration(ut+st) * time.Second / 100 // USER_HZ
	}
	return names, times, nil
}

// drawingThread tells whether a thread of the app does drawing: the main
// thread, where Fyne paints and makes its GL calls, and the software GL's
// own rasterising threads.
func drawingThread(pid, tid int, name string) bool {
	return tid == pid || strings.HasPrefix(name, "llvmpipe")
}

// mappedMB is the resident memory of a process's mappings of the files
// that match, from /proc/PID/smaps.
func mappedMB(pid int, match func(path string) bool) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0
	}
	kb, counting := 0.0, false
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			// A mapping's header: address range, perms, offset, device,
			// inode, path.
			counting = len(f) >= 6 && match(f[5])
			continue
		}
		if counting && f[0] == "Rss:" && len(f) >= 2 {
			var v float64
			fmt.Sscan(f[1], &v)
			kb += v
		}
	}
	return kb / 1024
}

func rssMB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscan(v, &kb)
			return kb / 1024
		}
	}
	return 0
}

// The window in a two-way 1280×720@30 call, both views visible, under
// Xvfb's software GL: CPU of the whole app and of its drawing threads, and
// memory. One iteration is one 20-second measurement; make bench runs it.
func BenchmarkWindowCall720p(b *testing.B) { benchmarkWindowCall(b, "1280x720") }

// The same at 640×480.
func BenchmarkWindowCall640x480(b *testing.B) { benchmarkWindowCall(b, "640x480") }

func benchmarkWindowCall(b *testing.B, size string) {
	const measure = 20 * time.Second
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := startWindowCall(b, []string{"--size", size}, []string{"--size", size, "--seconds", "60", "--audio-source", "none"})
		pid := c.app.Process.Pid
		// Let the call settle: the first frames, the encoder's first
		// estimates.
		time.Sleep(5 * time.Second)
		names0, t0, err := threadTimes(pid)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		b.StartTimer()
		time.Sleep(measure)
		b.StopTimer()
		names1, t1, err := threadTimes(pid)
		if err != nil {
			b.Fatalf("the app ended: %v\n%s", err, c.appErr.String())
		}
		wall := time.Since(start)
		var total, drawing time.Duration
		for tid, t := range t1 {
			d := t - t0[tid]
			total += d
			name := names1[tid]
			if name == "" {
				name = names0[tid]
			}
			if drawingThread(pid, tid, name) {
				drawing += d
			}
		}
		b.ReportMetric(100*total.Seconds()/wall.Seconds(), "cpu-%")
		b.ReportMetric(100*drawing.Seconds()/wall.Seconds(), "drawing-cpu-%")
		b.ReportMetric(rssMB(pid), "rss-MB")
		// What of it is software GL's own code (Mesa's llvmpipe and the
		// LLVM it compiles shaders with), absent with a GPU driver.
		b.ReportMetric(mappedMB(pid, func(path string) bool {
			return strings.Contains(path, "libLLVM") || strings.Contains(path, "/dri/")
		}), "softgl-code-MB")
		if testing.Verbose() {
			for tid, t := range t1 {
				if d := t - t0[tid]; d > 100*time.Millisecond {
					b.Logf("thread %d %q: %.1f %%", tid, names1[tid], 100*d.Seconds()/wall.Seconds())
				}
			}
		}
	}
}
