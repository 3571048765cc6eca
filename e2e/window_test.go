package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"peercall/media"
	"peercall/media/pattern"
	"peercall/media/yuv"
)

var displaySerial atomic.Int32

// window is the real app in a real window under Xvfb, in a network
// namespace holding only lo, started as a person starts it: fresh settings
// (an empty home), the locale many servers and containers have
// (C.UTF-8), and no flags unless a benchmark gives some. On this machine
// there is no camera.
type window struct {
	t      testing.TB
	ns     string
	peerNS string   // where the headless peer runs: ns unless set
	env    []string // what the app and its peer get added to their environment
	inNS   func(name string, args ...string) *exec.Cmd
	win    string
	app    *exec.Cmd
	appErr *syncBuffer
}

// startWindow opens the app (with appArgs) and waits for its window.
// Everything is stopped when the test ends.
func startWindow(t testing.TB, appArgs ...string) *window {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "xclip", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make test installs it)", tool)
		}
	}
	w := &window{t: t, ns: newNamespace(t, "win"), appErr: &syncBuffer{}}
	w.env, w.inNS = startDisplay(t, w.ns)
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Kill()
		cmd.Wait()
	}

	w.app = w.inNS(peercallBin, appArgs...)
	w.app.Stderr = w.appErr
	if err := w.app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop(w.app)
		if t.Failed() {
			t.Logf("app stderr:\n%s", w.appErr.String())
		}
	})
	waitUntil(t, "the window", 20*time.Second, func() bool {
		w.win = w.run("xdotool", "search", "--name", "^Peercall$")
		return w.win != ""
	})
	w.win = strings.Fields(w.win)[0]
	w.run("xdotool", "windowfocus", "--sync", w.win)
	return w
}

// run runs a command in the window's namespace and display, returning its
// output.
func (w *window) run(name string, args ...string) string {
	out, _ := toolOutput(w.inNS(name, args...))
	return strings.TrimSpace(string(out))
}

// toolTimeout bounds each run of an X tool. xclip waits for the
// clipboard's owner to answer, and an owner that never does (Wine's
// clipboard, now and then) would hold the test until the package's
// time-out; a tool stopped here fails that try, and its caller tries
// again.
const toolTimeout = 15 * time.Second

// toolOutput runs cmd, an X tool, for at most toolTimeout and returns
// what it printed.
func toolOutput(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	err := toolRun(cmd)
	return out.Bytes(), err
}

// toolRun runs cmd, an X tool, for at most toolTimeout. Its output goes
// where cmd says: xclip -i leaves a process behind that keeps serving
// the clipboard, and it must not hold a pipe of the test's.
func toolRun(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	stop := time.AfterFunc(toolTimeout, func() { cmd.Process.Kill() })
	defer stop.Stop()
	cmd.WaitDelay = time.Second
	return cmd.Wait()
}

// key presses keys in the window, as a person does.
func (w *window) key(keys string) { w.run("xdotool", "key", "--window", w.win, keys) }

// setClipboard puts text on the clipboard, as copying it in a chat app does.
func (w *window) setClipboard(text string) {
	w.t.Helper()
	cmd := w.inNS("xclip", "-i", "-selection", "clipboard")
	cmd.Stdin = strings.NewReader(text)
	if err := toolRun(cmd); err != nil {
		w.t.Fatal(err)
	}
}

// copyCode presses the copy shortcut until the clipboard holds a code
// other than not, and returns it.
func (w *window) copyCode(what, not string) string {
	w.t.Helper()
	return w.copyCodeAfter(what, not, nil)
}

// copyCodeAfter is copyCode with before run ahead of each try: what a
// person does again when the window was not ready for it yet.
func (w *window) copyCodeAfter(what, not string, before func()) string {
	w.t.Helper()
	var code string
	waitUntil(w.t, what+" on the clipboard", 20*time.Second, func() bool {
		if before != nil {
			before()
		}
		w.key("ctrl+shift+c")
		code = w.run("xclip", "-o", "-selection", "clipboard")
		return strings.HasPrefix(code, "PC") && code != not
	})
	return code
}

// peer starts a headless peer in the window's namespace (or peerNS),
// sending its test pattern and keeping the last picture it receives.
func (w *window) peer(sub string, args ...string) (*peer, string) {
	w.t.Helper()
	ns := w.ns
	if w.peerNS != "" {
		ns = w.peerNS
	}
	picture := filepath.Join(w.t.TempDir(), "peer-saw.png")
	p := startPeer(w.t, peerOptions{name: "peer", prefix: nsExec(ns), env: w.env}, sub,
		append([]string{"--source", "pattern", "--stun", "none", "--last-picture", picture}, args...)...)
	return p, picture
}

// startCall starts a call from the window, hands the invite to a headless
// peer (with peerArgs) and pastes its reply into the window.
func (w *window) startCall(peerArgs ...string) (*peer, string) {
	w.t.Helper()
	w.key("ctrl+n")
	inviteCode := w.copyCode("the invite", "")
	p, picture := w.peer("join", append(peerArgs, inviteCode)...)
	// Paste the reply into the focused field: the call starts by itself.
	w.setClipboard(p.code)
	w.key("ctrl+v")
	return p, picture
}

// joinCall joins a headless peer's call from the window: the invite is
// pasted into the window, the reply copied from it into the peer.
func (w *window) joinCall(peerArgs ...string) (*peer, string) {
	w.t.Helper()
	p, picture := w.peer("invite", peerArgs...)
	w.key("ctrl+j")
	w.setClipboard(p.code)
	w.key("ctrl+v")
	reply := w.copyCode("the reply", p.code)
	p.paste(reply)
	return p, picture
}

// geometry is the window's place and size on the screen.
func (w *window) geometry() image.Rectangle {
	geom := w.run("xdotool", "getwindowgeometry", "--shell", w.win)
	x0, y0 := geomValue(geom, "X"), geomValue(geom, "Y")
	return image.Rect(x0, y0, x0+geomValue(geom, "WIDTH"), y0+geomValue(geom, "HEIGHT"))
}

// screenshot is the whole screen now, or nil.
func (w *window) screenshot() image.Image {
	data, err := toolOutput(w.inNS("import", "-window", "root", "png:-"))
	if err != nil {
		return nil
	}
	shot, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return shot
}

// onScreen is what the window should show: the remote picture filling it
// (letterboxed, as sent), the self-view (mirrored, bottom right above the
// controls), and what the self-view must clearly not be.
type onScreen struct {
	remote, self reference
	notSelf      reference
	notMirrored  bool // notSelf as sent rather than mirrored
}

// showsPictures waits until the screenshot shows what s says, each match
// far better than the picture it could be mistaken for; it fails the test
// otherwise.
func (w *window) showsPictures(s onScreen) {
	remote, self := s.remote, s.self
	w.t.Helper()
	g := w.geometry()
	var shot image.Image
	var remoteScore, selfScore, remoteFlipped, selfOther float64
	ok := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if shot = w.screenshot(); shot == nil {
			continue
		}
		rw, rh := yuv.Fit(remote.img.Rect.Dx(), remote.img.Rect.Dy(), g.Dx(), g.Dy())
		r := image.Rect(g.Min.X+(g.Dx()-rw)/2, g.Min.Y+(g.Dy()-rh)/2, g.Min.X+(g.Dx()-rw)/2+rw, g.Min.Y+(g.Dy()-rh)/2+rh)
		remoteScore, remoteFlipped = pictureMatch(shot, r, remote, false), pictureMatch(shot, r, remote, true)
		// The self-view: a fifth of the width (160 to 320), 4:3, bottom
		// right, at the window's edge or above the controls.
		sw := min(max(160, g.Dx()/5), 320)
		sh := sw * 3 / 4
		sv := image.Rect(g.Max.X-sw-12, 0, g.Max.X-12, 0)
		selfScore, selfOther = 0, 0
		for bottom := g.Max.Y - 12; bottom > g.Max.Y-120; bottom -= 2 {
			sv.Min.Y, sv.Max.Y = bottom-sh, bottom
			if m := pictureMatch(shot, sv, self, true); m > selfScore {
				selfScore, selfOther = m, pictureMatch(shot, sv, s.notSelf, !s.notMirrored)
			}
		}
		// Overlays and the pattern's moving square cover part of the
		// pictures; the other orientation must match far worse.
		if remoteScore > 0.7 && remoteScore > remoteFlipped+0.3 && selfScore > 0.7 && selfScore > selfOther+0.3 {
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
		w.t.Fatalf("remote view matches the peer's picture at %.0f %% (mirrored %.0f %%), self-view ours mirrored at %.0f %% (what it must not be %.0f %%); want 70 %% and 30 points between (screenshot in %s)",
			100*remoteScore, 100*remoteFlipped, 100*selfScore, 100*selfOther, filepath.Join(os.TempDir(), "peercall-window.png"))
	}
	w.t.Logf("remote view %.0f %% (mirrored %.0f %%), self-view %.0f %% (what it must not be %.0f %%) of sampled pixels match",
		100*remoteScore, 100*remoteFlipped, 100*selfScore, 100*selfOther)
}

// hangUp ends the call with the shortcut, once the peer has decoded a few
// seconds of pictures, and checks that the peer hears of it and ends by
// itself.
func (w *window) hangUp(p *peer) {
	w.t.Helper()
	p.waitStats(30*time.Second, "pictures for a while", func(l statsLine) bool {
		return l.FramesDecoded >= 20 && l.State == "connected"
	})
	w.key("ctrl+w")
	switch err := p.wait(15 * time.Second); {
	case errors.Is(err, errStillRunning):
		w.t.Error("the peer did not end after the hang-up")
	case err != nil:
		w.t.Errorf("the peer ended with %v after the hang-up", err)
		fallthrough
	default:
		if !strings.Contains(p.stderr.String(), "hung up") {
			w.t.Errorf("the peer did not hear of the hang-up:\n%s", p.stderr.String())
		}
	}
}

// quiet checks that the app wrote nothing a person would take for a fault
// on its terminal: no toolkit locale error, no sound library noise, no
// engine error after a normal hang-up.
func (w *window) quiet() {
	w.t.Helper()
	for _, noise := range []string{"Fyne error", "ALSA lib", "ERROR", "panic"} {
		if strings.Contains(w.appErr.String(), noise) {
			w.t.Errorf("the app's terminal shows %q:\n%s", noise, w.appErr.String())
		}
	}
}

// sawCameraOff checks that the peer's last picture was the camera-off
// picture this computer sends, having no camera.
func sawCameraOff(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("the peer kept no picture: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	// Both through the same colour conversion: the file was written from
	// the decoded picture with Go's own.
	ref := media.OffPicture(b.Dx(), b.Dy())
	var sum float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			got := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			want := color.GrayModel.Convert(ref.At(x-b.Min.X, y-b.Min.Y)).(color.Gray).Y
			d := float64(got) - float64(want)
			sum += d * d
		}
	}
	psnr := 10 * math.Log10(255*255*float64(b.Dx()*b.Dy())/math.Max(sum, 1))
	if psnr < 30 {
		t.Errorf("the peer's last picture is %.1f dB from the camera-off picture, want at least 30 dB", psnr)
	}
	t.Logf("the peer saw the camera-off picture (%.1f dB PSNR, %dx%d)", psnr, b.Dx(), b.Dy())
}

// noCamera is the window in a call with a peer sending its pattern, on a
// computer with no camera: the peer's pattern, and the camera-off picture
// where the self-view would show the camera.
var noCamera = onScreen{
	remote: referencePattern(640, 480), self: referenceCameraOff(640, 480),
	notSelf: referencePattern(640, 480),
}

// Peercall as double-clicked on a computer with no camera: fresh settings,
// no flags. It starts a call with a headless peer, and joins one (the
// invite pasted into the window, the reply copied out of it); the
// screenshot shows the peer's picture filling the window and the
// camera-off picture in the self-view; the peer receives the camera-off
// picture; the hang-up shortcut ends the call on both sides; nothing
// crashes and the terminal stays quiet.
func TestWindowWithNoCamera(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(*window, ...string) (*peer, string)
	}{
		{"starts a call", (*window).startCall},
		{"joins a call", (*window).joinCall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := startWindow(t)
			p, picture := tc.call(w, "--seconds", "60")
			w.showsPictures(noCamera)
			w.hangUp(p)
			sawCameraOff(t, picture)
			w.quiet()
		})
	}
}

// The test pattern sent from the window (--source pattern, for
// demonstrations): the peer's pattern fills the window, ours is mirrored in
// the self-view, as a mirror shows a person.
func TestWindowSelfViewIsMirrored(t *testing.T) {
	w := startWindow(t, "--source", "pattern")
	p, _ := w.startCall("--seconds", "60")
	pat := referencePattern(640, 480)
	w.showsPictures(onScreen{remote: pat, self: pat, notSelf: pat, notMirrored: true})
	w.hangUp(p)
}

// The window's call is lost — the link to the other computer dead for
// longer than a call waits — and the window offers to reconnect (Ctrl+R).
// As the inviting side it makes a new invite (copied with Ctrl+Shift+C)
// and takes the reply pasted with Ctrl+V; as the joining side it takes the
// new invite pasted and gives a reply. The call resumes on the same
// screen and the pictures come back.
func TestWindowReconnectsALostCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(*window, ...string) (*peer, string)
		swap func(w *window, p *peer)
	}{
		// The window gives the call up about when the peer does, a little
		// later or sooner: Ctrl+R is pressed again until it answers.
		{"having started it", (*window).startCall, func(w *window, p *peer) {
			p.paste(w.copyCodeAfter("the new invite", p.code, func() { w.key("ctrl+r") }))
			w.setClipboard(p.nextCode(20 * time.Second))
			w.key("ctrl+v")
		}},
		{"having joined it", (*window).joinCall, func(w *window, p *peer) {
			invite := p.nextCode(20 * time.Second)
			p.paste(w.copyCodeAfter("the new reply", invite, func() {
				w.key("ctrl+r")
				w.setClipboard(invite)
				w.key("ctrl+v")
			}))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := startWindow(t)
			w.peerNS = newNamespace(t, "win-peer")
			mustRun(t, "ip", "-n", w.ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", w.peerNS)
			mustRun(t, "ip", "-n", w.ns, "addr", "add", "198.51.100.2/24", "dev", "eth0")
			mustRun(t, "ip", "-n", w.peerNS, "addr", "add", "198.51.100.3/24", "dev", "eth0")
			for _, ns := range []string{w.ns, w.peerNS} {
				mustRun(t, "ip", "-n", ns, "link", "set", "eth0", "up")
			}
			p, _ := tc.call(w, "--seconds", "120", "--interface", "eth0")
			w.showsPictures(noCamera)

			mustRun(t, "ip", "-n", w.peerNS, "link", "set", "eth0", "down")
			cut := time.Now()
			p.waitStats(30*time.Second, "the call given up as lost", func(l statsLine) bool { return l.At.After(cut) && l.State == "lost" })
			mustRun(t, "ip", "-n", w.peerNS, "link", "set", "eth0", "up")
			// The window gives it up as well (it waits as long); then a
			// person asks for new codes.
			tc.swap(w, p)
			resumed := time.Now()
			p.waitDecodingSince(resumed, 30*time.Second, 3)
			w.showsPictures(noCamera)
			w.hangUp(p)
			w.quiet()
		})
	}
}

// windowCall is the window in a call it started with a headless peer, for
// the benchmarks.
type windowCall struct {
	*window
	peer *peer
}

// startDisplay starts an X server of its own in the namespace ns, with a
// fresh home, and returns the environment of programs shown on it and a
// command maker that runs them there; the server stops with the test.
func startDisplay(t testing.TB, ns string) (env []string, inNS func(name string, args ...string) *exec.Cmd) {
	t.Helper()
	home := t.TempDir()
	// A display of its own: a server killed before it removed its lock
	// file would keep the next one off the same number.
	display := fmt.Sprintf(":%d", 100+(os.Getpid()%100)*10+int(displaySerial.Add(1)%10))
	env = []string{"DISPLAY=" + display, "LANG=C.UTF-8", "LC_ALL=", "LANGUAGE=", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	full := append(os.Environ(), env...)
	inNS = func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
		cmd.Env = full
		return cmd
	}
	// -noreset: a server resets when its last client leaves, and a window
	// opening during that reset finds no display.
	xvfb := inNS("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	if err := xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Asked to end, the server removes its lock file.
		xvfb.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { xvfb.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			xvfb.Process.Kill()
			<-done
		}
	})
	waitUntil(t, "Xvfb", 10*time.Second, func() bool { return toolRun(inNS("xdotool", "getdisplaygeometry")) == nil })
	return env, inNS
}

// startWindowCall opens the app with appArgs and starts a call with a
// headless peer (with peerArgs).
func startWindowCall(t testing.TB, appArgs, peerArgs []string) *windowCall {
	t.Helper()
	w := startWindow(t, appArgs...)
	p, _ := w.startCall(peerArgs...)
	return &windowCall{window: w, peer: p}
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

// reference is a picture as it is sent, in RGBA, and the band of rows
// (as parts of the height) where nothing in it moves.
type reference struct {
	img         *image.RGBA
	top, bottom float64
}

// referencePattern is the test pattern as it is sent: its colour bars, a
// fifth to a half of the height down, never move.
func referencePattern(w, h int) reference {
	return reference{img: toRGBA(pattern.NewGenerator(w, h).Next(time.Now())), top: 0.22, bottom: 0.48}
}

// referenceCameraOff is the camera-off picture as it is sent: still.
func referenceCameraOff(w, h int) reference {
	return reference{img: toRGBA(media.OffPicture(w, h)), top: 0.1, bottom: 0.9}
}

func toRGBA(img *image.YCbCr) *image.RGBA {
	var c yuv.Converter
	return c.Convert(img, img.Rect.Dx(), img.Rect.Dy(), false)
}

// pictureMatch samples the still band of the reference inside rect of the
// screenshot and returns the share of samples within a tolerance of it.
func pictureMatch(shot image.Image, rect image.Rectangle, r reference, mirrored bool) float64 {
	if !rect.In(shot.Bounds()) || rect.Dx() < 40 || rect.Dy() < 40 {
		return 0
	}
	ref := r.img
	rb := ref.Bounds()
	match, total := 0, 0
	for fy := r.top; fy < r.bottom; fy += 0.04 {
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

// The call screen as a person meets it, with the window's real pixels: a
// reply pasted inside a chat line connects; Ctrl+D turns the microphone
// button amber and puts "You are muted" on the self-view; left alone the
// controls fade (the badge stays) and come back when the pointer moves;
// after the hang-up, Call again (Space, as a click) starts a new invite
// that connects again.
func TestWindowMuteFadeAndCallAgain(t *testing.T) {
	w := startWindow(t)
	w.key("ctrl+n")
	inviteCode := w.copyCode("the invite", "")
	p, _ := w.peer("join", "--seconds", "90", inviteCode)
	w.setClipboard("[10:42] Sam: here is my reply " + p.code + " (edited) — talk soon!")
	w.key("ctrl+v")
	w.showsPictures(noCamera)

	g := w.geometry()
	// The mute button, first of the controls centred at the bottom (eleven
	// 36-point buttons, 4 apart, on a panel padded by 4, 12 from the edge),
	// sampled on its fill left of the icon.
	muteAt := image.Pt(g.Min.X+(g.Dx()-444)/2+4+5, g.Max.Y-12-44+4+18)
	// The self-view's badge, on its bottom edge left of the middle.
	sw := min(max(160, g.Dx()/5), 320)
	badgeAt := image.Pt(g.Max.X-12-sw/2-40, g.Max.Y-12-4-14)
	pixel := func(shot image.Image, at image.Point) color.RGBA {
		return color.RGBAModel.Convert(shot.At(at.X, at.Y)).(color.RGBA)
	}
	amber := func(c color.RGBA) bool { return c.R > 180 && c.G > 120 && c.B < 100 }
	red := func(c color.RGBA) bool { return c.R > 140 && c.G < 90 && c.B < 90 }
	var shot image.Image
	look := func(what string, within time.Duration, ok func(image.Image) bool) {
		t.Helper()
		waitUntil(t, what, within, func() bool {
			shot = w.screenshot()
			return shot != nil && ok(shot)
		})
	}
	before := w.screenshot()
	w.key("ctrl+d")
	look("the mute button amber and “You are muted” on the self-view", 5*time.Second, func(s image.Image) bool {
		return amber(pixel(s, muteAt)) && red(pixel(s, badgeAt))
	})
	if before != nil && amber(pixel(before, muteAt)) {
		t.Errorf("the mute button was amber before Ctrl+D: %v", pixel(before, muteAt))
	}
	// Left alone (the safety code's first 20 s included), the controls
	// fade; the badge stays.
	look("the controls to fade", 40*time.Second, func(s image.Image) bool {
		return !amber(pixel(s, muteAt)) && red(pixel(s, badgeAt))
	})
	// The pointer moving over the picture brings them back.
	cx, cy := g.Min.X+g.Dx()/2, g.Min.Y+g.Dy()/2
	w.run("xdotool", "mousemove", fmt.Sprint(cx), fmt.Sprint(cy))
	w.run("xdotool", "mousemove", fmt.Sprint(cx+30), fmt.Sprint(cy+20))
	look("the controls back after the pointer moved", 5*time.Second, func(s image.Image) bool { return amber(pixel(s, muteAt)) })

	w.hangUp(p)
	// Home, with Call again: Space starts a new invite, which connects.
	w.key("space")
	again := w.copyCode("the new invite after Call again", inviteCode)
	p2, _ := w.peer("join", "--seconds", "60", again)
	w.setClipboard(p2.code)
	w.key("ctrl+v")
	w.showsPictures(noCamera)
	w.hangUp(p2)
	w.quiet()
}
