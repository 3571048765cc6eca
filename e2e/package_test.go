package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPackage builds Peercall's packages as a user does, with make package
// and make install in this checkout, and checks what they promise: the
// checkout is left as it was, a second make install does nothing, the .deb
// names the packages of every library the binary links (libvpx, libopus,
// libyuv, libspeexdsp, …) and apt can install it with them on a system
// that has nothing installed, and the packaged binary opens its window.
func TestPackage(t *testing.T) {
	for _, tool := range []string{"make", "git", "dpkg", "dpkg-deb", "apt-get", "tar", "xz"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: Peercall's packages are built on Debian or Ubuntu", tool)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("needs a git checkout of Peercall to compare before and after packaging")
	}
	toml, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	version := tomlString(t, toml, "Version")
	appID := tomlString(t, toml, "ID")
	arch := strings.TrimSpace(runIn(t, root, "dpkg", "--print-architecture"))
	deb := filepath.Join(root, "bin", fmt.Sprintf("peercall_%s_%s.deb", version, arch))
	bundle := filepath.Join(root, "bin", "Peercall.tar.xz")
	dest := t.TempDir()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	userDir := filepath.Join(dest, home, ".local")

	before := checkoutState(t, root)
	start := time.Now()
	makeIn(t, root, "package")
	makeIn(t, root, "install", "DESTDIR="+dest)
	t.Logf("make package and make install: %v", time.Since(start).Round(time.Millisecond))
	if after := checkoutState(t, root); after != before {
		t.Errorf("make package changed the checkout:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The .deb: what it says and holds.
	fields := runIn(t, root, "dpkg-deb", "--field", deb, "Package", "Version", "Depends")
	t.Logf("%s:\n%s", filepath.Base(deb), fields)
	if !strings.Contains(fields, "Package: peercall\n") || !strings.Contains(fields, "Version: "+version+"\n") {
		t.Errorf("the .deb is not peercall %s (FyneApp.toml's version)", version)
	}
	depends := dependsNames(fields)
	for _, lib := range []string{"libvpx", "libopus", "libyuv", "libspeexdsp", "libgl1", "libc6"} {
		if !anyHasPrefix(depends, lib) {
			t.Errorf("the .deb's Depends names no %s package: %v", lib, depends)
		}
	}
	if !anyHasPrefix(depends, "libpulse") && !anyHasPrefix(depends, "libasound") {
		t.Errorf("the .deb's Depends names no sound library (PulseAudio or ALSA): %v", depends)
	}
	contents := runIn(t, root, "dpkg-deb", "--contents", deb)
	for _, f := range []string{"./usr/bin/peercall", "./usr/share/applications/" + appID + ".desktop", "/apps/" + appID + ".png"} {
		if !strings.Contains(contents, f) {
			t.Errorf("the .deb holds no %s:\n%s", f, contents)
		}
	}

	// Unpacked into a scratch root, as dpkg would install it.
	deroot := t.TempDir()
	runIn(t, root, "dpkg-deb", "--extract", deb, deroot)
	bin := filepath.Join(deroot, "usr", "bin", "peercall")
	if out := runIn(t, root, bin, "help"); !strings.Contains(out, "Peercall — peer-to-peer video calls") {
		t.Errorf("the packaged peercall help printed:\n%s", out)
	}
	checkDesktopFile(t, filepath.Join(deroot, "usr/share/applications", appID+".desktop"), "peercall", appID)
	checkHicolorIcon(t, filepath.Join(deroot, "usr"), appID)
	linkedLibrariesDeclared(t, bin, depends)

	t.Run("apt installs it on a system with nothing installed", func(t *testing.T) {
		hasLists := func() bool {
			out, _ := exec.Command("apt-cache", "policy", "libc6").Output()
			return regexp.MustCompile(`Candidate: [^(]`).Match(out)
		}
		if !hasLists() {
			if os.Geteuid() != 0 {
				t.Skip("apt has no package lists, and only root can fetch them (apt-get update)")
			}
			if out, err := exec.Command("apt-get", "update", "-qq").CombinedOutput(); err != nil || !hasLists() {
				t.Fatalf("apt has no package lists, and apt-get update did not fetch them: %v\n%s", err, out)
			}
		}
		// An empty dpkg status: apt plans as for a machine with nothing
		// installed, so every dependency must come from the archive.
		status := filepath.Join(t.TempDir(), "status")
		if err := os.WriteFile(status, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("apt-get", "install", "--simulate", "-o", "Dir::State::status="+status, deb).CombinedOutput()
		if err != nil {
			t.Fatalf("apt-get install --simulate %s: %v\n%s", filepath.Base(deb), err, out)
		}
		plan := string(out)
		installs := func(p string) bool {
			return strings.Contains(plan, "\nInst "+p+" ") || strings.Contains(plan, "\nInst "+p+":")
		}
		if !installs("peercall") {
			t.Errorf("apt's plan does not install peercall:\n%s", plan)
		}
		for _, alternatives := range dependsGroups(fields) {
			ok := false
			for _, p := range alternatives {
				ok = ok || installs(p)
			}
			if !ok {
				t.Errorf("apt's plan installs none of %s", strings.Join(alternatives, " | "))
			}
		}
		t.Logf("apt would install %d packages", strings.Count(plan, "\nInst "))
	})

	// The bundle: its README names the packages, make install put its
	// files in ~/.local (under DESTDIR here).
	list := runIn(t, root, "tar", "-tJf", bundle)
	for _, f := range []string{"peercall/Makefile", "peercall/README", "peercall/usr/bin/peercall"} {
		if !strings.Contains(list, f+"\n") {
			t.Errorf("the bundle holds no %s:\n%s", f, list)
		}
	}
	readme := runIn(t, root, "tar", "-xOJf", bundle, "peercall/README")
	for _, lib := range []string{"libvpx", "libopus", "libyuv", "libspeexdsp"} {
		if !strings.Contains(readme, lib) {
			t.Errorf("the bundle's README does not name %s:\n%s", lib, readme)
		}
	}
	installed := filepath.Join(userDir, "bin", "peercall")
	if a, b := mustReadFile(t, installed), mustReadFile(t, bin); !bytes.Equal(a, b) {
		t.Errorf("make install's %s differs from the .deb's binary", installed)
	}
	checkDesktopFile(t, filepath.Join(userDir, "share/applications", appID+".desktop"), filepath.Join(home, ".local/bin/peercall"), appID)
	checkHicolorIcon(t, userDir, appID)

	// Again with nothing changed: nothing is rebuilt or reinstalled.
	made := []string{filepath.Join(root, "bin/package/peercall"), bundle, deb, installed}
	stamps := modTimes(t, made)
	if out := makeIn(t, root, "install", "DESTDIR="+dest); strings.Contains(out, "package.sh") || strings.Contains(out, "user-install") {
		t.Errorf("a second make install did work:\n%s", out)
	}
	makeIn(t, root, "package")
	if now := modTimes(t, made); now != stamps {
		t.Errorf("a second make install or make package remade files:\nbefore: %s\nafter:  %s", stamps, now)
	}

	// A changed source, asset or FyneApp.toml makes it all again (-n: only
	// what make would do). Each file seems changed in turn: its time is
	// set to now, then back.
	for _, f := range []string{"main.go", "rtc/invite/code.go", "media/vp8/vpxglue.c", "assets/icon.png", "FyneApp.toml", "go.sum"} {
		path := filepath.Join(root, f)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := os.Chtimes(path, now, now); err != nil {
			t.Fatal(err)
		}
		out := makeIn(t, root, "-n", "install", "DESTDIR="+dest)
		if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "package.sh binary") || !strings.Contains(out, "package.sh bundle") || !strings.Contains(out, "user-install") {
			t.Errorf("after %s changed, make install would not rebuild and reinstall:\n%s", f, out)
		}
	}
	if out := makeIn(t, root, "-n", "install", "DESTDIR="+dest); strings.Contains(out, "package.sh") {
		t.Errorf("with every file's time back, make install would still rebuild:\n%s", out)
	}

	t.Run("the packaged binary opens its window", func(t *testing.T) {
		packagedWindow(t, bin)
	})
}

// makeIn runs make in dir, as a user would from a shell (not as a
// sub-make of make test), and returns its output.
func makeIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runIn runs a command in dir and returns its standard output.
func runIn(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// checkoutState is what git sees of the checkout: the files' status
// (untracked ones too) and the content of every change.
func checkoutState(t *testing.T, root string) string {
	t.Helper()
	return runIn(t, root, "git", "status", "--porcelain", "--untracked-files=all") +
		runIn(t, root, "git", "diff", "--binary", "HEAD")
}

func tomlString(t *testing.T, toml []byte, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + key + `\s*=\s*"([^"]+)"`).FindSubmatch(toml)
	if m == nil {
		t.Fatalf("FyneApp.toml has no %s", key)
	}
	return string(m[1])
}

// dependsGroups lists the package names of a Depends field, without
// versions: one list of alternatives for each dependency.
func dependsGroups(fields string) [][]string {
	var groups [][]string
	for _, line := range strings.Split(fields, "\n") {
		deps, ok := strings.CutPrefix(line, "Depends: ")
		if !ok {
			continue
		}
		for _, d := range strings.Split(deps, ",") {
			var alternatives []string
			for _, a := range strings.Split(d, "|") {
				if f := strings.Fields(a); len(f) > 0 {
					alternatives = append(alternatives, f[0])
				}
			}
			groups = append(groups, alternatives)
		}
	}
	return groups
}

// dependsNames lists the package names of a Depends field, every
// alternative included.
func dependsNames(fields string) []string {
	var names []string
	for _, g := range dependsGroups(fields) {
		names = append(names, g...)
	}
	return names
}

func anyHasPrefix(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// linkedLibrariesDeclared checks that every library bin's ELF header asks
// for belongs to a package the Depends names, as found on this machine.
func linkedLibrariesDeclared(t *testing.T, bin string, depends []string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	needed, err := f.ImportedLibraries()
	f.Close()
	if err != nil || len(needed) == 0 {
		t.Fatalf("the packaged binary names no libraries (%v)", err)
	}
	paths := map[string]string{}
	for _, line := range strings.Split(runIn(t, "/", "ldd", bin), "\n") {
		if so, path, ok := strings.Cut(strings.TrimSpace(line), " => "); ok {
			paths[so], _, _ = strings.Cut(path, " (")
		}
	}
	declared := map[string]bool{}
	for _, d := range depends {
		declared[d] = true
	}
	for _, so := range needed {
		path, ok := paths[so]
		if !ok {
			t.Errorf("ldd does not find %s", so)
			continue
		}
		var pkg string
		for _, p := range []string{path, strings.TrimPrefix(path, "/usr"), "/usr" + path} {
			if out, err := exec.Command("dpkg", "-S", p).Output(); err == nil {
				pkg, _, _ = strings.Cut(string(out), ":")
				break
			}
		}
		if pkg == "" {
			t.Errorf("no installed package holds %s (%s)", so, path)
		} else if !declared[pkg] {
			t.Errorf("the binary links %s from %s, which the .deb's Depends does not name: %v", so, pkg, depends)
		}
	}
}

// checkDesktopFile checks that a .desktop file starts execLine and shows the
// icon named appID.
func checkDesktopFile(t *testing.T, path, execLine, appID string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	for _, line := range []string{"[Desktop Entry]", "Type=Application", "Name=Peercall", "Exec=" + execLine, "Icon=" + appID} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).Match(b) {
			t.Errorf("%s has no line %q:\n%s", path, line, b)
		}
	}
}

// checkHicolorIcon checks that prefix holds the icon in the hicolor theme, in the
// directory of its size.
func checkHicolorIcon(t *testing.T, prefix, appID string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(prefix, "share/icons/hicolor/*/apps", appID+".png"))
	if len(matches) != 1 {
		t.Errorf("no single %s.png in %s's hicolor theme: %v", appID, prefix, matches)
		return
	}
	f, err := os.Open(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", matches[0], err)
	}
	if size := filepath.Base(filepath.Dir(filepath.Dir(matches[0]))); size != fmt.Sprintf("%dx%d", cfg.Width, cfg.Height) {
		t.Errorf("%s is %dx%d, in the %s directory", matches[0], cfg.Width, cfg.Height, size)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func modTimes(t *testing.T, paths []string) string {
	t.Helper()
	var s []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, fmt.Sprintf("%s %s", filepath.Base(p), fi.ModTime().Format(time.RFC3339Nano)))
	}
	return strings.Join(s, ", ")
}

// packagedWindow starts bin as the desktop menu would, with a fresh home,
// under an X server of its own in a network namespace holding only lo, and
// waits for its window, found by the class its .desktop file names.
func packagedWindow(t *testing.T, bin string) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make test installs it)", tool)
		}
	}
	ns := newNamespace(t, "pkg")
	_, inNS := startDisplay(t, ns)
	xdotool := func(args ...string) string {
		out, _ := toolOutput(inNS("xdotool", args...))
		return strings.TrimSpace(string(out))
	}

	app := inNS(bin, "--source", "pattern")
	appErr := &syncBuffer{}
	app.Stderr = appErr
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	t.Cleanup(func() {
		app.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("app stderr:\n%s", appErr.String())
		}
	})
	waitUntil(t, "the packaged app's window", 20*time.Second, func() bool {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the packaged app exited: %v", err)
		default:
		}
		return xdotool("search", "--class", "^Peercall$") != ""
	})
	if name := xdotool("getwindowname", strings.Fields(xdotool("search", "--class", "^Peercall$"))[0]); name != "Peercall" {
		t.Errorf("the window of class Peercall is named %q", name)
	}
}
