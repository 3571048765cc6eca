package e2e

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"

	"peercall/media/pattern"
	"peercall/media/yuv"
)

var windowProf = flag.String("window-prof", "", "BenchmarkWindowCall*: write the window's CPU and heap profiles of each call to this directory")

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

// rssMB is a process's resident memory now, or with field "VmHWM:" its
// peak so far, from /proc/PID/status.
func rssMB(pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			var kb float64
			fmt.Sscan(v, &kb)
			return kb / 1024
		}
	}
	return 0
}

// The window in a two-way 1280×720@30 call, both views visible (the
// window sends its test pattern, as a camera would fill the self-view),
// under Xvfb's software GL: CPU of the whole app and of its drawing
// threads, memory, and how long after capture each picture is on the
// screen, once the controls have faded (cpu-shown-% is the CPU while they
// show, in the call's first seconds). One iteration is one call; make
// bench runs it.
func BenchmarkWindowCall720p(b *testing.B) { benchmarkWindowCall(b, "1280x720") }

// The same at 640×480.
func BenchmarkWindowCall640x480(b *testing.B) { benchmarkWindowCall(b, "640x480") }

func benchmarkWindowCall(b *testing.B, size string) {
	const measure = 20 * time.Second
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		appArgs := []string{"--size", size, "--source", "pattern"}
		var prof string
		if *windowProf != "" {
			os.MkdirAll(*windowProf, 0o755)
			prof = filepath.Join(*windowProf, "window-"+size+".cpu.pprof")
			appArgs = append(appArgs, "--cpuprofile", prof, "--memprofile", strings.Replace(prof, ".cpu.", ".heap.", 1))
		}
		c := startWindowCall(b, appArgs, []string{"--size", size, "--seconds", "90", "--audio-source", "none"})
		pid := c.app.Process.Pid
		began := time.Now()
		// While the controls and the safety code show (the first 20 s of
		// a call, and after each move of the pointer), the toolkit draws
		// the pictures.
		time.Sleep(5 * time.Second)
		shown, _ := cpuOver(b, c, pid, 10*time.Second)
		b.ReportMetric(shown, "cpu-shown-%")
		// Then the screen is still, and the pictures go straight to the
		// screen: the call as it mostly is.
		time.Sleep(time.Until(began.Add(26 * time.Second)))
		b.StartTimer()
		total, drawing := cpuOver(b, c, pid, measure)
		b.StopTimer()
		b.ReportMetric(total, "cpu-%")
		b.ReportMetric(drawing, "drawing-cpu-%")
		b.ReportMetric(rssMB(pid, "VmRSS:"), "rss-MB")
		b.ReportMetric(rssMB(pid, "VmHWM:"), "peak-rss-MB")
		b.ReportMetric(mappedMB(pid, func(path string) bool {
			return strings.Contains(path, "libLLVM") || strings.Contains(path, "/dri/")
		}), "softgl-code-MB")

		var w, h int
		fmt.Sscanf(size, "%dx%d", &w, &h)
		s := c.screenLatency(10*time.Second, w, h)
		b.ReportMetric(s.remote.p(50), "remote-p50-ms")
		b.ReportMetric(s.remote.p(95), "remote-p95-ms")
		b.ReportMetric(s.self.p(50), "self-p50-ms")
		b.ReportMetric(s.self.p(95), "self-p95-ms")
		b.ReportMetric(s.remote.fps, "remote-shown-fps")
		b.ReportMetric(s.self.fps, "self-shown-fps")
		b.ReportMetric(s.grabMs, "screen-read-ms")
		b.ReportMetric(s.updatesPerS, "repaints/s")
		b.Logf("%s: remote %d pictures (at %v), self-view %d (at %v), screen read every %.1f ms", size, len(s.remote.ms), s.remoteAt, len(s.self.ms), s.selfAt, s.grabMs)

		if prof != "" {
			// Asked to end, the app writes its profile.
			c.app.Process.Signal(syscall.SIGTERM)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if c.app.Process.Signal(syscall.Signal(0)) != nil {
					break
				}
				if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(data), ") Z ") {
					break // ended, not yet reaped
				}
			}
		}
	}
}

// latencies are how long after capture the pictures of one view reached
// the screen, in milliseconds, and how many a second were shown.
// cpuOver is the share of one core the app with pid took over d, in all
// and in its drawing threads (the main thread and software GL's).
func cpuOver(b *testing.B, c *windowCall, pid int, d time.Duration) (total, drawing float64) {
	names0, t0, err := threadTimes(pid)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	time.Sleep(d)
	names1, t1, err := threadTimes(pid)
	if err != nil {
		b.Fatalf("the app ended: %v\n%s", err, c.appErr.String())
	}
	wall := time.Since(start)
	var all, draw time.Duration
	for tid, t := range t1 {
		dt := t - t0[tid]
		all += dt
		name := names1[tid]
		if name == "" {
			name = names0[tid]
		}
		if drawingThread(pid, tid, name) {
			draw += dt
		}
		if testing.Verbose() && dt > d/200 {
			b.Logf("thread %d %q: %.1f %%", tid, name, 100*dt.Seconds()/wall.Seconds())
		}
	}
	return 100 * all.Seconds() / wall.Seconds(), 100 * draw.Seconds() / wall.Seconds()
}

type latencies struct {
	ms  []float64
	fps float64
}

// p is the q-th percentile, or -1 with no pictures.
func (l latencies) p(q float64) float64 {
	if len(l.ms) == 0 {
		return -1
	}
	s := slices.Sorted(slices.Values(l.ms))
	return s[min(len(s)-1, int(q/100*float64(len(s))))]
}

type screenFigures struct {
	remote, self latencies
	grabMs       float64 // the mean time between two readings of the screen
	// Readings in which a new picture of either view showed, and that a
	// second: the window's repaints that brought pictures. Both views at
	// 30 frames a second take 30 to 60, as their pictures fall into the
	// same 60 Hz draw tick of the toolkit or into different ones.
	updates     int
	updatesPerS float64
	// Where the two pictures were found on the screen.
	remoteAt, selfAt image.Rectangle
}

// screenLatency reads the time codes of the remote picture and of the
// self-view off the screen for d, as fast as the X server answers.
func (c *windowCall) screenLatency(d time.Duration, w, h int) screenFigures {
	c.t.Helper()
	conn, _ := c.xconn()
	defer conn.Close()
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	// grab reads a rectangle of the screen into dst (allocated when nil
	// or of another size).
	grab := func(r image.Rectangle, dst *image.RGBA) *image.RGBA {
		reply, err := xproto.GetImage(conn, xproto.ImageFormatZPixmap, xproto.Drawable(root),
			int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0xffffffff).Reply()
		if err != nil || len(reply.Data) < 4*r.Dx()*r.Dy() {
			return nil
		}
		if dst == nil || dst.Rect != r {
			dst = image.NewRGBA(r) // in the screen's coordinates
		}
		// 24-bit depth, 32 bits a pixel: B, G, R, unused.
		for i := 0; i+3 < len(dst.Pix); i += 4 {
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = reply.Data[i+2], reply.Data[i+1], reply.Data[i], 255
		}
		return dst
	}
	// Where the two views are: the places whose time codes read in most of
	// a few screenfuls (a place a pixel off reads now and then only).
	g := c.geometry()
	var shots []*image.RGBA
	for range 5 {
		if shot := grab(image.Rect(0, 0, g.Max.X, g.Max.Y), nil); shot != nil {
			shots = append(shots, shot)
		}
		time.Sleep(45 * time.Millisecond)
	}
	if len(shots) == 0 {
		c.t.Fatal("reading the screen: no picture")
	}
	remote, okR := findStamp(shots, remoteCandidates(g, w, h), false)
	self, okS := findStamp(shots, selfCandidates(g), true)
	if !okR || !okS {
		file := filepath.Join(os.TempDir(), "peercall-window-latency.png")
		if f, err := os.Create(file); err == nil {
			png.Encode(f, shots[0])
			f.Close()
		}
		c.t.Fatalf("time codes on the screen: remote picture found %v, self-view found %v (screenshot in %s)", okR, okS, file)
	}
	screen := shots[0].Bounds()
	f := screenFigures{remoteAt: remote.Rectangle, selfAt: self.Rectangle}
	seenR, seenS := map[int64]bool{}, map[int64]bool{}
	start := time.Now()
	n := 0
	var rb, sb *image.RGBA
	// Every 2 ms or so: often enough to place each picture within a
	// millisecond, seldom enough to leave the X server and the machine's
	// two cores to the app.
	for next := start; time.Since(start) < d; next = next.Add(2 * time.Millisecond) {
		time.Sleep(time.Until(next))
		t0 := time.Now()
		// A pixel around each band: a picture whose edge falls between
		// two pixels is read a pixel further when it does not read where
		// it was found.
		rb = grab(remote.band().Inset(-1).Intersect(screen), rb)
		sb = grab(self.band().Inset(-1).Intersect(screen), sb)
		at := t0.Add(time.Since(t0) / 2)
		n++
		changed := false
		for _, v := range []struct {
			img  *image.RGBA
			band image.Rectangle
			m    bool
			seen map[int64]bool
			l    *latencies
		}{{rb, remote.band(), false, seenR, &f.remote}, {sb, self.band(), true, seenS, &f.self}} {
			ms, ok := readNear(v.img, v.band, v.m)
			if !ok || v.seen[ms] {
				continue
			}
			// The first picture was on the screen before reading began.
			if len(v.seen) > 0 {
				v.l.ms = append(v.l.ms, float64(at.Sub(time.UnixMilli(ms)))/float64(time.Millisecond))
				changed = true
			}
			v.seen[ms] = true
		}
		if changed {
			f.updates++
		}
	}
	wall := time.Since(start)
	f.remote.fps = float64(len(f.remote.ms)) / wall.Seconds()
	f.self.fps = float64(len(f.self.ms)) / wall.Seconds()
	f.grabMs = float64(wall.Milliseconds()) / float64(max(n, 1))
	f.updatesPerS = float64(f.updates) / wall.Seconds()
	return f
}

// readNear reads the time code of band (in the screen's coordinates) from
// strip, grabbed a pixel wider on every side, or of the band a pixel off
// it when that one does not read.
func readNear(strip *image.RGBA, band image.Rectangle, mirrored bool) (int64, bool) {
	if strip == nil {
		return 0, false
	}
	for _, d := range []image.Point{{0, 0}, {0, -1}, {0, 1}, {-1, 0}, {1, 0}} {
		for _, grow := range []int{0, -1, 1} {
			r := band.Add(d)
			r.Max.X += grow
			if ms, ok := readScreenStamp(strip.SubImage(r.Intersect(strip.Bounds())).(*image.RGBA), mirrored); ok {
				return ms, true
			}
		}
	}
	return 0, false
}

// onScreenPicture is where a picture is drawn on the screen.
type onScreenPicture struct{ image.Rectangle }

// band is the strip of the screen that holds the time code.
func (p onScreenPicture) band() image.Rectangle {
	return image.Rect(p.Min.X, p.Min.Y, p.Max.X, p.Min.Y+pattern.BandHeight(p.Dx()))
}

// remoteCandidates are where the remote picture of w×h may be: filling
// the window, letterboxed as sent, within a few pixels.
func remoteCandidates(g image.Rectangle, w, h int) []image.Rectangle {
	var out []image.Rectangle
	rw, rh := yuv.Fit(w, h, g.Dx(), g.Dy())
	x0, y0 := g.Min.X+(g.Dx()-rw)/2, g.Min.Y+(g.Dy()-rh)/2
	for dy := -2; dy <= 2; dy++ {
		for dw := -2; dw <= 2; dw++ {
			out = append(out, image.Rect(x0-dw, y0+dy, x0+rw+dw, y0+dy+rh))
		}
	}
	return out
}

// selfCandidates are where the self-view may be: in the bottom-right
// corner, a fifth or a quarter of the window's width (at least 160 and at
// most 320 pixels), its frame perhaps taking a few pixels of that. Only
// the top edge and the width matter: the time code runs along the top.
func selfCandidates(g image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for _, base := range []int{min(max(160, g.Dx()/5), 320), min(max(160, g.Dx()/4), 320)} {
		for sw := base + 2; sw > base-10; sw-- {
			// 4:3 or 16:9, or letterboxed in either: the top of the
			// picture anywhere from just above the bottom edge to a
			// 4:3 picture's height plus the controls' above it.
			for top := g.Max.Y - sw*9/16 - 4; top > g.Max.Y-sw*3/4-160; top-- {
				for right := g.Max.X - 4; right > g.Max.X-24; right-- {
					out = append(out, image.Rect(right-sw, top, right, top+sw*9/16))
				}
			}
		}
	}
	return out
}

// findStamp is the candidate whose time code reads in the most shots, and
// of those the one that reads most clearly.
func findStamp(shots []*image.RGBA, candidates []image.Rectangle, mirrored bool) (onScreenPicture, bool) {
	var best onScreenPicture
	bestReads, bestMargin := 0, -1
	for _, r := range candidates {
		p := onScreenPicture{r}
		b := p.band()
		reads, margin := 0, 255
		for i, shot := range shots {
			if !b.In(shot.Bounds()) || reads+len(shots)-i < bestReads {
				break
			}
			if _, m, ok := readScreenStampMargin(shot.SubImage(b).(*image.RGBA), mirrored); ok {
				reads++
				margin = min(margin, m)
			}
		}
		if reads > bestReads || reads == bestReads && reads > 0 && margin > bestMargin {
			best, bestReads, bestMargin = p, reads, margin
		}
	}
	return best, bestReads > 0
}

// readScreenStamp reads the pattern's time code from a strip of the screen
// as wide as the picture, flipped back if the picture is shown mirrored.
// The window's translucent dark panels and their text may lie over part
// of it: each cell is read by the median of its middle (text strokes are
// a minority of it) and taken as white when clearly above the darkest
// cell (a dark panel leaves black black, and white still far above it).
func readScreenStamp(strip *image.RGBA, mirrored bool) (int64, bool) {
	ms, _, ok := readScreenStampMargin(strip, mirrored)
	return ms, ok
}

// readScreenStampMargin is readScreenStamp that also tells how clearly the
// cells read: the smallest distance of a cell's level from the black and
// white threshold, in grey levels. A strip a pixel off the picture takes
// in cell edges and reads less clearly.
func readScreenStampMargin(strip *image.RGBA, mirrored bool) (int64, int, bool) {
	if strip == nil {
		return 0, 0, false
	}
	b := strip.Bounds()
	w := b.Dx()
	if w < pattern.MinWidth || b.Dy() < pattern.BandHeight(w) {
		return 0, 0, false
	}
	var level [pattern.Rows][pattern.Columns]int
	darkest := 255
	var vals []int
	for r := range pattern.Rows {
		y0, y1 := r*w/pattern.Columns, (r+1)*w/pattern.Columns
		my := (y1 - y0) / 4
		for c := range pattern.Columns {
			x0, x1 := c*w/pattern.Columns, (c+1)*w/pattern.Columns
			mx := (x1 - x0) / 4
			vals = vals[:0]
			for y := y0 + my; y < y1-my; y++ {
				for x := x0 + mx; x < x1-mx; x++ {
					sx := x
					if mirrored {
						sx = w - 1 - x
					}
					p := strip.RGBAAt(b.Min.X+sx, b.Min.Y+y)
					vals = append(vals, (299*int(p.R)+587*int(p.G)+114*int(p.B))/1000)
				}
			}
			if len(vals) == 0 {
				return 0, 0, false
			}
			slices.Sort(vals)
			level[r][c] = vals[len(vals)/2]
			darkest = min(darkest, level[r][c])
		}
	}
	// A clean picture of the cells for the pattern's own reader, which
	// checks the sync cells and the checksum.
	h := pattern.BandHeight(w)
	margin := 255
	img := &image.YCbCr{Y: make([]byte, w*h), YStride: w, Rect: image.Rect(0, 0, w, h), SubsampleRatio: image.YCbCrSubsampleRatio420}
	for r := range pattern.Rows {
		for c := range pattern.Columns {
			v := byte(16)
			if level[r][c] > darkest+48 {
				v = 235
			}
			margin = min(margin, max(level[r][c]-darkest-48, darkest+48-level[r][c]))
			for y := r * w / pattern.Columns; y < (r+1)*w/pattern.Columns; y++ {
				for x := c * w / pattern.Columns; x < (c+1)*w/pattern.Columns; x++ {
					img.Y[y*w+x] = v
				}
			}
		}
	}
	t, ok := pattern.ReadStamp(img)
	return t.UnixMilli(), margin, ok
}
