package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"peercall/e2e/linkemu"
)

// writeRandomFile writes size random bytes to path and returns their
// SHA-256 in hex.
func writeRandomFile(t testing.TB, path string, size int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Of(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// waitLog waits up to d for a line of p's stderr holding every one of
// parts, and returns the line and when it was first seen.
func (p *peer) waitLog(d time.Duration, parts ...string) (string, time.Time) {
	p.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			found := true
			for _, part := range parts {
				if !strings.Contains(line, part) {
					found = false
					break
				}
			}
			if found {
				return line, time.Now()
			}
		}
		if !p.running() && !strings.Contains(p.stderr.String(), parts[0]) {
			break
		}
	}
	p.t.Fatalf("%s wrote no line with %q within %v", p.name, parts, d)
	return "", time.Time{}
}

// framesDuring reads p's statistics around [from, to]: the last line at
// or before from and the first at or after to, and every line between;
// it returns the decoded frame rate over that span and the fewest frames
// decoded between two lines a second apart.
func framesDuring(t testing.TB, p *peer, from, to time.Time) (fps float64, fewest uint64, lines int) {
	t.Helper()
	var span []statsLine
	for _, l := range p.statsLines() {
		switch {
		case !l.At.After(from):
			span = append(span[:0], l)
		case l.At.Before(to):
			span = append(span, l)
		default:
			span = append(span, l)
			goto done
		}
	}
	t.Fatalf("%s: no statistics after the transfer", p.name)
done:
	if len(span) < 2 {
		t.Fatalf("%s: %d statistics lines around the transfer", p.name, len(span))
	}
	fewest = ^uint64(0)
	for i := 1; i < len(span); i++ {
		fewest = min(fewest, span[i].FramesDecoded-span[i-1].FramesDecoded)
	}
	first, last := span[0], span[len(span)-1]
	fps = float64(last.FramesDecoded-first.FramesDecoded) / last.At.Sub(first.At).Seconds()
	return fps, fewest, len(span)
}

// A 50 MB file crosses a call on loopback with its SHA-256 intact, while
// the call's video keeps being decoded on both sides.
func TestFileOf50MBCrossesACallWhileVideoFlows(t *testing.T) {
	dir, into := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "big.bin")
	sum := writeRandomFile(t, src, 50<<20)
	inviter, joiner := startCall(t, callOptions{seconds: 120,
		inviterFlags: []string{"--send-file", src}, joinerFlags: []string{"--accept-files", into}})
	_, from := joiner.waitLog(30*time.Second, "file receiving", "name=big.bin")
	line, to := joiner.waitLog(110*time.Second, "file received", "name=big.bin")
	t.Logf("%s (%.1f s after it began)", line, to.Sub(from).Seconds())
	if !strings.Contains(line, "sha256="+sum) {
		t.Errorf("the file received has another SHA-256 than %s", sum)
	}
	if got := sha256Of(t, filepath.Join(into, "big.bin")); got != sum {
		t.Errorf("the saved file's SHA-256 is %s, want %s", got, sum)
	}
	inviter.waitLog(10*time.Second, "file sent", "name=big.bin")
	entries, _ := os.ReadDir(into)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want the file alone", len(entries))
	}
	// A statistics line after the transfer, on both sides.
	time.Sleep(1100 * time.Millisecond)
	for _, p := range []*peer{inviter, joiner} {
		fps, fewest, n := framesDuring(t, p, from, to)
		t.Logf("%s during the transfer: %.1f fps over %d statistics lines, at least %d frames a second", p.name, fps, n, fewest)
		if fps < 15 || fewest < 5 {
			t.Errorf("%s decoded %.1f fps during the transfer (at least %d frames between two lines), want 15 and 5", p.name, fps, fewest)
		}
	}
}

// A call the sender hangs up mid-transfer leaves nothing in the
// receiver's folder: no partial file under the final name, no temporary.
func TestFileCutByAHangUpLeavesNothing(t *testing.T) {
	dir, into := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "huge.img")
	// 2 GiB read as zeros (sparse): more than the call's few seconds carry.
	if err := os.WriteFile(src, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(src, 2<<30); err != nil {
		t.Fatal(err)
	}
	inviter, joiner := startCall(t, callOptions{seconds: 6,
		inviterFlags: []string{"--send-file", src}, joinerFlags: []string{"--accept-files", into, "--seconds", "0"}})
	joiner.waitLog(30*time.Second, "file progress", "name=huge.img")
	entries, _ := os.ReadDir(into)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), ".huge.img.") {
		t.Errorf("while receiving, the folder holds %v, want one hidden temporary", entries)
	}
	for _, p := range []*peer{inviter, joiner} {
		if err := p.wait(60 * time.Second); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
	line, _ := joiner.waitLog(time.Second, "file not received", "name=huge.img")
	if !strings.Contains(line, "call ended") {
		t.Errorf("the receiver said %q", line)
	}
	inviter.waitLog(time.Second, "file not sent", "name=huge.img")
	if entries, _ := os.ReadDir(into); len(entries) != 0 {
		t.Errorf("after the hang-up the folder holds %v", entries)
	}
}

// Without --accept-files an offer is declined, and the sender says so.
func TestFileOfferDeclinedWithoutAcceptFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "note.txt")
	writeRandomFile(t, src, 1000)
	inviter, joiner := startCall(t, callOptions{seconds: 20, inviterFlags: []string{"--send-file", src}})
	joiner.waitLog(30*time.Second, "file declined", "name=note.txt")
	line, _ := inviter.waitLog(10*time.Second, "file not sent", "name=note.txt")
	if !strings.Contains(line, "declined") {
		t.Errorf("the sender said %q", line)
	}
}

// fileCapKbps is the rate cap of TestFileOverACappedLink, each way.
const fileCapKbps = 2000

// A file sent over a 2 Mbit/s link with a half-second queue, narrower
// than what the video and the file would take together: the file arrives
// whole, and the video goes on through the transfer, at its frame rate,
// without its latency standing at the queue's length (as it would behind
// chunks sent as fast as the connection takes them).
func TestFileOverACappedLink(t *testing.T) {
	link := func(seed uint64) linkemu.Config {
		return linkemu.Config{RateBps: fileCapKbps * 1000, QueueBytes: fileCapKbps * 1000 / 8 / 2, Delay: 20 * time.Millisecond, Seed: seed}
	}
	n := impNetwork(t, "filecap", link(7001), link(7002))
	dir, into := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "slides.pdf")
	sum := writeRandomFile(t, src, 600_000)
	inviter, joiner := startCall(t, callOptions{seconds: 150,
		flags:         []string{"--source", "pattern", "--size", "640x480", "--fps", "30", "--stun", "none", "--interface", "imp0"},
		inviterPrefix: nsExec(n.nsA), joinerPrefix: nsExec(n.nsB),
		inviterFlags: []string{"--send-file", src, "--verbose"}, joinerFlags: []string{"--accept-files", into}})
	_, from := joiner.waitLog(30*time.Second, "file receiving", "name=slides.pdf")
	line, to := joiner.waitLog(120*time.Second, "file received", "name=slides.pdf")
	t.Logf("%s (%.1f s after it began)", line, to.Sub(from).Seconds())
	if got := sha256Of(t, filepath.Join(into, "slides.pdf")); got != sum {
		t.Errorf("the saved file's SHA-256 is %s, want %s", got, sum)
	}
	time.Sleep(1100 * time.Millisecond)
	impTimeline(t, "inviter (sends the file; its target)", inviter.statsLines())
	impTimeline(t, "joiner (receives the file and the inviter's video)", joiner.statsLines())
	fps, fewest, _ := framesDuring(t, joiner, from, to)
	var worstP50 float64
	for _, l := range joiner.statsLines() {
		if l.At.After(from) && l.At.Before(to) {
			worstP50 = max(worstP50, l.LatencyP50Ms)
		}
	}
	t.Logf("the joiner during the transfer: %.1f fps, at least %d frames a second, latency p50 up to %.0f ms", fps, fewest, worstP50)
	if fps < 20 || fewest < 5 {
		t.Errorf("the video went on at %.1f fps (at least %d frames a second) during the transfer, want 20 and 5", fps, fewest)
	}
	if worstP50 >= 250 {
		t.Errorf("the video's latency p50 reached %.0f ms during the transfer: the link's queue stood half full", worstP50)
	}
}
