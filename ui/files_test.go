package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/rtc"
	"peercall/rtc/rtctest"
)

// findButton returns the shown button with the given text under o.
func fileButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no %q button shown", text)
	return nil
}

// panelText is what the file rows say, one row a line.
func panelText(p *filesPanel) string {
	var lines []string
	for _, o := range p.box.Objects {
		for _, obj := range test.LaidOutObjects(o) {
			if l, ok := obj.(*widget.Label); ok && l.Visible() {
				lines = append(lines, l.Text)
			}

		}
	}
	return strings.Join(lines, "\n")
}

// The offer prompt, and progress bars of a file coming and a file going,
// at the three window sizes; nothing overlaps, and an offer keeps the
// status panel from fading.
func TestFileGoldens(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, _ fyne.Size) {
		c := handCall(t, u)
		connectedWithCode(c, rtc.PeerMedia{Known: true})
		c.safety.setOpen(false)
		var accepted, declined string
		c.files.saveTo = func(name string, done func(string)) { done("/home/ada/Downloads/" + name) }
		c.files.showOffer("in", "holiday photos.zip", 52_428_800,
			func(path string) error { accepted = path; return nil }, func() { declined = "in" })
		test.AssertRendersToMarkup(t, "call/file_offer_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "file offer", c)
		c.fade()
		if !c.top.Visible() {
			t.Error("the status panel faded while an offer waited for an answer")
		}

		test.Tap(fileButton(t, c.files.box, "Save…"))
		if accepted != "/home/ada/Downloads/holiday photos.zip" || declined != "" {
			t.Errorf("Save… accepted into %q (declined %q)", accepted, declined)
		}
		c.files.showProgress("in", true, "holiday photos.zip", 20_971_520, 52_428_800)
		c.files.showWaiting("out", "notes.txt", 1834, func() {})
		c.files.showProgress("out", false, "notes.txt", 1834, 1834)
		test.AssertRendersToMarkup(t, "call/file_progress_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "file progress", c)
		if in, out := c.files.rows["in"].bar.Value(), c.files.rows["out"].bar.Value(); in != 0.4 || out != 1 {
			t.Errorf("the bars stand at %v and %v, want 0.4 and 1", in, out)
		}
		if got := panelText(c.files); got != "holiday photos.zip\n21.0 / 52.4 MB\nnotes.txt\n2 / 2 kB" {
			t.Errorf("the rows say %q", got)
		}
	})
}

func TestFileDeclineRemovesTheOffer(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	declined := false
	c.files.showOffer("in", "a.txt", 5, func(string) error { return nil }, func() { declined = true })
	test.Tap(fileButton(t, c.files.box, "Decline"))
	if !declined || c.files.box.Visible() || len(c.files.rows) != 0 {
		t.Errorf("declined %v, rows %d, panel shown %v", declined, len(c.files.rows), c.files.box.Visible())
	}
}

func TestSizeAndErrorTexts(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 999: "999 bytes", 1834: "2 kB", 52_428_800: "52.4 MB", 4 << 30: "4.29 GB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
	for _, c := range [][3]any{{int64(0), int64(0), "0 / 0 bytes"}, {int64(12), int64(15), "12 / 15 bytes"},
		{int64(20_971_520), int64(52_428_800), "21.0 / 52.4 MB"}, {int64(900), int64(1834), "1 / 2 kB"},
		{int64(1 << 30), int64(4 << 30), "1.07 / 4.29 GB"}} {
		if got := amountText(c[0].(int64), c[1].(int64)); got != c[2] {
			t.Errorf("amountText(%d, %d) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
	for _, err := range []error{rtc.ErrFileDeclined, rtc.ErrFileStopped, rtc.ErrFileCancelled, rtc.ErrFileCallEnded,
		rtc.ErrFileTooLarge, rtc.ErrFileName, rtc.ErrFileBusy, rtc.ErrFileCorrupt, rtc.ErrFileChanged, os.ErrPermission,
		fmt.Errorf("disk: %w", os.ErrClosed)} {
		for _, incoming := range []bool{false, true} {
			got := fileErrorText("x.bin", incoming, fmt.Errorf("wrapped: %w", err))
			if !strings.HasSuffix(got, ".") || strings.Contains(got, "rtc:") || strings.Contains(got, "wrapped") {
				t.Errorf("%v: %q", err, got)
			}
		}
	}
}

// A real call between the window and a headless session: a file the
// other side sends is offered in the window, saved where the save dialog
// says, and a file sent from the window reaches the other side; both rows
// end saying so.
func TestFilesBetweenTheWindowAndAPeer(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.followOffers(ctx, c.att.sess)
	invite, err := c.att.sess.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reply, peer := rtctest.Join(t, invite)
	if err := c.att.sess.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sent := bytes.Repeat([]byte("peercall "), 40_000)
	src := filepath.Join(dir, "from peer.txt")
	if err := os.WriteFile(src, sent, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := peer.SendFile(src)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the offer in the window", func() bool { return strings.Contains(panelText(c.files), "“from peer.txt” (360 kB)") })
	saveAs := filepath.Join(dir, "saved.txt")
	c.files.saveTo = func(name string, done func(string)) { done(saveAs) }
	test.Tap(fileButton(t, c.files.box, "Save…"))
	waitFor(t, "the file saved", func() bool { return strings.Contains(panelText(c.files), "Saved “saved.txt” in ") })
	if got, _ := os.ReadFile(saveAs); !bytes.Equal(got, sent) {
		t.Errorf("saved %d bytes, want the %d sent", len(got), len(sent))
	}
	if err := out.Err(); err != nil {
		t.Errorf("the peer's transfer: %v", err)
	}

	mine := filepath.Join(dir, "mine.bin")
	if err := os.WriteFile(mine, []byte("from the window"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.sendFile(mine)
	var in *rtc.Transfer
	select {
	case in = <-peer.FileOffers():
	case <-time.After(10 * time.Second):
		t.Fatal("the peer got no offer")
	}
	if !strings.Contains(panelText(c.files), "Offering “mine.bin” (15 bytes): waiting") {
		t.Errorf("while waiting the rows say %q", panelText(c.files))
	}
	into := t.TempDir()
	if err := in.AcceptInto(into); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file sent", func() bool { return strings.Contains(panelText(c.files), "“mine.bin” was sent.") })
	if got, _ := os.ReadFile(filepath.Join(into, "mine.bin")); string(got) != "from the window" {
		t.Errorf("the peer saved %q", got)
	}
	// A folder cannot be sent: the window says so.
	c.sendFile(dir)
	if !strings.Contains(panelText(c.files), "Only a file can be sent, not a folder.") {
		t.Errorf("sending a folder: %q", panelText(c.files))
	}
}
