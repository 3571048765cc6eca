package e2e

import (
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"peercall/media/mediatest"
	"peercall/media/yuv"
)

// One headless side shares a 1920×1080 Xvfb screen showing a page of
// 12-point text beside its test pattern; the other gets both: the screen
// readable (PSNR against the page, at the size received, of at least
// 30 dB) and the camera's picture in its own shape, flowing all along.
func TestHeadlessShareScreen(t *testing.T) {
	display := mediatest.StartXvfb(t, 1920, 1080)
	page := mediatest.TextPage(1920, 1080, 2)
	if err := mediatest.PaintRoot(display, page); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	screenPNG, cameraPNG := filepath.Join(dir, "screen.png"), filepath.Join(dir, "camera.png")
	const seconds = 8
	_, joiner := twoProcessCall(t, callOptions{
		seconds:      seconds,
		env:          []string{"DISPLAY=" + display},
		inviterFlags: []string{"--share-screen"},
		joinerFlags:  []string{"--screen-picture", screenPNG, "--last-picture", cameraPNG},
	})
	cam := readPNG(t, cameraPNG)
	// The camera's share of the link may send it smaller, never in the
	// screen's shape.
	if cw, ch := cam.Bounds().Dx(), cam.Bounds().Dy(); cw*3 != ch*4 || cw < 320 {
		t.Errorf("the camera's last picture is %d×%d, want the 4:3 test pattern: the screen took its place", cw, ch)
	}
	// The last line during the call: the summary follows the last track.
	lines := joiner.statsLines()
	if len(lines) < 2 {
		t.Fatalf("%d statistics lines", len(lines))
	}
	if s := lines[len(lines)-2]; s.FramesDecoded < 20*seconds {
		t.Errorf("the camera: %d pictures decoded in %d s, want at least %d", s.FramesDecoded, seconds, 20*seconds)
	}
	scr := readPNG(t, screenPNG)
	w, h := scr.Bounds().Dx(), scr.Bounds().Dy()
	if w*1080 != h*1920 {
		t.Errorf("the screen arrived at %d×%d, not in the screen's shape", w, h)
	}
	want := image.NewYCbCr(page.Rect, image.YCbCrSubsampleRatio420)
	if err := yuv.FromRGB(want, page.Pix, page.Stride, 1920, 1080, yuv.RGBX); err != nil {
		t.Fatal(err)
	}
	if w != 1920 || h != 1080 {
		var sc yuv.Scaler
		var err error
		if want, err = sc.Scale(want, w, h); err != nil {
			t.Fatal(err)
		}
	}
	p := rgbPSNR(scr, want)
	t.Logf("screen received at %d×%d: %.1f dB against the page", w, h, p)
	if p < 30 {
		t.Errorf("the shared page arrived at %.1f dB, want at least 30 (readable)", p)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// rgbPSNR compares two pictures of one size in RGB.
func rgbPSNR(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	var se float64
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	if se == 0 {
		return 99
	}
	return 10 * math.Log10(255*255*3*float64(ab.Dx()*ab.Dy())/se)
}

// A browser page that joins a Peercall sharing its screen tells the
// screen from the camera by the stream id PROTOCOL.md names, and decodes
// both.
func TestBrowserTellsTheScreenFromTheCamera(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("needs Debian's chromium on PATH (apt-get install chromium)")
	}
	pageJS, err := browserScript("peer.js")
	if err != nil {
		t.Fatal(err)
	}
	display := mediatest.StartXvfb(t, 1280, 720)
	if err := mediatest.PaintRoot(display, mediatest.TextPage(1280, 720, 4)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(browserTestBudget)
	ns := newNamespace(t, "screen")
	b := startChromium(t, ns, deadline)
	defer func() {
		if t.Failed() {
			t.Logf("chromium stderr (last 8 KiB):\n%s", b.stderrTail(8<<10))
		}
	}()
	page := b.newPage(t, pageJS)
	defer page.logReportOnFailure(t)

	inv := startPeer(t, peerOptions{name: "peercall invite", prefix: nsExec(ns), env: []string{"DISPLAY=" + display}},
		"invite", append(browserPeerFlags(), "--share-screen")...)
	answer := page.evalString(t, "peercall.join("+jsString(codeDecode(t, inv.code))+")", 15*time.Second)
	inv.paste(codeEncode(t, answer, inv.code))
	waitCallEnd(t, b, inv)

	var r struct {
		RemoteTracks []struct{ Kind, Stream, Mid string } `json:"remoteTracks"`
		InboundByMid map[string]struct {
			FramesDecoded uint64 `json:"framesDecoded"`
			FrameWidth    int    `json:"frameWidth"`
			FrameHeight   int    `json:"frameHeight"`
		} `json:"inboundByMid"`
	}
	if err := json.Unmarshal([]byte(page.evalString(t, "peercall.report()", 10*time.Second)), &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("tracks the page got: %+v", r.RemoteTracks)
	screens, cameras := 0, 0
	for _, tr := range r.RemoteTracks {
		if tr.Kind != "video" {
			continue
		}
		in := r.InboundByMid[tr.Mid]
		t.Logf("stream %q (mid %s): %d frames decoded at %dx%d", tr.Stream, tr.Mid, in.FramesDecoded, in.FrameWidth, in.FrameHeight)
		if tr.Stream == "screen" {
			screens++
			if in.FramesDecoded < 10 || in.FrameWidth*9 != in.FrameHeight*16 {
				t.Errorf("the screen: %d frames at %dx%d, want them flowing in the screen's 16:9", in.FramesDecoded, in.FrameWidth, in.FrameHeight)
			}
		} else {
			cameras++
			if in.FramesDecoded < 30 || in.FrameWidth*3 != in.FrameHeight*4 {
				t.Errorf("the camera: %d frames at %dx%d, want them flowing in the pattern's 4:3", in.FramesDecoded, in.FrameWidth, in.FrameHeight)
			}
		}
	}
	if screens != 1 || cameras != 1 {
		t.Errorf("the page saw %d screens and %d cameras, want one of each", screens, cameras)
	}
}

// The window shares its screen with Ctrl+S mid-call: the peer gets the
// window's 1280×800 display beside the window's picture, and the sharing
// stops with Ctrl+S again while the call goes on.
func TestWindowSharesItsScreen(t *testing.T) {
	w := startWindow(t, "--source", "pattern")
	screenPNG := filepath.Join(t.TempDir(), "screen.png")
	p, _ := w.startCall("--seconds", "60", "--screen-picture", screenPNG)
	p.waitStats(30*time.Second, "the window's picture", func(l statsLine) bool {
		return l.FramesDecoded >= 10 && l.State == "connected"
	})
	videoTracks := func() int { return strings.Count(p.stderr.String(), `msg="remote track" kind=video`) }
	w.key("ctrl+s")
	waitUntil(t, "the screen at the peer", 20*time.Second, func() bool { return videoTracks() == 2 })
	// Stopped and started again: a third video track arrives.
	w.key("ctrl+s")
	w.key("ctrl+s")
	waitUntil(t, "the screen again at the peer", 20*time.Second, func() bool { return videoTracks() == 3 })
	// Pictures of the shared screen for a while; the check below is on
	// whatever last arrived, so a slow machine only sends fewer.
	time.Sleep(2 * time.Second)
	w.hangUp(p)
	w.quiet()

	scr := readPNG(t, screenPNG)
	sw, sh := scr.Bounds().Dx(), scr.Bounds().Dy()
	if sw*800 != sh*1280 {
		t.Errorf("the shared screen arrived at %d×%d, not in the display's 1280×800 shape", sw, sh)
	}
	// The display shows the window: not a black picture.
	var bright int
	for y := 0; y < sh; y += 4 {
		for x := 0; x < sw; x += 4 {
			if r, g, b, _ := scr.At(x, y).RGBA(); r+g+b > 3*0x2000 {
				bright++
			}
		}
	}
	if bright < (sw/4)*(sh/4)/20 {
		t.Errorf("the shared screen is dark: %d of %d samples lit", bright, (sw/4)*(sh/4))
	}
}

// A browser page shares a "screen" (a canvas of text) with Peercall by
// naming its media section's msid "screen screen" in the offer it sends, as
// PROTOCOL.md tells a page to: Peercall takes it for a screen and keeps the
// page's camera apart.
func TestBrowserSharesAScreen(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("needs Debian's chromium on PATH (apt-get install chromium)")
	}
	pageJS, err := browserScript("peer.js")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(browserTestBudget)
	ns := newNamespace(t, "screen")
	b := startChromium(t, ns, deadline)
	defer func() {
		if t.Failed() {
			t.Logf("chromium stderr (last 8 KiB):\n%s", b.stderrTail(8<<10))
		}
	}()
	page := b.newPage(t, pageJS)
	defer page.logReportOnFailure(t)

	dir := t.TempDir()
	screenPNG, cameraPNG := filepath.Join(dir, "screen.png"), filepath.Join(dir, "camera.png")
	inv := startPeer(t, peerOptions{name: "peercall invite", prefix: nsExec(ns)},
		"invite", append(browserPeerFlags(), "--screen-picture", screenPNG, "--last-picture", cameraPNG)...)
	answer := page.evalString(t, "peercall.join("+jsString(codeDecode(t, inv.code))+")", 15*time.Second)
	inv.paste(codeEncode(t, answer, inv.code))
	inv.waitStats(within(deadline, 20*time.Second), "the page's camera", func(l statsLine) bool {
		return l.FramesDecoded >= 10 && l.State == "connected"
	})
	page.eval(t, "peercall.shareScreen()", 10*time.Second)
	waitCallEnd(t, b, inv)

	scr := readPNG(t, screenPNG)
	if scr.Bounds().Dx()*9 != scr.Bounds().Dy()*16 {
		t.Errorf("the page's screen arrived at %v, not in its 640×360 shape", scr.Bounds().Size())
	}
	cam := readPNG(t, cameraPNG)
	if cam.Bounds().Dx()*3 != cam.Bounds().Dy()*4 {
		t.Errorf("the page's camera arrived at %v, not in its 4:3 shape: the screen took its place", cam.Bounds().Size())
	}
}

// A headless peer shares the screen the window is on: the window shows
// that screen over the whole call and the peer's camera (its test
// pattern) small, bottom left, away from the self-view.
func TestWindowShowsTheirScreenLarge(t *testing.T) {
	w := startWindow(t)
	p, _ := w.startCall("--seconds", "60", "--share-screen")
	p.waitStats(30*time.Second, "connected", func(l statsLine) bool { return l.State == "connected" })
	pat := referencePattern(640, 480)
	g := w.geometry()
	var small, large float64
	waitUntil(t, "their camera small and their screen large", 30*time.Second, func() bool {
		shot := w.screenshot()
		if shot == nil {
			return false
		}
		// Their camera: a fifth of the width (160 to 320), 4:3, at the
		// left edge, at the bottom or above the controls.
		cw := min(max(160, g.Dx()/5), 320)
		ch := cw * 3 / 4
		small = 0
		for bottom := g.Max.Y - 12; bottom > g.Max.Y-120; bottom -= 2 {
			r := image.Rect(g.Min.X+12, bottom-ch, g.Min.X+12+cw, bottom)
			small = max(small, pictureMatch(shot, r, pat, false))
		}
		// Where their camera filled the window before.
		rw, rh := yuv.Fit(640, 480, g.Dx(), g.Dy())
		r := image.Rect(g.Min.X+(g.Dx()-rw)/2, g.Min.Y+(g.Dy()-rh)/2, g.Min.X+(g.Dx()-rw)/2+rw, g.Min.Y+(g.Dy()-rh)/2+rh)
		large = pictureMatch(shot, r, pat, false)
		return small > 0.7 && large < 0.4
	})
	t.Logf("their camera in the small box: %.0f %%; over the window: %.0f %%", 100*small, 100*large)
	w.hangUp(p)
	w.quiet()
}
