package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/rtc"
	"peercall/rtc/rtctest"
)

// someChat fills the panel with a short conversation at fixed times.
func someChat(c *callScreen) {
	at := time.Date(2026, 12, 6, 10, 40, 0, 0, time.UTC)
	for i, m := range []rtc.ChatMessage{
		{Text: "Can you see my screen now?", Mine: false},
		{Text: "Yes. The link you wanted: https://example.org/notes?id=42 — I did not open it.", Mine: true},
		{Text: "Perfect, thanks! 👍", Mine: false},
	} {
		m.At = at.Add(time.Duration(i) * 50 * time.Second)
		c.chat.add(m)
	}
}

// The chat panel at the three sizes: beside the picture where it fits,
// over it (the other overlays hidden, the controls kept) where it does
// not; then closed, with the unread badge on its button.
func TestChatPanelGoldens(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, _ fyne.Size) {
		c := handCall(t, u)
		connectedWithCode(c, rtc.PeerMedia{Known: true, CameraOff: true})
		c.toggleChat()
		test.AssertRendersToMarkup(t, "call/chat_empty_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "chat empty", c)
		someChat(c)
		test.AssertRendersToMarkup(t, "call/chat_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "chat", c)

		c.chat.entry.SetText(strings.Repeat("€", rtc.MaxChatText/3+1))
		test.AssertRendersToMarkup(t, "call/chat_too_long_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "chat too long", c)
		c.chat.entry.SetText("")

		c.toggleChat()
		at := time.Date(2026, 12, 6, 10, 43, 0, 0, time.UTC)
		c.chat.add(rtc.ChatMessage{Text: "Are you there?", At: at})
		c.chat.add(rtc.ChatMessage{Text: "Hello?", At: at})
		test.AssertRendersToMarkup(t, "call/chat_unread_"+name+".xml", u.win.Canvas())
		checkNoOverlap(t, "chat unread", c)
	})
}

// From the smallest window up, with the chat panel open and every other
// overlay shown: no two overlap, and the picture keeps the room of the
// smallest window beside it.
func TestChatPanelNeverOverlaps(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true, AudioMuted: true, CameraOff: true})
	c.toggleMute()
	c.showStats(rtc.Stats{}, rtc.Stats{}, "Round trip  12 ms\nIn / out    812 / 790 kbit/s\nLoss        0.0 % of packets")
	c.toggleStats()
	someChat(c)
	c.toggleChat()
	for _, corner := range []corner{bottomRight, bottomLeft, topRight, topLeft} {
		c.layout.corner = corner
		for w := minCallSize.Width; w <= 2000; w += 37 {
			for h := minCallSize.Height; h <= 1200; h += 61 {
				size := fyne.NewSize(w, h)
				u.win.Resize(size)
				state := fmt.Sprintf("chat open, corner %d", corner)
				checkNoOverlap(t, state, c)
				if !c.chat.box.Visible() || !c.controls.Visible() {
					t.Fatalf("%s at %v: chat shown %v, controls shown %v", state, size, c.chat.box.Visible(), c.controls.Visible())
				}
				beside := chatBeside(size)
				if beside != (w >= minCallSize.Width+chatMinWidth) {
					t.Errorf("%v: beside %v", size, beside)
				}
				if beside && (!c.self.Visible() || !c.top.Visible() || !c.statsBox.Visible()) {
					t.Errorf("%s at %v: overlays hidden beside the chat", state, size)
				}
				if !beside && (c.self.Visible() || c.top.Visible() || c.statsBox.Visible()) {
					t.Errorf("%s at %v: overlays shown under the chat", state, size)
				}
				if r := c.att.remote.Size(); beside && (r.Width < minCallSize.Width || c.chat.box.Position().X < r.Width) {
					t.Errorf("%s at %v: the picture is %v, the chat at %v", state, size, r, c.chat.box.Position())
				}
			}
		}
	}
	// Closed again, everything is back.
	c.toggleChat()
	u.win.Resize(minCallSize)
	if c.chat.box.Visible() || !c.self.Visible() || !c.top.Visible() || !c.statsBox.Visible() {
		t.Error("closing the chat did not bring the overlays back")
	}
	if r := c.att.remote.Size(); r != minCallSize {
		t.Errorf("the picture is %v with the chat closed", r)
	}
}

// A real call: the panel opens and closes with its button and Ctrl+T (also
// while writing), Enter sends what was written to the other side, a
// message from there shows (with an unread badge while the panel is
// closed), its text can be selected and copied, and a message too long is
// refused with a sentence and kept.
func TestChatPanelInACall(t *testing.T) {
	u := newTestUI(t)
	u.win.Resize(fyne.NewSize(960, 640))
	c := handCall(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code, err := c.att.sess.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reply, peer := rtctest.Join(t, code)
	if err := c.att.sess.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	go watchChat(ctx, c.att.sess, c)
	waitFor(t, "the chat to open", func() bool { return c.att.sess.ChatOpen() && peer.ChatOpen() })

	// The button opens the panel and gives the line the keyboard.
	test.Tap(c.chatBtn)
	if !c.chat.box.Visible() || u.win.Canvas().Focused() != c.chat.entry {
		t.Fatalf("the button: panel shown %v, focus on %T", c.chat.box.Visible(), u.win.Canvas().Focused())
	}
	// Enter sends; the line empties and the message shows as "You".
	test.Type(c.chat.entry, "Hello, see https://example.org")
	c.chat.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	select {
	case m := <-peer.Chat():
		if m.Text != "Hello, see https://example.org" {
			t.Errorf("the other side got %q", m.Text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Enter did not send the message")
	}
	if c.chat.entry.Text != "" || c.chat.count != 1 || !strings.HasPrefix(bubbleHead(c, 0), "You · ") {
		t.Errorf("after sending: line %q, %d messages, first by %q", c.chat.entry.Text, c.chat.count, bubbleHead(c, 0))
	}
	// An empty line sends nothing.
	c.chat.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.chat.count != 1 {
		t.Errorf("an empty line added a message")
	}

	// Ctrl+T while writing closes the panel: the entry hands the call
	// screen's shortcuts on.
	c.chat.entry.TypedShortcut(shortcutChat)
	if c.chat.box.Visible() || c.chatShown {
		t.Fatal("Ctrl+T in the line did not close the panel")
	}
	// Closed, a message from the other side shows a badge on the button.
	if _, err := peer.SendChat("One"); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.SendChat("Two — with a long line that wraps in the panel, and nothing in it opens by itself."); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the messages", func() bool { return c.chat.count == 3 })
	if !c.chat.badge.box.Visible() || c.chat.badge.text.Text != "2" || c.chat.unread != 2 {
		t.Errorf("unread badge shown %v, says %q", c.chat.badge.box.Visible(), c.chat.badge.text.Text)
	}
	if !strings.HasPrefix(bubbleHead(c, 1), "Them · ") {
		t.Errorf("a received message is by %q", bubbleHead(c, 1))
	}
	// Ctrl+T on the window opens it: the badge goes.
	u.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutChat)
	if !c.chat.box.Visible() || c.chat.badge.box.Visible() {
		t.Fatalf("Ctrl+T: panel shown %v, badge shown %v", c.chat.box.Visible(), c.chat.badge.box.Visible())
	}
	// A message arriving while it is open is read at once.
	if _, err := peer.SendChat("Three"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the third message", func() bool { return c.chat.count == 4 })
	if c.chat.badge.box.Visible() {
		t.Error("a badge for a message read as it came")
	}

	// The words can be selected and copied.
	words := bubbleWords(c, 1)
	if !words.Selectable {
		t.Fatal("the message's words are not selectable")
	}
	type selection interface {
		fyne.DoubleTappable
		fyne.Shortcutable
	}
	var sel selection
	for _, o := range test.LaidOutObjects(words) {
		if s, ok := o.(selection); ok {
			sel = s
		}
	}
	if sel == nil {
		t.Fatal("no selection on the message's words")
	}
	test.DoubleTap(sel) // selects the word
	sel.TypedShortcut(&fyne.ShortcutCopy{Clipboard: u.app.Clipboard()})
	if got := u.app.Clipboard().Content(); got != "One" {
		t.Errorf("copied %q", got)
	}

	// Too long: said while writing, the send button off, and Enter keeps
	// the text.
	long := strings.Repeat("é", rtc.MaxChatText/2+1)
	c.chat.entry.SetText(long)
	if !c.chat.alert.Visible() || !strings.Contains(c.chat.alert.Text, "Too long to send: 4098 bytes, the most is 4096.") || !c.chat.send.Disabled() {
		t.Errorf("too long: alert %v %q, send disabled %v", c.chat.alert.Visible(), c.chat.alert.Text, c.chat.send.Disabled())
	}
	c.chat.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.chat.entry.Text != long || c.chat.count != 4 {
		t.Errorf("a message too long was sent or lost")
	}
	select {
	case m := <-peer.Chat():
		t.Errorf("the other side got %d bytes", len(m.Text))
	case <-time.After(200 * time.Millisecond):
	}
	// Shortened, the alert goes and it sends.
	c.chat.entry.SetText(long[:len(long)-2])
	if c.chat.alert.Visible() || c.chat.send.Disabled() {
		t.Error("the alert stayed for a message that fits")
	}
	test.Tap(c.chat.send)
	select {
	case m := <-peer.Chat():
		if len(m.Text) != rtc.MaxChatText {
			t.Errorf("the other side got %d bytes", len(m.Text))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not send the message")
	}

	// The call over, what cannot be sent says so and stays.
	peer.Hangup()
	waitFor(t, "the end", func() bool { return !c.att.sess.ChatOpen() })
	c.chat.entry.SetText("too late")
	c.chat.submit()
	if !strings.Contains(c.chat.alert.Text, "Not sent") || c.chat.entry.Text != "too late" {
		t.Errorf("after the end: alert %q, line %q", c.chat.alert.Text, c.chat.entry.Text)
	}
}

// bubbleHead is who and when of the i-th message shown.
func bubbleHead(c *callScreen, i int) string {
	for _, o := range test.LaidOutObjects(c.chat.list.Objects[i]) {
		if text, ok := o.(*canvas.Text); ok {
			return text.Text
		}
	}
	return ""
}

// bubbleWords is the label holding the i-th message's words.
func bubbleWords(c *callScreen, i int) *widget.Label {
	for _, o := range test.LaidOutObjects(c.chat.list.Objects[i]) {
		if l, ok := o.(*widget.Label); ok {
			return l
		}
	}
	return nil
}

// A lost call shows the reconnect panel, not the chat; a message that
// comes meanwhile is counted unread, and read when the call resumes with
// the panel open.
func TestChatPanelWhileLost(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{})
	c.toggleChat()
	c.showState(rtc.StateLost, rtc.PeerMedia{})
	if c.chat.box.Visible() || !c.reconnect.box.Visible() {
		t.Fatalf("lost: chat shown %v, reconnect panel shown %v", c.chat.box.Visible(), c.reconnect.box.Visible())
	}
	checkNoOverlap(t, "lost with the chat open", c)
	c.chat.add(rtc.ChatMessage{Text: "Still there?", At: c.now()})
	if c.chat.unread != 1 || !c.chat.badge.box.Visible() {
		t.Errorf("a message while lost: %d unread, badge shown %v", c.chat.unread, c.chat.badge.box.Visible())
	}
	for range 10 {
		c.chat.add(rtc.ChatMessage{Text: "Hello?", At: c.now()})
	}
	if c.chat.badge.text.Text != "9+" {
		t.Errorf("11 unread: the badge says %q", c.chat.badge.text.Text)
	}
	c.showState(rtc.StateConnected, rtc.PeerMedia{})
	if !c.chat.box.Visible() || c.chat.unread != 0 || c.chat.badge.box.Visible() {
		t.Errorf("resumed: chat shown %v, %d unread, badge shown %v", c.chat.box.Visible(), c.chat.unread, c.chat.badge.box.Visible())
	}
}
