package e2e

import (
	"archive/zip"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// Peercall for Windows (make windows) under Wine: the shipped .exe from the
// zip opens its window and prints its help, and a build for the test — the
// same sources with one Wine-only workaround, below — runs the window's
// flows and calls the Linux peercall.
//
// make test builds the zip first and names it in PEERCALL_WINDOWS_ZIP; the
// tests fail when it is named but missing, and are skipped when it is not
// named (a go test run by hand without make windows).
//
// What Wine 8.0 lacks, and how the test makes up for it, never in the
// shipped .exe:
//   - ProcessPrng in bcryptprimitives.dll, which every Go 1.22+ program
//     calls at start: the test compiles a one-function DLL providing it
//     (over RtlGenRandom) with mingw into the test's own Wine prefix
//     (winePrngDLL).
//   - The SIO_UDP_NETRESET socket option, which Go sets on every UDP
//     socket and Wine refuses (WSAEOPNOTSUPP, 10045), so that no ICE
//     socket opens: the test's build of Peercall.exe (wineTestExe) takes
//     Go's net/fd_windows.go through go build's -overlay with that one
//     refusal ignored.

// wineZip is the zip make windows built, or the test is skipped.
func wineZip(t testing.TB) string {
	t.Helper()
	zipPath := os.Getenv("PEERCALL_WINDOWS_ZIP")
	if zipPath == "" {
		t.Skip("needs PEERCALL_WINDOWS_ZIP, the zip make windows builds (make test sets it)")
	}
	if _, err := os.Stat(zipPath); err != nil {
		t.Fatalf("PEERCALL_WINDOWS_ZIP: %v (make windows builds it)", err)
	}
	return zipPath
}

// wineLoader is Wine's 64-bit loader.
func wineLoader(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/lib/wine/wine64", "wine64"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("needs wine64 (make test installs it)")
	return ""
}

// shippedExe unpacks Peercall.exe from the zip into a directory of the test.
func shippedExe(t testing.TB) string {
	t.Helper()
	r, err := zip.OpenReader(wineZip(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(t.TempDir(), "Peercall.exe")
	for _, f := range r.File {
		if f.Name != "Peercall/Peercall.exe" {
			continue
		}
		in, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		dst, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, in); err != nil {
			t.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatal("the zip holds no Peercall/Peercall.exe")
	return ""
}

var wineTest struct {
	once sync.Once
	exe  string
	err  error
}

// wineTestExe is Peercall.exe built for the Wine tests: the release build
// of scripts/windows.sh with Go's net/fd_windows.go replaced by a copy
// that lets Wine refuse SIO_UDP_NETRESET. It is built once a run, into
// bin/windows/winetest (the Windows build's cache makes it quick after
// make windows).
func wineTestExe(t testing.TB) string {
	t.Helper()
	wineZip(t)
	wineTest.once.Do(func() {
		root, err := filepath.Abs("..")
		if err != nil {
			wineTest.err = err
			return
		}
		dir := filepath.Join(root, "bin", "windows", "winetest")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			wineTest.err = err
			return
		}
		goroot, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			wineTest.err = fmt.Errorf("go env GOROOT: %v", err)
			return
		}
		orig := filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "fd_windows.go")
		src, err := os.ReadFile(orig)
		if err != nil {
			wineTest.err = err
			return
		}
		// The one check this build relaxes: Wine's WSAEOPNOTSUPP for
		// SIO_UDP_NETRESET. The option only stops Windows reporting
		// unreachable networks on a UDP socket.
		const check = "err = syscall.WSAIoctl(fd.pfd.Sysfd, windows.SIO_UDP_NETRESET, (*byte)(unsafe.Pointer(&flag)), size, nil, 0, &ret, nil, 0)\n\t\tif err != nil {"
		if strings.Count(string(src), check) != 1 {
			wineTest.err = fmt.Errorf("%s has changed: the SIO_UDP_NETRESET check the Wine build relaxes is not there once", orig)
			return
		}
		patched := strings.Replace(string(src), check, strings.TrimSuffix(check, "err != nil {")+
			"err != nil && err != syscall.Errno(10045) { // winetest: Wine 8.0 refuses SIO_UDP_NETRESET", 1)
		wineDir := filepath.Join(dir, "net")
		if err := os.MkdirAll(wineDir, 0o755); err != nil {
			wineTest.err = err
			return
		}
		file := filepath.Join(wineDir, "fd_windows.go")
		if err := os.WriteFile(file, []byte(patched), 0o644); err != nil {
			wineTest.err = err
			return
		}
		exe := filepath.Join(dir, "Peercall.exe")
		build := exec.Command(filepath.Join(root, "scripts", "windows.sh"), "exe", exe)
		build.Env = append(os.Environ(), fmt.Sprintf("OVERLAY_REPLACE=%q:%q", orig, file))
		out, err := build.CombinedOutput()
		if err != nil {
			wineTest.err = fmt.Errorf("building the Wine test's Peercall.exe: %v\n%s", err, out)
			return
		}
		wineTest.exe = exe
	})
	if wineTest.err != nil {
		t.Fatal(wineTest.err)
	}
	return wineTest.exe
}

// winePrngDLL is the source of the test prefix's bcryptprimitives.dll:
// ProcessPrng, which Wine 8.0 lacks, over RtlGenRandom.
const winePrngDLL = `#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}
`

// winePrefix makes a fresh Wine prefix (a Windows installation as a
// person's new computer has it) run by wrap, a command maker such as a
// window's inNS, and returns its environment and a command maker that runs
// Windows programs in it. The prefix's wineserver is stopped when the test
// ends.
func winePrefix(t testing.TB, wrap func(name string, args ...string) *exec.Cmd) (env []string, run func(exe string, args ...string) *exec.Cmd) {
	t.Helper()
	loader := wineLoader(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "prefix")
	env = []string{
		"WINEPREFIX=" + prefix, "WINEARCH=win64", "WINEDEBUG=-all",
		// The test's ProcessPrng first; no Mono or Gecko installer at
		// the first start.
		"WINEDLLOVERRIDES=bcryptprimitives=n,b;mscoree,mshtml=",
	}
	cmd := func(name string, args ...string) *exec.Cmd {
		c := wrap(name, args...)
		if c.Env == nil {
			c.Env = os.Environ()
		}
		c.Env = append(c.Env, env...)
		return c
	}
	server := filepath.Join(filepath.Dir(loader), "wineserver")
	if _, err := os.Stat(server); err != nil {
		server = "wineserver"
	}
	t.Cleanup(func() { runBounded(cmd(server, "--kill"), 30*time.Second) })
	// Wine's first start in a new prefix has failed at once, once in many
	// CI runs, with "could not load kernel32.dll" (and never here in 15
	// tries): that is Wine's setting up, not Peercall, so a failed start
	// is tried again in a prefix made anew, with Wine's errors shown.
	for try := 1; ; try++ {
		boot := cmd(loader, "wineboot", "--init")
		if try > 1 {
			boot.Env = append(boot.Env, "WINEDEBUG=err+all") // the last value counts
		}
		out, err := runBounded(boot, 3*time.Minute)
		if err == nil {
			break
		}
		if try == 3 {
			t.Fatalf("wineboot, %d tries: %v\n%s", try, err, out)
		}
		t.Logf("wineboot, try %d: %v\n%s", try, err, out)
		runBounded(cmd(server, "--kill"), 30*time.Second)
		if err := os.RemoveAll(prefix); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, "prng.c")
	if err := os.WriteFile(src, []byte(winePrngDLL), 0o644); err != nil {
		t.Fatal(err)
	}
	dll := filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll, src, "-ladvapi32").CombinedOutput(); err != nil {
		t.Fatalf("building the test's bcryptprimitives.dll: %v\n%s", err, out)
	}
	return env, func(exe string, args ...string) *exec.Cmd {
		return cmd(loader, append([]string{exe}, args...)...)
	}
}

// runBounded runs cmd to its end, killing it after d.
func runBounded(cmd *exec.Cmd, d time.Duration) ([]byte, error) {
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return []byte(out.String()), err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return []byte(out.String()), fmt.Errorf("not done within %v", d)
	}
}

// startWineWindow opens exe's window under Wine, in a namespace of its own
// holding only lo and on a display of its own, as startWindow opens the
// Linux app: fresh settings (a new prefix), no flags.
func startWineWindow(t *testing.T, exe string) *window {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("runs Wine on Linux")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "xclip", "import", "x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make test installs it)", tool)
		}
	}
	w := &window{t: t, ns: newNamespace(t, "wine"), appErr: &syncBuffer{}}
	w.env, w.inNS = startDisplay(t, w.ns)
	_, run := winePrefix(t, w.inNS)
	w.app = run(exe)
	w.app.Stderr = w.appErr
	if err := w.app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { w.app.Wait(); close(exited) }()
	t.Cleanup(func() {
		w.app.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("app stderr:\n%s", w.appErr.String())
		}
	})
	// Wine takes a while to open a first window in a new prefix.
	waitUntil(t, "the window", 60*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("Peercall.exe exited before its window opened: %v", w.app.ProcessState)
		default:
		}
		w.win = w.run("xdotool", "search", "--name", "^Peercall$")
		return w.win != ""
	})
	w.win = strings.Fields(w.win)[0]
	w.run("xdotool", "windowfocus", "--sync", w.win)
	return w
}

// lit waits until the window's part of the screen shows a drawn window —
// several distinct colours, most of it neither black nor one flat colour —
// and returns the screenshot.
func (w *window) lit() image.Image {
	w.t.Helper()
	var shot image.Image
	var colours, dark int
	ok := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		g := w.geometry()
		if shot = w.screenshot(); shot == nil || g.Empty() {
			continue
		}
		seen := map[[3]uint32]bool{}
		dark, colours = 0, 0
		n := 0
		for y := g.Min.Y; y < g.Max.Y; y += 4 {
			for x := g.Min.X; x < g.Max.X; x += 4 {
				r, gg, b, _ := shot.At(x, y).RGBA()
				seen[[3]uint32{r >> 12, gg >> 12, b >> 12}] = true
				if r+gg+b < 3*0x1000 {
					dark++
				}
				n++
			}
		}
		colours = len(seen)
		if n > 0 && colours >= 8 && dark < n/2 {
			ok = true
			break
		}
	}
	if !ok {
		w.t.Fatalf("the window is not drawn: %d colours, %d dark samples", colours, dark)
	}
	return shot
}

// redPixels counts the clearly red pixels in the window: Fyne's error
// colour, in which a field's problem is written.
func redPixels(shot image.Image, g image.Rectangle) int {
	n := 0
	for y := g.Min.Y; y < g.Max.Y; y++ {
		for x := g.Min.X; x < g.Max.X; x++ {
			r, gg, b, _ := shot.At(x, y).RGBA()
			if r > 0xa000 && gg < 0x7000 && b < 0x7000 {
				n++
			}
		}
	}
	return n
}

// The shipped Peercall.exe, from the zip make windows builds, opens its
// window under Wine — drawn, in its pixels — and, a GUI-subsystem program,
// still prints its usage for --help on the output it was given.
func TestWineShippedExe(t *testing.T) {
	exe := shippedExe(t)
	t.Run("carries its icon and version", func(t *testing.T) {
		types, text := exeResources(t, exe)
		for id, what := range map[uint32]string{3: "icon", 14: "icon group", 16: "version"} {
			if !types[id] {
				t.Errorf("Peercall.exe has no %s resource", what)
			}
		}
		toml, err := os.ReadFile("../FyneApp.toml")
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^Version *= *"([^"]+)"`).FindSubmatch(toml)
		if m == nil {
			t.Fatal("FyneApp.toml has no Version")
		}
		if want := "ProductVersion\x00" + string(m[1]); !strings.Contains(text, want) {
			t.Errorf("Peercall.exe's version resource lacks %q", want)
		}
	})
	t.Run("opens its window", func(t *testing.T) {
		w := startWineWindow(t, exe)
		w.lit()
		w.quiet()
	})
	t.Run("prints its help", func(t *testing.T) {
		env, run := winePrefix(t, exec.Command)
		out, err := runBounded(run(exe, "--help"), time.Minute)
		if err != nil {
			t.Fatalf("Peercall.exe --help: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "peercall invite [flags]") {
			t.Errorf("Peercall.exe --help printed %q", out)
		}
		// In a Command Prompt: cmd.exe in a console (script's terminal)
		// starts the GUI-subsystem program. Windows gives such a program
		// no console, hence attachConsole in main; Wine 8.0 hands it
		// cmd's anyway, so this checks what a person sees, not the attach.
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("needs script (util-linux) for a console")
		}
		// Wine's Z: drive is the Unix root.
		winExe := "Z:" + strings.ReplaceAll(exe, "/", `\`)
		console := exec.Command("script", "-qec", wineLoader(t)+" cmd /c '"+winExe+"' --help", "/dev/null")
		console.Env = append(os.Environ(), env...)
		out, err = runBounded(console, time.Minute)
		if err != nil {
			t.Fatalf("cmd /c Peercall.exe --help in a console: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "peercall invite [flags]") {
			t.Errorf("cmd /c Peercall.exe --help in a console printed %q", out)
		}
	})
}

// The window's flows under Wine, with the test's build: it starts a call
// with a Linux peer, and joins one; the screenshot shows the peer's picture
// filling the window and the camera-off picture in the self-view (no
// camera under Wine); the peer receives the camera-off picture; the
// hang-up ends the call on both sides. A bad paste into the join field is
// refused in red words and starts nothing; the invite pasted over it then
// joins the call.
func TestWineWindow(t *testing.T) {
	exe := wineTestExe(t)
	for _, tc := range []struct {
		name string
		call func(*window, ...string) (*peer, string)
	}{
		{"starts a call", (*window).startCall},
		{"joins a call", (*window).joinCall},
		{"joins after a bad paste", func(w *window, args ...string) (*peer, string) {
			w.key("ctrl+j")
			before := redPixels(w.lit(), w.geometry())
			w.setClipboard("hello, here is the code!")
			w.key("ctrl+v")
			var red int
			waitUntil(w.t, "the bad paste refused in red", 30*time.Second, func() bool {
				if shot := w.screenshot(); shot != nil {
					red = redPixels(shot, w.geometry())
				}
				return red > before+50
			})
			w.t.Logf("red pixels: %d before the bad paste, %d after", before, red)
			if code := w.run("xclip", "-o", "-selection", "clipboard"); strings.HasPrefix(code, "PC") {
				w.t.Fatalf("the clipboard holds a code after a bad paste: %q", code)
			}
			p, picture := w.peer("invite", args...)
			w.key("ctrl+a")
			w.setClipboard(p.code)
			w.key("ctrl+v")
			p.paste(w.copyCode("the reply", p.code))
			return p, picture
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := startWineWindow(t, exe)
			p, picture := tc.call(w, "--seconds", "90")
			w.showsPictures(noCamera)
			w.hangUp(p)
			sawCameraOff(t, picture)
			w.quiet()
		})
	}
}

// A call between Peercall.exe invite under Wine and the Linux peercall
// join, in a namespace holding only lo: both sides decode the other's
// pictures at their full size and the other's audio (its tone's timing
// marks measured), and both end by themselves when the call's time is up.
func TestWineCallWithLinux(t *testing.T) {
	exe := wineTestExe(t)
	ns := newNamespace(t, "winecall")
	wrap := func(name string, args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	}
	wineEnv, _ := winePrefix(t, wrap)
	const seconds = 15
	flags := []string{"--source", "pattern", "--size", "640x480", "--fps", "30", "--stun", "none", "--seconds", fmt.Sprint(seconds)}
	inviter := startPeer(t, peerOptions{name: "inviter", bin: exe, prefix: append(nsExec(ns), wineLoader(t)), env: wineEnv}, "invite", flags...)
	joiner := startPeer(t, peerOptions{name: "joiner", prefix: nsExec(ns)}, "join", append(append(flags, "--interface", "lo"), inviter.code)...)
	inviter.paste(joiner.code)
	limit := time.Duration(seconds)*time.Second + 90*time.Second
	for _, p := range []*peer{inviter, joiner} {
		if err := p.wait(limit); errors.Is(err, errStillRunning) {
			t.Errorf("%s did not end when the call's time was up", p.name)
		} else if err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
		limit = 20 * time.Second
	}
	for _, p := range []*peer{inviter, joiner} {
		s := p.final()
		t.Logf("%s: %+v", p.name, s.Stats)
		if s.Width != 640 || s.Height != 480 {
			t.Errorf("%s decoded %dx%d, want 640x480", p.name, s.Width, s.Height)
		}
		if min := uint64(10 * seconds); s.FramesDecoded < min {
			t.Errorf("%s decoded %d frames in %d s, want at least %d", p.name, s.FramesDecoded, seconds, min)
		}
		if s.AudioPacketsReceived < uint64(10*seconds) {
			t.Errorf("%s received %d audio packets in %d s", p.name, s.AudioPacketsReceived, seconds)
		}
		if s.AudioLatencyMs <= 0 {
			t.Errorf("%s: the other side's tone was not decoded (no mouth-to-ear latency measured)", p.name)
		}
	}
}

// The tests of the packages whose code is Windows' own, built for Windows
// and run under Wine: the camera names DirectShow gives (no camera there,
// but the enumeration runs) and the sound system through WASAPI (Wine's,
// over make test's PulseAudio server).
func TestWinePackageTests(t *testing.T) {
	wineZip(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	_, run := winePrefix(t, exec.Command)
	for _, tc := range []struct{ pkg, run string }{
		{"peercall/media/dshow", "."},
		// The rest of its tests start PulseAudio servers of their own.
		{"peercall/media/sound", "^TestWindowsSoundSystem$"},
	} {
		pkg := tc.pkg
		t.Run(pkg, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), filepath.Base(pkg)+".test.exe")
			if out, err := exec.Command(filepath.Join(root, "scripts", "windows.sh"), "test", pkg, exe).CombinedOutput(); err != nil {
				t.Fatalf("building %s's tests for Windows: %v\n%s", pkg, err, out)
			}
			out, err := runBounded(run(exe, "-test.v", "-test.count=1", "-test.run", tc.run), 2*time.Minute)
			t.Logf("%s", out)
			if err != nil || !strings.Contains(string(out), "\nPASS") {
				t.Errorf("%s's tests under Wine: %v", pkg, err)
			}
		})
	}
}

// exeResources reads the types of a Windows program's resources (the
// top level of its .rsrc directory) and the section's UTF-16 text.
func exeResources(t *testing.T, exe string) (types map[uint32]bool, text string) {
	t.Helper()
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".rsrc")
	if sec == nil {
		t.Fatal("Peercall.exe has no resources")
	}
	data, err := sec.Data()
	if err != nil || len(data) < 16 {
		t.Fatalf("reading its resources: %v", err)
	}
	named, ids := int(binary.LittleEndian.Uint16(data[12:])), int(binary.LittleEndian.Uint16(data[14:]))
	types = map[uint32]bool{}
	for i := named; i < named+ids && 16+8*i+8 <= len(data); i++ {
		types[binary.LittleEndian.Uint32(data[16+8*i:])] = true
	}
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(data[2*i:])
	}
	return types, string(utf16.Decode(u))
}
