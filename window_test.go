package main

import (
	"bytes"
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

// The real app in a real window under Xvfb, driven as a person would: keys
// with xdotool, the clipboard with xclip. It starts a call, hands the
// invite to a headless peer, pastes the reply, and checks on a screenshot's
// pixels that the peer's picture fills the window and the local picture is
// in the self-view. Everything runs in a network namespace holding only lo.
func TestWindowCallUnderXvfb(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool", "xclip", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make test installs it)", tool)
		}
	}
	ns := loopbackNamespace(t, "win")
	home := t.TempDir()
	display := fmt.Sprintf(":%d", 50+os.Getpid()%40)
	env := append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	inNS := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
		cmd.Env = env
		return cmd
	}
	run := func(name string, args ...string) string {
		out, _ := inNS(name, args...).Output()
		return strings.TrimSpace(string(out))
	}

	xvfb := inNS("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { xvfb.Process.Kill(); xvfb.Wait() }()
	waitUntil(t, "Xvfb", 10*time.Second, func() bool { return inNS("xdotool", "getdisplaygeometry").Run() == nil })

	var appErr bytes.Buffer
	app := inNS(peercallBin, "--source", "pattern")
	app.Stderr = &appErr
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { app.Process.Kill(); app.Wait() }()
	var win string
	waitUntil(t, "the window", 20*time.Second, func() bool {
		win = run("xdotool", "search", "--name", "^Peercall$")
		return win != ""
	})
	win = strings.Fields(win)[0]
	run("xdotool", "windowfocus", "--sync", win)

	// Start a call and copy the invite, as a person would.
	run("xdotool", "key", "--window", win, "ctrl+n")
	var inviteCode string
	waitUntil(t, "the invite on the clipboard", 20*time.Second, func() bool {
		run("xdotool", "key", "--window", win, "ctrl+shift+c")
		inviteCode = run("xclip", "-o", "-selection", "clipboard")
		return strings.HasPrefix(inviteCode, "PC")
	})

	// The other side: a headless peer sending its test pattern.
	var peerErr bytes.Buffer
	peer := inNS(peercallBin, "join", "--source", "pattern", "--stun", "none", "--seconds", "60", inviteCode)
	peer.Stderr = &peerErr
	out, err := peer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { peer.Process.Kill(); peer.Wait() }()
	reply := readCode(t, out, "reply")

	// Paste the reply into the focused field: the call starts by itself.
	paste := inNS("xclip", "-i", "-selection", "clipboard")
	paste.Stdin = strings.NewReader(reply)
	if err := paste.Run(); err != nil {
		t.Fatal(err)
	}
	run("xdotool", "key", "--window", win, "ctrl+v")

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
	done := make(chan error, 1)
	go func() { done <- peer.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the peer ended with %v after the hang-up:\n%s", err, peerErr.String())
		}
		if !strings.Contains(peerErr.String(), "hung up") {
			t.Errorf("the peer did not hear of the hang-up:\n%s", peerErr.String())
		}
	case <-time.After(15 * time.Second):
		t.Error("the peer did not end after the hang-up")
	}
}

func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
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
