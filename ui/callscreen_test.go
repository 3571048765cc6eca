package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
	"peercall/media"
	"peercall/media/sound"
	"peercall/rtc"
	"peercall/rtc/rtctest"
)

// The three window sizes every call-screen state is checked at: the
// smallest the window allows, the size it opens at, and a full-HD screen.
var screenSizes = []fyne.Size{minCallSize, fyne.NewSize(960, 640), fyne.NewSize(1920, 1080)}

// atEachSize runs f in a window of each of screenSizes, as subtests named
// by the size ("480x360").
func atEachSize(t *testing.T, f func(t *testing.T, u *UI, name string, size fyne.Size)) {
	for _, size := range screenSizes {
		name := fmt.Sprintf("%.0fx%.0f", size.Width, size.Height)
		t.Run(name, func(t *testing.T) {
			u := newTestUI(t)
			u.win.Resize(size)
			f(t, u, name, size)
		})
	}
}

// handCall opens a call on a machine with no camera and no sound server,
// for a call screen whose states the test drives by hand.
func handCall(t *testing.T, u *UI) *callScreen {
	t.Helper()
	c0, err := call.Open(call.Options{
		STUN:       []string{call.NoSTUN},
		Interfaces: []string{"lo"},
		OpenCamera: func(string, int, int, int) (media.VideoSource, error) { return nil, media.ErrNoCamera },
		OpenSound:  func() (*sound.System, error) { return nil, sound.ErrNoSoundSystem },
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &attempt{call: c0, sess: c0.Session(), remote: NewVideoView("Connecting…", false), self: NewVideoView("", true),
		sendW: 640, sendH: 480}
	u.attempt = a
	c := u.showCallFor(a)
	// Nothing fades or folds by itself unless a test says so, and the
	// clock stands still.
	c.fadeAfter, c.safetyFor = time.Hour, time.Hour
	at := time.Date(2026, 12, 6, 10, 42, 0, 0, time.UTC)
	c.now = func() time.Time { return at }
	return c
}

// connectedWithCode shows a connected call whose safety code is known.
func connectedWithCode(c *callScreen, peer rtc.PeerMedia) {
	c.safety.set("4821 0937")
	c.safety.setOpen(true)
	c.showState(rtc.StateConnected, peer)
	c.connectedAt = c.now().Add(-83 * time.Second)
	c.showClock()
}

func TestCallScreenGoldens(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, _ fyne.Size) {
		c := handCall(t, u)
		golden := func(state string) {
			t.Helper()
			test.AssertRendersToMarkup(t, "call/"+state+"_"+name+".xml", u.win.Canvas())
			checkNoOverlap(t, state, c)
		}
		golden("connecting")

		connectedWithCode(c, rtc.PeerMedia{Known: true, CameraOff: true})
		c.toggleMute()
		golden("connected_muted")

		c.safety.setOpen(false)
		c.showStats(rtc.Stats{}, rtc.Stats{}, "Round trip  12 ms\nIn / out    812 / 790 kbit/s\nLoss        0.0 % of packets")
		c.toggleStats()
		golden("stats_chip")

		c.toggleStats()
		c.fade()
		golden("faded")

		showReconnecting(c, rtc.PeerMedia{Known: true, CameraOff: true}, 8400*time.Millisecond)
		golden("reconnecting")

		c.showState(rtc.StateLost, rtc.PeerMedia{Known: true, CameraOff: true})
		golden("lost")

		c.hangUp()
		u.showAfterCall("The other side hung up.", 83*time.Second)
		test.AssertRendersToMarkup(t, "call/after_"+name+".xml", u.win.Canvas())
	})
}

// showReconnecting shows a call that lost its way, with left to go
// before it stops trying, the controls awake.
func showReconnecting(c *callScreen, peer rtc.PeerMedia, left time.Duration) {
	c.wake()
	c.showState(rtc.StateReconnecting, peer)
	c.deadline = c.now().Add(left)
	c.showDetail()
}

// checkNoOverlap fails if two of the call screen's overlays share a pixel
// or one does not fit its words in the place it was given.
func checkNoOverlap(t *testing.T, state string, c *callScreen) {
	t.Helper()
	objs := c.content.Objects
	size := c.content.Size()
	names := []string{"remote", "activity", "self-view", "own badge", "their badge", "status", "statistics", "controls", "reconnect panel",
		"chat panel", "their camera", "own meter", "their meter", "muted hint"}
	for i := slotSelf; i < slotCount; i++ {
		a := objs[i]
		if !a.Visible() {
			continue
		}
		ra := rectOf(a.Position(), a.Size())
		if ra.pos.X < 0 || ra.pos.Y < 0 || ra.size.X > size.Width+0.5 || ra.size.Y > size.Height+0.5 {
			t.Errorf("%s at %v: the %s (%v %v) leaves the window", state, size, names[i], a.Position(), a.Size())
		}
		if ms := a.MinSize(); a.Size().Height+0.5 < ms.Height || a.Size().Width+0.5 < ms.Width && i != slotStats {
			t.Errorf("%s at %v: the %s is %v, its contents need %v", state, size, names[i], a.Size(), ms)
		}
		for j := i + 1; j < slotCount; j++ {
			b := objs[j]
			if !b.Visible() || i == slotSelf && (j == slotMuted || j == slotOwnLevel || j == slotHint) {
				continue // the badge, the meter and the hint sit on the self-view by design
			}
			if ra.meets(rectOf(b.Position(), b.Size())) {
				t.Errorf("%s at %v: the %s (%v %v) overlaps the %s (%v %v)", state, size,
					names[i], a.Position(), a.Size(), names[j], b.Position(), b.Size())
			}
		}
	}
}

// From the smallest window up, in every corner the self-view may be
// dragged to, with every overlay shown: no two overlap.
func TestCallOverlaysNeverOverlap(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true, AudioMuted: true, CameraOff: true})
	c.toggleMute()
	c.refreshNoticeWith(call.Missing{Camera: media.ErrNoCamera, SoundServer: sound.ErrNoSoundSystem})
	c.showStats(rtc.Stats{}, rtc.Stats{}, strings.TrimSpace(statsText(rtc.Stats{
		RTTMs: 41, FPS: 29.8, Width: 1280, Height: 720, Codec: "VP8", LatencyP50Ms: 9, LatencyP95Ms: 14,
		LocalCandidate: "198.51.100.7:53112 host", RemoteCandidate: "203.0.113.9:61001 srflx",
	}, rtc.Stats{}, time.Second)))
	c.toggleStats()
	// Both meters show; talking while muted brings the hint in place of
	// this side's meter.
	for _, talking := range []bool{false, true} {
		c.sound.showLevels(call.Levels{Local: -20, Remote: -20, Speaking: talking})
		for _, aspect := range []float32{0.75, 0.5625} {
			c.layout.aspect = aspect
			for _, corner := range []corner{bottomRight, bottomLeft, topRight, topLeft} {
				c.layout.corner = corner
				for _, open := range []bool{true, false} {
					c.safety.setOpen(open)
					for w := minCallSize.Width; w <= 2000; w += 53 {
						for h := minCallSize.Height; h <= 1200; h += 47 {
							u.win.Resize(fyne.NewSize(w, h))
							what := fmt.Sprintf("corner %d aspect %.2f safety open %v talking %v", corner, aspect, open, talking)
							checkNoOverlap(t, what, c)
							if !c.sound.peer.Visible() || (c.sound.own.Visible() || c.sound.hint.box.Visible()) != true {
								t.Errorf("%s at %v: their meter shown %v, own meter %v, hint %v", what, c.content.Size(),
									c.sound.peer.Visible(), c.sound.own.Visible(), c.sound.hint.box.Visible())
							}
							if talking != c.sound.hint.box.Visible() {
								t.Errorf("%s at %v: the hint shown %v", what, c.content.Size(), c.sound.hint.box.Visible())
							}
						}
					}
				}
			}
		}
	}
}

func TestMuteAndCameraOffShow(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{Known: true})
	if c.mutedBadge.box.Visible() {
		t.Fatal("a badge before anything was turned off")
	}
	test.Tap(c.mute)
	if !c.att.call.Muted() || c.mute.Icon != iconMicOff || c.mute.Importance != widget.WarningImportance {
		t.Errorf("after Mute: muted %v, icon %v, importance %v", c.att.call.Muted(), c.mute.Icon.Name(), c.mute.Importance)
	}
	if !c.mutedBadge.box.Visible() || c.mutedBadge.label.Text != "You are muted" {
		t.Errorf("no “You are muted” on the self-view (%q)", c.mutedBadge.label.Text)
	}
	// The badge stays when the controls fade: it is the state, not a control.
	c.fade()
	if c.controls.Visible() || !c.mutedBadge.box.Visible() {
		t.Errorf("faded: controls shown %v, badge shown %v", c.controls.Visible(), c.mutedBadge.box.Visible())
	}
	c.wake()
	test.Tap(c.mute)
	if c.att.call.Muted() || c.mute.Icon != iconMic || c.mutedBadge.box.Visible() {
		t.Error("unmuting left the muted look")
	}
	// The other side's state on their picture.
	c.showState(rtc.StateConnected, rtc.PeerMedia{Known: true, AudioMuted: true})
	if !c.peerBadge.box.Visible() || c.peerBadge.label.Text != "They are muted" {
		t.Errorf("their mute is not shown (%q)", c.peerBadge.label.Text)
	}
	c.showState(rtc.StateConnected, rtc.PeerMedia{Known: true})
	if c.peerBadge.box.Visible() {
		t.Error("their badge stayed after they unmuted")
	}
}

func TestControlsFadeAndComeBack(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	c.fadeAfter = 30 * time.Millisecond
	connectedWithCode(c, rtc.PeerMedia{})
	// The safety code's first moments hold the controls.
	c.safetyUntil = time.Now().Add(time.Hour)
	c.wake()
	time.Sleep(100 * time.Millisecond)
	pumpUI()
	if !c.controls.Visible() || !c.top.Visible() {
		t.Fatal("the controls faded while the safety code was new")
	}
	c.safetyUntil = time.Time{}
	c.wake()
	waitFor(t, "the controls to fade", func() bool { return !c.controls.Visible() && !c.top.Visible() })
	// The pointer moving over the picture brings them back.
	test.MoveMouse(u.win.Canvas(), fyne.NewPos(300, 200))
	if !c.controls.Visible() || !c.top.Visible() {
		t.Fatal("moving the pointer did not bring the controls back")
	}
	waitFor(t, "the controls to fade again", func() bool { return !c.controls.Visible() })
	// So does a key.
	u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeySpace})
	if !c.controls.Visible() {
		t.Fatal("a key did not bring the controls back")
	}
	// A call that is not connected keeps them.
	c.showState(rtc.StateReconnecting, rtc.PeerMedia{})
	time.Sleep(100 * time.Millisecond)
	pumpUI()
	if !c.controls.Visible() || !c.top.Visible() {
		t.Error("the controls faded while reconnecting")
	}
}

func TestSafetyCodeFoldsToAChip(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	c.safetyFor = 30 * time.Millisecond
	c.safety.code = ""
	c.showState(rtc.StateConnected, rtc.PeerMedia{})
	if c.att.sess.SafetyCode() == "" {
		// No connection in this test: give the chip its code by hand.
		c.safety.set("4821 0937")
		c.safety.setOpen(true)
		c.safetyUntil = time.Now().Add(c.safetyFor)
		c.after(c.safetyFor, func() { c.safety.setOpen(false) })
	}
	if !c.safety.open() {
		t.Fatal("the safety code is not explained at first")
	}
	waitFor(t, "the chip", func() bool { return !c.safety.open() })
	if !c.safety.box.Visible() || !strings.Contains(c.safety.chip.Text, "4821 0937") {
		t.Errorf("the chip %q", c.safety.chip.Text)
	}
	test.Tap(c.safety.chip)
	if !c.safety.open() {
		t.Error("clicking the chip did not open it")
	}
}

func TestSelfViewSnapsToTheCornerItIsDraggedTo(t *testing.T) {
	u := newTestUI(t)
	u.win.Resize(fyne.NewSize(960, 640))
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{})
	start := c.self.Position()
	if start.X < 480 || start.Y < 320 {
		t.Fatalf("the self-view starts at %v, not bottom right", start)
	}
	grab := start.Add(fyne.NewPos(20, 20))
	test.Drag(u.win.Canvas(), grab, -start.X+100, -start.Y+60)
	at := c.self.Position()
	if c.layout.corner != topLeft || at.X != callMargin || at.Y != callMargin {
		t.Errorf("dropped near the top left: corner %d, at %v", c.layout.corner, at)
	}
	// The status panel moved below it.
	if c.top.Position().Y < at.Y+c.self.Size().Height {
		t.Errorf("the status panel at %v is under the self-view", c.top.Position())
	}
	// A wide picture gives a wide self-view.
	c.layout.aspect = 9.0 / 16
	c.content.Refresh()
	if s := c.self.Size(); s.Height/s.Width > 0.57 {
		t.Errorf("16:9 self-view is %v", s)
	}
}

func TestConnectionQuality(t *testing.T) {
	base := rtc.Stats{PacketsReceived: 1000, AudioPacketsReceived: 500}
	next := func(got, lost uint64, rtt float64, sendW int) rtc.Stats {
		s := base
		s.PacketsReceived += got
		s.PacketsLost += int64(lost)
		s.RTTMs, s.SendWidth, s.SendHeight = rtt, sendW, sendW*3/4
		return s
	}
	for _, tc := range []struct {
		name string
		st   rtc.Stats
		want quality
	}{
		{"clean", next(100, 0, 30, 640), qualityGood},
		{"5 % lost", next(95, 5, 30, 640), qualityFair},
		{"20 % lost", next(80, 20, 30, 640), qualityPoor},
		{"300 ms round trip", next(100, 0, 300, 640), qualityFair},
		{"a second's round trip", next(100, 0, 1000, 640), qualityPoor},
		{"sending half the width", next(100, 0, 30, 320), qualityFair},
		{"sending a third", next(100, 0, 30, 160), qualityPoor},
		{"nothing known", base, qualityUnknown},
	} {
		if got := connectionQuality(tc.st, base, 640); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The meter's tip gives the figures behind it.
	if got := qualityText(qualityFair, next(95, 5, 30, 640), base); got != "Connection fair: round trip 30 ms, 5.0 % lost, sending 640×480" {
		t.Errorf("tip %q", got)
	}
}

func TestCallAgainAfterACall(t *testing.T) {
	u := newTestUI(t)
	c := handCall(t, u)
	connectedWithCode(c, rtc.PeerMedia{})
	c.connectedAt = c.now().Add(-(2*time.Minute + 5*time.Second))
	test.Tap(c.hangup)
	if u.call != nil {
		t.Fatal("hang-up kept the call screen")
	}
	text := test.LaidOutObjects(u.win.Canvas().Content())
	var said string
	var again fyne.Tappable
	for _, o := range text {
		switch w := o.(type) {
		case *widget.Label:
			said += w.Text + "\n"
		case *widget.Button:
			if w.Text == "Call again" {
				again = w
			}
		}
	}
	if !strings.Contains(said, "The call lasted 2:05.") {
		t.Errorf("home says %q, not how long the call lasted", said)
	}
	if again == nil {
		t.Fatal("no Call again button")
	}
	again.Tapped(&fyne.PointEvent{})
	if u.parts.code == nil {
		t.Fatal("Call again did not open the start screen")
	}
	waitFor(t, "a new invite", func() bool { return strings.HasPrefix(u.parts.code.label.Text, "PC") })
}

func TestMessagesAreSentences(t *testing.T) {
	for _, err := range knownErrors {
		got := userMessage(nil, "", fmt.Errorf("layer: %w (detail 42)", err))
		if got == "" || strings.ToUpper(got[:1]) != got[:1] || !strings.HasSuffix(got, ".") ||
			strings.Contains(got, "(") || strings.Contains(got, "layer") {
			t.Errorf("%q is not a sentence without tails", got)
		}
	}
	if got := userMessage(nil, "Preparing an invite", errors.New("ice: no such interface (errno 19)")); strings.Contains(got, "errno") || strings.Contains(got, "ice:") {
		t.Errorf("an unknown error shows its library words: %q", got)
	}
}

// Home, start and join at the three sizes: laid out alike, centred.
func TestScreensGoldens(t *testing.T) {
	atEachSize(t, func(t *testing.T, u *UI, name string, _ fyne.Size) {
		u.showHome("")
		test.AssertRendersToMarkup(t, "screens/home_"+name+".xml", u.win.Canvas())
		homeButtons := buttonPlaces(u)
		u.showAfterCall("The other side hung up.", 83*time.Second)
		test.AssertRendersToMarkup(t, "screens/after_"+name+".xml", u.win.Canvas())
		// The message below moved nothing above it.
		for label, at := range buttonPlaces(u) {
			if was, ok := homeButtons[label]; ok && was != at {
				t.Errorf("%q moved from %v to %v when the message came", label, was, at)
			}
		}
		u.showJoin()
		test.AssertRendersToMarkup(t, "screens/join_"+name+".xml", u.win.Canvas())
		u.showStart()
		waitFor(t, "invite code", func() bool { return strings.HasPrefix(u.parts.code.label.Text, "PC") })
		own := u.parts.code.label.Text
		u.parts.code.label.SetText("PC" + strings.Repeat("x", len(own)-2))
		test.AssertRendersToMarkup(t, "screens/start_"+name+".xml", u.win.Canvas())
		u.parts.code.label.SetText(own)
	})
}

// buttonPlaces maps each button's label to where it is in the window.
func buttonPlaces(u *UI) map[string]fyne.Position {
	places := map[string]fyne.Position{}
	for _, o := range test.LaidOutObjects(u.win.Canvas().Content()) {
		if b, ok := o.(*widget.Button); ok && b.Visible() {
			places[b.Text] = fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		}
	}
	return places
}

// Joining: the reply appearing below the pasted invite moves nothing above.
func TestJoinScreenKeepsItsPlace(t *testing.T) {
	u := newTestUI(t)
	u.win.Resize(fyne.NewSize(960, 640))
	u.showJoin()
	field := fyne.CurrentApp().Driver().AbsolutePositionForObject(u.parts.field.entry)
	invite, _ := rtctest.Invite(t)
	test.Type(u.parts.field.entry, invite)
	waitFor(t, "the reply", func() bool { return strings.HasPrefix(u.parts.code.label.Text, "PC") })
	if now := fyne.CurrentApp().Driver().AbsolutePositionForObject(u.parts.field.entry); now != field {
		t.Errorf("the invite field moved from %v to %v when the reply came", field, now)
	}
}
