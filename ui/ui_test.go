package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
	"peercall/media"
	"peercall/media/mediatest"
	"peercall/rtc"
	"peercall/rtc/invite"
	"peercall/rtc/rtctest"
)

// uiQueue holds what other goroutines hand to the UI during a test; the
// test goroutine runs it, so it is the one UI goroutine, as in the app.
var uiQueue = make(chan func(), 1024)

var queueUI sync.Once

// pumpUI runs what is queued for the UI.
func pumpUI() {
	for {
		select {
		case f := <-uiQueue:
			f()
		default:
			return
		}
	}
}

func newTestUI(t *testing.T) *UI {
	t.Helper()
	// Set once for the whole test binary: goroutines of an attempt a test
	// left may still hand work to the UI after it ends (the next test's
	// pumpUI runs it, and it finds its screen gone).
	queueUI.Do(func() { setUIRunner(func(f func()) { uiQueue <- f }) })
	t.Cleanup(pumpUI)
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(800, 600))
	u := newUI(a, w, Options{Source: "pattern", Interfaces: []string{"lo"}})
	t.Cleanup(u.endAttempt)
	return u
}

// waitFor polls until cond holds; the engine answers on its own goroutines.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for pumpUI(); !cond(); pumpUI() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHomeScreen(t *testing.T) {
	u := newTestUI(t)
	u.showHome("")
	test.AssertRendersToMarkup(t, "home.xml", u.win.Canvas())
	u.showHome("The other side hung up.")
	test.AssertRendersToMarkup(t, "home_after_call.xml", u.win.Canvas())
}

func TestJoinScreenExplainsBadPastes(t *testing.T) {
	u := newTestUI(t)
	u.showJoin()
	test.AssertRendersToMarkup(t, "join.xml", u.win.Canvas())
	good, inviter := rtctest.Invite(t)
	// A reply made to that invite: the wrong kind for this field.
	reply, _ := rtctest.Join(t, good)
	_ = inviter
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"not a code", "hello, here is the code!", invite.ErrNotCode},
		{"damaged", good[:30] + swap(good[30]) + good[31:], invite.ErrDamaged},
		{"cut short", good[:len(good)-12], invite.ErrTruncated},
		{"a reply", reply, invite.ErrUnexpectedReply},
	} {
		field := u.parts.field
		field.entry.SetText("")
		test.Type(field.entry, tc.text)
		if got, want := field.errText.Text, userMessage(nil, "", tc.want); got != want {
			t.Errorf("%s: message %q, want %q", tc.name, got, want)
		}
		if u.attempt != nil {
			t.Fatalf("%s: a bad paste started a call", tc.name)
		}
	}
	u.parts.field.entry.SetText("")
	test.Type(u.parts.field.entry, "see you at eight!")
	test.AssertRendersToMarkup(t, "join_error.xml", u.win.Canvas())

	// A good invite, pasted with chat-app wrapping, gives a reply code.
	u.parts.field.entry.SetText("")
	test.Type(u.parts.field.entry, "“"+good[:40]+"\n"+good[40:]+"” ")
	waitFor(t, "reply code", func() bool { return strings.HasPrefix(u.parts.code.label.Text, invite.Prefix) })
	if u.parts.code.copy.Disabled() {
		t.Error("Copy is disabled with a reply to copy")
	}
	test.Tap(u.parts.code.copy)
	if got := u.app.Clipboard().Content(); got != u.parts.code.label.Text {
		t.Errorf("clipboard holds %q", got)
	}
	// Cancel releases the attempt.
	a := u.attempt
	u.showHome("")
	if u.attempt != nil {
		t.Error("cancel kept the attempt")
	}
	select {
	case <-a.sess.Done():
	case <-time.After(10 * time.Second):
		t.Error("the cancelled attempt was not released")
	}
}

func TestStartScreenValidatesTheReply(t *testing.T) {
	u := newTestUI(t)
	u.showStart()
	waitFor(t, "invite code", func() bool { return strings.HasPrefix(u.parts.code.label.Text, invite.Prefix) })
	own := u.parts.code.label.Text
	// Codes are random: render the screen around a fixed one.
	u.parts.code.label.SetText("PC" + strings.Repeat("x", len(own)-2))
	test.AssertRendersToMarkup(t, "start.xml", u.win.Canvas())
	u.parts.code.label.SetText(own)
	// A reply to another invite, one the code alone tells apart (see
	// TestStartScreenAfterARefusedReply for a reply refused as it
	// connects).
	other, _ := rtctest.OtherInvite(t, own)
	strangerReply, _ := rtctest.Join(t, other)
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"own invite", own, invite.ErrOwnCode},
		{"someone's invite", other, invite.ErrUnexpectedInvite},
		{"reply to another invite", strangerReply, invite.ErrOtherInvite},
	} {
		field := u.parts.field
		field.entry.SetText("")
		test.Type(field.entry, tc.text)
		if got, want := field.errText.Text, userMessage(nil, "", tc.want); got != want {
			t.Errorf("%s: message %q, want %q", tc.name, got, want)
		}
		if u.call != nil {
			t.Fatalf("%s: a bad reply started the call", tc.name)
		}
	}
	// The clipboard holding a valid reply is offered in one click.
	reply, joiner := rtctest.Join(t, own)
	u.parts.field.entry.SetText("")
	u.app.Clipboard().SetContent(reply)
	u.offerClipboard()
	paste := u.parts.field.paste
	if !paste.Visible() {
		t.Fatal("a reply on the clipboard was not offered")
	}
	test.Tap(paste)
	// The call screen comes as soon as the reply is in.
	if u.call == nil {
		t.Fatalf("pasting the reply did not start the call (%q)", u.parts.field.errText.Text)
	}
	waitFor(t, "connected", func() bool { return u.attempt.sess.State() == rtc.StateConnected })
	waitFor(t, "status", func() bool { return u.call.status.Text == "Connected" })
	if u.call.safety.code != joiner.SafetyCode() || !u.call.safety.box.Visible() {
		t.Errorf("safety code %q, want the joiner's %q", u.call.safety.code, joiner.SafetyCode())
	}
	// The peer hangs up: back home with a message.
	joiner.Close()
	waitFor(t, "home after hang-up", func() bool { return u.call == nil && u.attempt == nil })

	// A new call works without restarting, and cancelling while the invite
	// is being prepared leaves nothing behind.
	u.showStart()
	u.showHome("")
	u.showStart()
	waitFor(t, "a second invite", func() bool { return strings.HasPrefix(u.parts.code.label.Text, invite.Prefix) })
	if u.parts.code.label.Text == own {
		t.Error("the second call reused the first invite")
	}
}

// A reply that names the invited person but comes from someone else: the
// call screen goes back to the same invite with the reason, and the
// genuine reply pasted next connects.
func TestStartScreenAfterARefusedReply(t *testing.T) {
	u := newTestUI(t)
	u.showStart()
	waitFor(t, "invite code", func() bool { return strings.HasPrefix(u.parts.code.label.Text, invite.Prefix) })
	own := u.parts.code.label.Text
	genuine, meant := rtctest.Join(t, own)
	impostorReply, _ := rtctest.Join(t, own)
	code, err := invite.Decode(impostorReply)
	if err != nil {
		t.Fatal(err)
	}
	g, err := invite.Decode(genuine)
	if err != nil {
		t.Fatal(err)
	}
	code.Fingerprint = g.Fingerprint // the impostor's addresses and credentials
	forged, err := invite.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	test.Type(u.parts.field.entry, forged)
	if u.call == nil {
		t.Fatalf("the forged reply did not start the call (%q)", u.parts.field.errText.Text)
	}
	waitFor(t, "back to the invite", func() bool { return u.call == nil && u.parts.code != nil })
	if u.parts.code.label.Text != own {
		t.Errorf("the invite shown is %q, want the same one", u.parts.code.label.Text)
	}
	if got := u.parts.field.errText.Text; !strings.Contains(got, "refused") {
		t.Errorf("message %q, want it to say the reply was refused", got)
	}
	if u.attempt == nil || u.attempt.sess.State() != rtc.StateWaiting {
		t.Fatal("the invite is not waiting for a reply any more")
	}
	// Pasting the same forged reply again is refused at once.
	test.Type(u.parts.field.entry, forged)
	if got := u.parts.field.errText.Text; !strings.Contains(got, "refused") || u.call != nil {
		t.Errorf("the same forged reply again: message %q, call screen %v", got, u.call != nil)
	}
	u.parts.field.entry.SetText("")
	test.Type(u.parts.field.entry, genuine)
	if u.call == nil {
		t.Fatalf("the genuine reply did not start the call (%q)", u.parts.field.errText.Text)
	}
	waitFor(t, "connected", func() bool { return u.call != nil && u.call.status.Text == "Connected" })
	if u.call.safety.code != meant.SafetyCode() {
		t.Errorf("safety code %q, want the genuine joiner's %q", u.call.safety.code, meant.SafetyCode())
	}
}

func swap(c byte) string {
	if c == 'z' {
		return "y"
	}
	return "z"
}

// A camera that goes away during a call is named on the call screen, and
// the notice goes when it comes back.
func TestCallScreenNamesACameraThatGoesAway(t *testing.T) {
	u := newTestUI(t)
	cam := mediatest.NewCamera(320, 240, 15)
	quiet := func(o call.Options) call.Options {
		o.Width, o.Height, o.FPS = 320, 240, 15
		o.Audio, o.Output = call.AudioNone, call.OutputNone
		o.STUN, o.Interfaces = []string{call.NoSTUN}, []string{"lo"}
		return o
	}
	mine, err := call.Open(quiet(call.Options{
		Video:      call.VideoCamera,
		OpenCamera: func(string, int, int, int) (media.VideoSource, error) { return cam, nil },
	}))
	if err != nil {
		t.Fatal(err)
	}
	peer, err := call.Open(quiet(call.Options{Video: call.VideoPattern}))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	showConnectedCall(t, u, mine, peer)
	if u.call.notice.Visible() {
		t.Fatalf("a notice with the camera working: %q", u.call.notice.Text)
	}
	cam.Hang()
	waitFor(t, "the notice", func() bool {
		return u.call.notice.Visible() && strings.Contains(u.call.notice.Text, "camera stopped")
	})
	cam.Resume()
	waitFor(t, "the notice gone", func() bool { return !u.call.notice.Visible() })
}

// showConnectedCall connects mine (this window's call) to peer on
// loopback and shows the call screen, connected.
func showConnectedCall(t *testing.T, u *UI, mine, peer *call.Call) {
	t.Helper()
	a := &attempt{call: mine, sess: mine.Session(), remote: NewVideoView("Connecting…", false), self: NewVideoView("", true)}
	u.attempt = a
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	inv, err := a.sess.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := peer.Session().Join(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.sess.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	u.showCall(a)
	waitFor(t, "connected", func() bool { return u.call != nil && u.call.status.Text == "Connected" })
}

// A screen that goes takes the focus with it: a field focused on it would
// keep its cursor blinking out of sight, and the window repainting eight
// times a second through the call that follows.
func TestLeavingAScreenLeavesNothingFocused(t *testing.T) {
	u := newTestUI(t)
	f := &focusProbe{}
	f.ExtendBaseWidget(f)
	u.setScreen(f, nil)
	u.win.Canvas().Focus(f)
	if !f.focused {
		t.Fatal("the probe did not take the focus")
	}
	u.showHome("")
	if f.focused {
		t.Error("the field of the screen before still has the focus")
	}
}

// focusProbe is a focusable widget that knows whether it has the focus.
type focusProbe struct {
	widget.Label
	focused bool
}

func (f *focusProbe) FocusGained()            { f.focused = true }
func (f *focusProbe) FocusLost()              { f.focused = false }
func (f *focusProbe) TypedRune(rune)          {}
func (f *focusProbe) TypedKey(*fyne.KeyEvent) {}
