package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"peercall/media/pattern"
	"peercall/media/yuv"
)

// windowCall is the real app in a real window under Xvfb, in a call with a
// headless peer, everything in a network namespace holding only lo.
type windowCall struct {
	run    func(name string, args ...string) string
	inNS   func(name string, args ...string) *exec.Cmd
	win    string
	app    *exec.Cmd
	peer   *peer
	appErr *syncBuffer
}

// startWindowCall opens the app (with extra flags appArgs) and, driving it
// as a person would (keys with xdotool, the clipboard with xclip), starts
// a call, hands the invite to a headless peer (with peerArgs) and pastes
// the reply. Everything is stopped when the test ends.
func startWindowCall(t testing.TB, appArgs, peerArgs []string) *windowCall {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "xclip", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make test installs it)", tool)
		}
	}
	ns := newNamespace(t, "win")
	home := t.TempDir()
	display := fmt.Sprintf(":%d", 50+os.Getpid()%40)
	extraEnv := []string{"DISPLAY=" + display, "LANG=en_US.UTF-8", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	env := append(os.Environ(), extraEnv...)
	c := &windowCall{appErr: &syncBuffer{}}
	c.inNS = func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
		cmd.Env = env
		return cmd
	}
	c.run = func(name string, args ...string) string {
		out, _ := c.inNS(name, args...).Output()
		return strings.TrimSpace(string(out))
	}
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Kill()
		cmd.Wait()
	}

	xvfb := c.inNS("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(xvfb) })
	waitUntil(t, "Xvfb", 10*time.Second, func() bool { return c.inNS("xdotool", "getdisplaygeometry").Run() == nil })

	c.app = c.inNS(peercallBin, append([]string{"--source", "pattern"}, appArgs...)...)
	c.app.Stderr = c.appErr
	if err := c.app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(c.app) })
	waitUntil(t, "the window", 20*time.Second, func() bool {
		c.win = c.run("xdotool", "search", "--name", "^Peercall$")
		return c.win != ""
	})
	c.win = strings.Fields(c.win)[0]
	c.run("xdotool", "windowfocus", "--sync", c.win)

	// Start a call and copy the invite, as a person would.
	c.run("xdotool", "key", "--window", c.win, "ctrl+n")
	var inviteCode string
	waitUntil(t, "the invite on the clipboard", 20*time.Second, func() bool {
		c.run("xdotool", "key", "--window", c.win, "ctrl+shift+c")
		inviteCode = c.run("xclip", "-o", "-selection", "clipboard")
		return strings.HasPrefix(inviteCode, "PC")
	})

	// The other side: a headless peer sending its test pattern.
	c.peer = startPeer(t, peerOptions{name: "peer", prefix: nsExec(ns), env: extraEnv},
		"join", append(append([]string{"--source", "pattern", "--stun", "none"}, peerArgs...), inviteCode)...)
	reply := c.peer.code

	// Paste the reply into the focused field: the call starts by itself.
	paste := c.inNS("xclip", "-i", "-selection", "clipboard")
	paste.Stdin = strings.NewReader(reply)
	if err := paste.Run(); err != nil {
		t.Fatal(err)
	}
	c.run("xdotool", "key", "--window", c.win, "ctrl+v")
	return c
}

// The real app in a real window: it starts a call with a headless peer and
// the screenshot's pixels show the peer's picture filling the window and
// the local picture in the self-view; the hang-up shortcut ends the call
// on both sides.
func TestWindowCallUnderXvfb(t *testing.T) {
	c := startWindowCall(t, nil, []string{"--seconds", "60"})
	run, inNS, win, peer := c.run, c.inNS, c.win, c.peer
	appErr, peerErr := c.appErr, c.peer.stderr

	// The peer's pattern in the remote view, ours mirrored in the corner.
	geom := run("xdotool", "getwindowgeometry", "--shell", win)
	w, h := geomValue(geom, "WIDTH"), geomValue(geom, "HEIGHT")
	x0, y0 := geomValue(geom, "X"), geomValue(geom, "Y")
	ref := referencePattern(640, 480)
	var shot image.Image
	var remoteScore, selfScore, remoteFlipped, selfFlipped float64
	ok := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		data, err := inNS("import", "-window", "root", "png:-").Output()
		if err != nil {
			continue
		}
		if shot, err = png.Decode(bytes.NewReader(data)); err != nil {
			continue
		}
		// Remote: letterboxed over the whole window.
		rw, rh := yuv.Fit(640, 480, w, h)
		remote := image.Rect(x0+(w-rw)/2, y0+(h-rh)/2, x0+(w-rw)/2+rw, y0+(h-rh)/2+rh)
		remoteScore = barsMatch(shot, remote, ref, false)
		remoteFlipped = barsMatch(shot, remote, ref, true)
		// Self-view: a quarter of the width, bottom right, above the controls.
		sw := max(160, w/4)
		sh := sw * 3 / 4
		self := image.Rect(x0+w-sw-12, 0, x0+w-12, 0)
		selfScore, selfFlipped = 0, 0
		for bottom := y0 + h - 40; bottom > y0+h-120; bottom -= 4 {
			self.Min.Y, self.Max.Y = bottom-sh, bottom
			if m := barsMatch(shot, self, ref, true); m > selfScore {
				selfScore, selfFlipped = m, barsMatch(shot, self, ref, false)
			}
		}
		// Overlays and the pattern's moving square cover part of the
		// bars; the other orientation must match far worse.
		if remoteScore > 0.7 && remoteScore > remoteFlipped+0.3 && selfScore > 0.7 && selfScore > selfFlipped+0.3 {
			ok = true
			break
		}
	}
	if shot != nil {
		if f, err := os.Create(filepath.Join(os.TempDir(), "peercall-window.png")); err == nil {
			png.Encode(f, shot)
			f.Close()
		}
	}
	if !ok {
		t.Fatalf("remote view matches the peer's pattern at %.0f %% (mirrored %.0f %%), self-view ours mirrored at %.0f %% (unmirrored %.0f %%); want 70 %% and 30 points between\napp:\n%s\npeer:\n%s",
			100*remoteScore, 100*remoteFlipped, 100*selfScore, 100*selfFlipped, appErr.String(), peerErr.String())
	}
	t.Logf("remote view %.0f %% (mirrored %.0f %%), self-view %.0f %% (unmirrored %.0f %%) of sampled pattern pixels match",
		100*remoteScore, 100*remoteFlipped, 100*selfScore, 100*selfFlipped)

	// Hang up with the shortcut: back home, and the peer sees it.
	run("xdotool", "key", "--window", win, "ctrl+w")
	switch err := peer.wait(15 * time.Second); {
	case errors.Is(err, errStillRunning):
		t.Error("the peer did not end after the hang-up")
	case err != nil:
		t.Errorf("the peer ended with %v after the hang-up:\n%s", err, peerErr.String())
		fallthrough
	default:
		if !strings.Contains(peerErr.String(), "hung up") {
			t.Errorf("the peer did not hear of the hang-up:\n%s", peerErr.String())
		}
	}
}

func waitUntil(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
	}
}

func geomValue(shell, key string) int {
	for _, line := range strings.Split(shell, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// referencePattern is the test pattern as it is sent, in RGBA.
func referencePattern(w, h int) *image.RGBA {
	img := pattern.NewGenerator(w, h).Next(time.Now())
	var c yuv.Converter
	return c.Convert(img, w, h, false)
}

// barsMatch samples the colour-bar part of the pattern (a fifth to a half
// of the height down, where nothing moves) inside rect of the screenshot and
// returns the share of samples within a tolerance of the reference.
func barsMatch(shot image.Image, rect image.Rectangle, ref *image.RGBA, mirrored bool) float64 {
	if !rect.In(shot.Bounds()) || rect.Dx() < 40 || rect.Dy() < 40 {
		return 0
	}
	rb := ref.Bounds()
	match, total := 0, 0
	for fy := 0.22; fy < 0.48; fy += 0.04 {
		for fx := 0.04; fx < 0.96; fx += 0.03 {
			rx := fx
			if mirrored {
				rx = 1 - fx
			}
			want := ref.RGBAAt(int(rx*float64(rb.Dx())), int(fy*float64(rb.Dy())))
			got := color.RGBAModel.Convert(shot.At(rect.Min.X+int(fx*float64(rect.Dx())), rect.Min.Y+int(fy*float64(rect.Dy())))).(color.RGBA)
			total++
			if near(got.R, want.R) && near(got.G, want.G) && near(got.B, want.B) {
				match++
			}
		}
	}
	return float64(match) / float64(total)
}

func near(a, b uint8) bool {
	d := int(a) - int(b)
	return d > -48 && d < 48
}

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
