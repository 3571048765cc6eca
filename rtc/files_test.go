package rtc

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
)

func TestSafeFileName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"report.pdf", "report.pdf", true},
		{"../../etc/passwd", "passwd", true},
		{"a/b", "b", true},
		{`C:\Users\x\notes.txt`, "notes.txt", true},
		{"", "", false},
		{".", "", false},
		{"..", "", false},
		{"a/..", "", false},
		{"dir/", "", false},
		{"bell\a.txt", "", false},
		{"line\nbreak", "", false},
		{"\xff\xfe.bin", "", false},
		{strings.Repeat("x", 256), "", false},
		{strings.Repeat("x", 255), strings.Repeat("x", 255), true},
		{"Zürich 2026.jpg", "Zürich 2026.jpg", true},
	} {
		got, ok := SafeFileName(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("SafeFileName(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// randomFile writes n random bytes to a new file and returns its path and
// contents.
func randomFile(t *testing.T, dir, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func nextOffer(t *testing.T, s *Session) *Transfer {
	t.Helper()
	select {
	case o := <-s.FileOffers():
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("no file offer arrived")
	}
	return nil
}

func finished(t *testing.T, tr *Transfer, within time.Duration) error {
	t.Helper()
	select {
	case <-tr.Done():
		return tr.Err()
	case <-time.After(within):
		t.Fatalf("the transfer of %s did not finish within %v (%d of %d bytes)", tr.Name(), within, tr.Progress(), tr.Size())
	}
	return nil
}

// dirNames lists a folder's entries, hidden ones (temporaries) included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A file crosses the call both ways at once, each side saving it into a
// folder: the contents arrive whole, a file of the same name already
// there is kept, and nothing else is left in the folder.
func TestFilesCrossTheCallAndAreSaved(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	inviter, joiner := h.fileCallPair()
	src, dstA, dstB := t.TempDir(), t.TempDir(), t.TempDir()
	pathA, dataA := randomFile(t, src, "from-inviter.bin", 700_000)
	pathB, dataB := randomFile(t, src, "from-joiner.bin", 1)
	// The joiner's folder already holds a file of the offered name.
	if err := os.WriteFile(filepath.Join(dstB, "from-inviter.bin"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	outA, err := inviter.SendFile(pathA)
	if err != nil {
		t.Fatal(err)
	}
	outB, err := joiner.SendFile(pathB)
	if err != nil {
		t.Fatal(err)
	}
	inB, inA := nextOffer(t, joiner), nextOffer(t, inviter)
	if inB.Name() != "from-inviter.bin" || inB.Size() != 700_000 || !inB.Incoming() {
		t.Errorf("the joiner was offered %q of %d bytes", inB.Name(), inB.Size())
	}
	if err := inB.AcceptInto(dstB); err != nil {
		t.Fatal(err)
	}
	if err := inA.Accept(filepath.Join(dstA, "renamed.bin")); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*Transfer{outA, outB, inA, inB} {
		if err := finished(t, tr, 60*time.Second); err != nil {
			t.Fatalf("%s: %v", tr.Name(), err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dstB, "from-inviter (1).bin")); !bytes.Equal(got, dataA) {
		t.Errorf("the joiner saved %d bytes that differ from the %d sent", len(got), len(dataA))
	}
	if got, _ := os.ReadFile(filepath.Join(dstB, "from-inviter.bin")); string(got) != "mine" {
		t.Errorf("the file already there was replaced: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dstA, "renamed.bin")); !bytes.Equal(got, dataB) {
		t.Errorf("the inviter saved %q, want %q", got, dataB)
	}
	if inB.SavedAs() != filepath.Join(dstB, "from-inviter (1).bin") {
		t.Errorf("saved as %q", inB.SavedAs())
	}
	if names := dirNames(t, dstB); len(names) != 2 {
		t.Errorf("the joiner's folder holds %q", names)
	}
	if names := dirNames(t, dstA); len(names) != 1 {
		t.Errorf("the inviter's folder holds %q", names)
	}
	if outA.Progress() != 700_000 || inB.Progress() != 700_000 {
		t.Errorf("progress %d and %d at the end, want 700000", outA.Progress(), inB.Progress())
	}
}

// A declined offer reaches the sender as declined, and one stopped midway
// by the receiver as stopped; neither leaves anything in the folder.
// Offers with hostile names or sizes are declined with their reason, or
// their names made safe, and bad chunks end the transfer.
func TestFileOffersDeclinedAndRefused(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	inviter, joiner := h.fileCallPair()
	src, dst := t.TempDir(), t.TempDir()
	path, _ := randomFile(t, src, "no-thanks.txt", 1000)

	out, err := inviter.SendFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nextOffer(t, joiner).Decline()
	if err := finished(t, out, 10*time.Second); !errors.Is(err, ErrFileDeclined) {
		t.Errorf("declined: %v, want ErrFileDeclined", err)
	}

	// Hostile offers, as any program could send them.
	cases := []struct {
		id    uint32
		offer string
		want  error  // the sender's error; nil when offered
		name  string // the name offered to the person
	}{
		{101, `{"type":"offer","id":101,"name":"../../etc/passwd","size":5}`, nil, "passwd"},
		{102, `{"type":"offer","id":102,"name":"a/b","size":5}`, nil, "b"},
		{103, `{"type":"offer","id":103,"name":"","size":5}`, ErrFileName, ""},
		{104, `{"type":"offer","id":104,"name":"..","size":5}`, ErrFileName, ""},
		{105, `{"type":"offer","id":105,"name":"big.iso","size":4294967297}`, ErrFileTooLarge, ""},
		{106, `{"type":"offer","id":106,"name":"nosize"}`, ErrFileDeclined, ""},
	}
	for _, c := range cases {
		tr, err := OfferRaw(inviter, c.id, c.offer)
		if err != nil {
			t.Fatal(err)
		}
		if c.want != nil {
			if err := finished(t, tr, 10*time.Second); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.offer, err, c.want)
			}
			continue
		}
		in := nextOffer(t, joiner)
		if in.Name() != c.name {
			t.Errorf("%s offered as %q, want %q", c.offer, in.Name(), c.name)
		}
		if err := in.AcceptInto(dst); err != nil {
			t.Fatal(err)
		}
		if c.id == 101 {
			// Five bytes announced, six sent: the receiver stops.
			eventually(t, 5*time.Second, "the accept arrives", func() bool { return tr.isAccepted() })
			chunk := append([]byte{0, 0, 0, 101, 0, 0, 0, 0, 0, 0, 0, 0}, "sixsix"...)
			if err := inviter.fileState().channel().Send(chunk); err != nil {
				t.Fatal(err)
			}
			if err := finished(t, in, 5*time.Second); !errors.Is(err, ErrFileCorrupt) {
				t.Errorf("too much data: %v, want ErrFileCorrupt", err)
			}
			if err := finished(t, tr, 5*time.Second); err == nil || !strings.Contains(err.Error(), ReasonBadData) {
				t.Errorf("the sender of too much data was told %v", err)
			}
		} else {
			// The sender stops before sending anything.
			if err := inviter.fileState().sendJSONRaw(`{"type":"cancel","id":102}`); err != nil {
				t.Fatal(err)
			}
			if err := finished(t, in, 5*time.Second); !errors.Is(err, ErrFileCancelled) {
				t.Errorf("cancelled: %v, want ErrFileCancelled", err)
			}
		}
	}
	if names := dirNames(t, dst); len(names) != 0 {
		t.Errorf("refused and stopped transfers left %q", names)
	}
	// A too-large file is refused before it is offered (a sparse file).
	huge := filepath.Join(src, "huge.img")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, MaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := inviter.SendFile(huge); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("sending 4 GiB + 1: %v", err)
	}
	if _, err := inviter.SendFile(src); !errors.Is(err, ErrFileNotFile) {
		t.Errorf("sending a folder: %v", err)
	}
	// Unreadable messages are refused and the channel goes on.
	before := FileRefused(joiner)
	_ = inviter.fileState().sendJSONRaw("not json")
	_ = inviter.fileState().channel().Send([]byte{1, 2})
	eventually(t, 5*time.Second, "the bad messages are refused", func() bool { return FileRefused(joiner) == before+2 })
	out, err = inviter.SendFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := nextOffer(t, joiner).AcceptInto(dst); err != nil {
		t.Fatal(err)
	}
	if err := finished(t, out, 10*time.Second); err != nil {
		t.Errorf("after the refused messages: %v", err)
	}
}

// A call that ends mid-transfer leaves nothing behind: no partial file
// under the final name, no temporary; both sides learn that the call
// ended.
func TestHangupMidTransferLeavesNoPartialFile(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	inviter, joiner := h.fileCallPair()
	src, dst := t.TempDir(), t.TempDir()
	path, _ := randomFile(t, src, "long.bin", 30<<20)
	out, err := inviter.SendFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in := nextOffer(t, joiner)
	if err := in.AcceptInto(dst); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "part of the file arrives", func() bool { return in.Progress() > 100_000 })
	if names := dirNames(t, dst); len(names) != 1 || !strings.HasPrefix(names[0], ".long.bin.") {
		t.Errorf("while receiving, the folder holds %q, want one temporary", names)
	}
	inviter.Hangup()
	if err := finished(t, in, 10*time.Second); !errors.Is(err, ErrFileCallEnded) {
		t.Errorf("the receiver: %v, want ErrFileCallEnded", err)
	}
	if err := finished(t, out, 10*time.Second); !errors.Is(err, ErrFileCallEnded) {
		t.Errorf("the sender: %v, want ErrFileCallEnded", err)
	}
	<-joiner.Done()
	if names := dirNames(t, dst); len(names) != 0 {
		t.Errorf("after the hang-up the folder holds %q", names)
	}
}

// fileCallPair connects two sessions on a virtual network and waits for
// both ends of the file channel.
func (h *harness) fileCallPair() (inviter, joiner *Session) {
	h.t.Helper()
	ca, cb := h.vnetConfigs()
	inviter, joiner = h.callPair(ca, cb)
	eventually(h.t, 10*time.Second, "the file channel opens", func() bool {
		return inviter.fileState().channel() != nil && joiner.fileState().channel() != nil
	})
	return inviter, joiner
}
