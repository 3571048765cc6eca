package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// noise is what must never reach a person's terminal in a normal run: the
// toolkit's locale error, the sound library's device probing, the engine's
// errors after a normal hang-up, a crash.
var noise = []string{"Fyne error", "ALSA lib", "ERROR", "panic"}

func checkQuiet(t *testing.T, what, stderr string) {
	t.Helper()
	for _, n := range noise {
		if strings.Contains(stderr, n) {
			t.Errorf("%s: the terminal shows %q:\n%s", what, n, stderr)
		}
	}
}

// Under the locales servers, scripts and containers have (LANG=C,
// C.UTF-8, POSIX), --help prints the usage and nothing else, and a bad
// code gets its one-line reason and nothing else.
func TestQuietTerminalUnderCLocales(t *testing.T) {
	for _, lang := range []string{"C", "C.UTF-8", "POSIX"} {
		env := []string{"LANG=" + lang, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE="}
		help := exec.Command(peercallBin, "--help")
		help.Env = append(help.Environ(), env...)
		var helpErr syncBuffer
		help.Stderr = &helpErr
		out, err := help.Output()
		if err != nil || !strings.Contains(string(out), "Usage:") || helpErr.String() != "" {
			t.Errorf("LANG=%s peercall --help: %v, stdout %d bytes, stderr %q", lang, err, len(out), helpErr.String())
		}
		bad := exec.Command(peercallBin, "code", "decode", "hello there")
		bad.Env = append(bad.Environ(), env...)
		msg, _ := bad.CombinedOutput()
		if lines := strings.Split(strings.TrimSpace(string(msg)), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "peercall: ") {
			t.Errorf("LANG=%s peercall code decode: want one line of reason, got:\n%s", lang, msg)
		}
	}
}

// A call on a machine with no sound server to reach: the missing
// microphone and speaker are named, and nothing else shows — no sound
// library probing, no engine error after the hang-up.
func TestQuietTerminalWithoutSound(t *testing.T) {
	none := t.TempDir()
	inviter, joiner := twoProcessCall(t, callOptions{
		seconds:      3,
		inviterFlags: []string{"--audio-source", "mic", "--audio-out", "default"},
		env:          []string{"LANG=C.UTF-8", "XDG_RUNTIME_DIR=" + none, "PULSE_SERVER=unix:" + filepath.Join(none, "no-server")},
	})
	for _, p := range []*peer{inviter, joiner} {
		checkQuiet(t, p.name, p.stderr.String())
	}
	stderr := inviter.stderr.String()
	for _, device := range []string{"missing=microphone", "missing=speaker"} {
		if !strings.Contains(stderr, device) {
			t.Errorf("the inviter's terminal does not say %s:\n%s", device, stderr)
		}
	}
	if got := inviter.final().Missing; len(got) == 0 {
		t.Error("the inviter's statistics list nothing missing")
	}
}
