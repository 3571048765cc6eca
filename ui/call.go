package ui

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
	"peercall/media"
	"peercall/rtc"
)

// Keyboard shortcuts of the call screen.
var (
	shortcutMute   = &desktop.CustomShortcut{KeyName: fyne.KeyD, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutCamera = &desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutHangup = &desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutStats  = &desktop.CustomShortcut{KeyName: fyne.KeyI, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutSelf   = &desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutFull   = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
)

// endMessage says in words why a call ended.
func endMessage(reason error) string {
	switch {
	case reason == nil:
		return "Call ended."
	case errors.Is(reason, rtc.ErrPeerHungUp):
		return "The other side hung up."
	case errors.Is(reason, rtc.ErrConnectionLost):
		return "The call ended: the connection was lost."
	case errors.Is(reason, rtc.ErrPeerNotVerified):
		return "The call was refused: whoever answered is not the one whose reply code you pasted, so someone else may be listening in. Ask your contact for a new code."
	case errors.Is(reason, rtc.ErrConnectFailed):
		return "The call could not connect. Check that both codes were pasted whole; on some networks a TURN server (Settings) is needed."
	default:
		return "The call ended unexpectedly. Run peercall --verbose from a terminal to see why."
	}
}

// replyRefusedMessage is shown under the reply field when the reply pasted
// came from someone other than the person it names.
const replyRefusedMessage = "That reply was refused: whoever answered is not the person the reply code names, so someone else may have seen your invite. Your invite still stands: paste the reply from the person you invited."

// callScreen is the call in progress.
type callScreen struct {
	u      *UI
	att    *attempt
	cancel context.CancelFunc
	ctx    context.Context // ends when the call screen goes

	files   *filesPanel // file transfers (files.go)
	sendBtn *tipButton

	content *fyne.Container
	layout  *callLayout

	status  *widget.Label // "Connected", "Trying to reconnect…"
	timer   *widget.Label // how long the call has lasted
	quality *qualityMeter
	detail  *widget.Label // what reconnecting means, with a countdown
	notice  *widget.Label // what the call lacks
	safety  *safetyChip
	top     fyne.CanvasObject

	peerBadge  *badge // the other side's microphone and camera
	mutedBadge *badge // this side's
	stats      *widget.Label
	statsBox   fyne.CanvasObject
	statsText  string // the last statistics, shown when the panel opens
	self       *selfBox
	controls   fyne.CanvasObject

	mute, camera, hangup, full, statsBtn, selfBtn *tipButton
	devices                                       *tipButton        // the camera, microphone and speaker menu
	devicesMenu                                   *widget.PopUpMenu // that menu, while it is open
	deviceItems                                   *fyne.Menu        // and what it offers
	reconnect                                     *reconnectPanel
	chatBtn                                       *tipButton
	chat                                          *chatPanel // chat.go
	chatShown                                     bool
	screenShare

	sound *callSound // the volume, the meters and the muted hint

	direct directDrawing // the pictures' surfaces (direct.go)

	state       rtc.State
	connectedAt time.Time // the first connection; zero before
	deadline    time.Time // when reconnecting stops trying by itself
	selfShown   bool
	statsShown  bool
	chrome      bool // controls and status shown
	hovering    int  // controls under the pointer
	muted       bool
	cameraOff   bool

	// The controls fade after fadeAfter without the pointer moving or a
	// key pressed; the safety code's advice shows for safetyFor after the
	// code is known. (Tests shorten them.)
	fadeAfter, safetyFor time.Duration
	activeAt             time.Time // the pointer's last move or key press
	fadeTimer            *time.Timer
	safetyUntil          time.Time
	timers               []*time.Timer    // one-shots to stop when the screen goes
	now                  func() time.Time // the clock the call's length is read on
}

// showCall switches to the call screen for an attempt that has both codes
// and starts following the session and the devices.
func (u *UI) showCall(att *attempt) {
	c := u.showCallFor(att)
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	c.cancel = func() {
		cancel()
		c.stopTimers()
	}
	go bridge(ctx, att.sess, c)
	go watchDevices(ctx, att.call, c)
	go c.followOffers(ctx, att.sess)
	go watchLevels(ctx, att.call, c.sound)
	go watchChat(ctx, att.sess, c)
	go c.followDirect(ctx)
	go settle(ctx)
}

// settle hands the memory that setting up a call used and let go of —
// the codes' gathering, the first pictures, the software renderer's
// shader compiling — back to the system once the call has settled: the
// heap would otherwise keep it until it is needed again.
func settle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(8 * time.Second):
		debug.FreeOSMemory()
	}
}

// showCallFor builds the call screen without following the session.
func (u *UI) showCallFor(att *attempt) *callScreen {
	c := &callScreen{u: u, att: att, selfShown: true, chrome: true, fadeAfter: 3 * time.Second, safetyFor: 20 * time.Second,
		now: time.Now, ctx: context.Background()}
	c.cancel = c.stopTimers
	c.files = newFilesPanel(c)
	c.status = widget.NewLabelWithStyle("Connecting…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.timer = widget.NewLabel("") // the theme's digits are all one width
	c.quality = newQualityMeter()
	c.detail = widget.NewLabel("")
	c.detail.Wrapping = fyne.TextWrapWord
	c.detail.Hide()
	c.notice = widget.NewLabel("")
	c.notice.Wrapping = fyne.TextWrapWord
	c.notice.Hide()
	c.safety = newSafetyChip()
	c.safety.chip.OnTapped = func() {
		c.safety.setOpen(!c.safety.open())
		c.wake()
	}
	c.status.Wrapping = fyne.TextWrapWord
	row := container.NewBorder(nil, nil, container.NewCenter(c.quality), c.timer, c.status)
	c.top = overlay(container.NewVBox(row, c.detail, c.notice, c.safety.box, c.files.box))

	c.peerBadge = newBadge(overlayFill)
	c.mutedBadge = newBadge(alertFill)
	c.stats = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	c.stats.Wrapping = fyne.TextWrapBreak
	c.statsBox = overlay(container.NewVScroll(c.stats))

	c.mute = newTipButton(iconMic, "", c.toggleMute)
	c.camera = newTipButton(iconCamera, "", c.toggleCamera)
	c.hangup = newTipButton(iconHangup, "Hang up (Ctrl+W)", c.hangUp)
	c.hangup.Importance = widget.DangerImportance
	c.full = newTipButton(theme.ViewFullScreenIcon(), "Full screen (Ctrl+F; Esc leaves)", c.toggleFullScreen)
	c.statsBtn = newTipButton(iconStats, "Statistics (Ctrl+I)", c.toggleStats)
	c.selfBtn = newTipButton(iconSelfView, "Hide self-view (Ctrl+P)", c.toggleSelf)
	c.devices = newTipButton(theme.SettingsIcon(), "Camera, microphone and speaker (Ctrl+,)", c.showDevices)
	c.chatBtn = newTipButton(iconChat, "Chat (Ctrl+T)", c.toggleChat)
	c.chat = newChatPanel(c)
	c.sendBtn = newTipButton(theme.UploadIcon(), "Send a file (or drop one on the window)", c.pickFile)
	c.setUpScreenShare()
	c.sound = newCallSound(c)
	buttons := []*tipButton{c.mute, c.camera, c.share, c.sound.button, c.devices, c.selfBtn, c.statsBtn, c.chatBtn, c.sendBtn, c.full, c.hangup}
	ctlRow := &controlsRow{}
	row2 := container.New(ctlRow)
	for _, b := range buttons {
		b.hover = c.hover
		if b == c.chatBtn {
			row2.Add(withBadge(b, c.chat.badge))
			continue
		}
		row2.Add(b)
	}
	c.controls = overlay(row2)
	c.showMuted(att.call.Muted())
	c.showCameraOff(att.call.CameraOff())

	c.self = newSelfBox(att.self)
	c.layout = &callLayout{corner: bottomRight, aspect: att.selfAspect(), own: c.mutedBadge, peer: c.peerBadge, safety: c.safety,
		statsLabel: c.stats, onCover: c.showOverlays, sound: c.sound, row: ctlRow}
	c.self.dragged = func(fyne.Position) { c.layout.dragging = true }
	c.self.dropped = func(at fyne.Position) {
		c.layout.dragging = false
		c.layout.corner = nearestCorner(at, c.self.Size(), c.content.Size())
		c.relayout()
	}
	c.reconnect = newReconnectPanel(c)
	c.content = container.New(c.layout, att.remote, newActivityArea(c.wake), c.self, c.mutedBadge.box,
		c.peerBadge.box, c.top, c.statsBox, c.controls, c.reconnect.box, c.chat.box, c.peerCam, c.sound.own, c.sound.peer, c.sound.hint.box)
	shortcuts := map[fyne.Shortcut]func(){
		shortcutMute: c.toggleMute, shortcutCamera: c.toggleCamera, shortcutHangup: c.hangUp,
		shortcutStats: c.toggleStats, shortcutSelf: c.toggleSelf, shortcutFull: c.toggleFullScreen,
		shortcutReconnect: c.reconnect.begin, shortcutCopy: c.reconnect.copyCode,
		shortcutSettings: c.showDevices, shortcutChat: c.toggleChat, shortcutShare: c.toggleShare,
	}
	for s, f := range shortcuts {
		shortcuts[s] = func() {
			c.wake()
			f()
		}
	}
	// The picture edge to edge, in full screen too.
	u.edgeToEdge = true
	u.setScreen(c.content, shortcuts)
	u.win.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		c.wake()
		if e.Name == fyne.KeyEscape && u.win.FullScreen() {
			c.toggleFullScreen()
		}
	})
	u.call = c
	c.layout.laidOut = func() {
		if u.call == c {
			c.syncDirect()
		}
	}
	u.win.SetOnDropped(c.dropped)
	c.refreshNotice()
	c.arrange()
	c.wake()
	return c
}

// selfAspect is the shape of the picture this side sends, height over
// width: the self-view takes it.
func (a *attempt) selfAspect() float32 {
	if a.sendW <= 0 || a.sendH <= 0 {
		return 0.75
	}
	return float32(a.sendH) / float32(a.sendW)
}

// arrange shows what the call's state calls for, and lays it out again.
func (c *callScreen) arrange() {
	c.showOverlays()
	c.relayout()
}

// showOverlays shows what the call's state calls for. The chat panel,
// where it covers the picture (a narrow window), hides the overlays but
// the controls.
func (c *callScreen) showOverlays() {
	lost := c.reconnect.box.Visible()
	showIf(c.chat.box, c.chatShown && !lost)
	if c.chat.box.Visible() && c.chat.unread > 0 {
		// Back on screen (the call resumed): what came meanwhile is read.
		c.chat.unread = 0
		c.chat.badge.set(0)
	}
	hidden := lost || c.chatShown && c.layout.covered
	showIf(c.self, c.selfShown && !hidden)
	showIf(c.mutedBadge.box, c.mutedBadge.text != "" && !hidden)
	showIf(c.peerBadge.box, c.peerBadge.text != "" && !hidden)
	showIf(c.statsBox, c.statsShown && !hidden)
	showIf(c.top, c.chrome && !hidden)
	showIf(c.controls, c.chrome || lost)
	c.layout.peerCamShown = c.remoteSharing && !hidden
	c.sound.arrange(hidden)
}

// relayout places the overlays again after their contents changed size.
// (Refreshing the whole container would also redraw the pictures.)
func (c *callScreen) relayout() {
	c.layout.Layout(c.content.Objects, c.content.Size())
}

func showIf(o fyne.CanvasObject, shown bool) {
	if shown {
		o.Show()
	} else {
		o.Hide()
	}
}

// wake brings the controls and status back, and lets them fade again
// after fadeAfter of stillness.
func (c *callScreen) wake() {
	c.activeAt = time.Now()
	if !c.chrome {
		c.chrome = true
		c.arrange()
	}
	if c.fadeTimer == nil {
		c.fadeTimer = time.AfterFunc(c.fadeAfter, func() { onUI(c.fadeWhenStill) })
	} else {
		c.fadeTimer.Reset(c.fadeAfter)
	}
}

// fadeWhenStill fades the controls if nothing happened for fadeAfter, or
// waits for what is left of it.
func (c *callScreen) fadeWhenStill() {
	if c.u.call != c || c.fadeTimer == nil {
		return
	}
	if left := c.fadeAfter - time.Since(c.activeAt); left > 0 {
		c.fadeTimer.Reset(left)
		return
	}
	c.fade()
}

// fade hides the controls and status, unless something needs them: a
// call not connected, the pointer on a control, the safety code's first
// moments (they fade when those end).
func (c *callScreen) fade() {
	if !c.chrome || c.state != rtc.StateConnected || c.hovering > 0 || c.reconnect.box.Visible() || c.sound.popupOpen() || c.files.asking() {
		return
	}
	if time.Now().Before(c.safetyUntil) {
		return
	}
	c.chrome = false
	c.arrange()
}

// hover follows the pointer over the controls: they stay while it rests
// there.
func (c *callScreen) hover(in bool) {
	if in {
		c.hovering++
		c.wake()
	} else {
		c.hovering = max(c.hovering-1, 0)
		c.wake()
	}
}

// after runs f on the UI goroutine after d, unless the call screen goes.
func (c *callScreen) after(d time.Duration, f func()) {
	c.timers = append(c.timers, time.AfterFunc(d, func() {
		onUI(func() {
			if c.u.call == c {
				f()
			}
		})
	}))
}

func (c *callScreen) stopTimers() {
	c.closeDirect()
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	if c.fadeTimer != nil {
		c.fadeTimer.Stop()
		c.fadeTimer = nil
	}
	if c.sound != nil && c.sound.popupOpen() {
		c.sound.popup.Hide() // it lies over the window, not the screen
	}
}

// refreshNotice names what the call is missing, and what that means for
// the two people.
func (c *callScreen) refreshNotice() { c.refreshNoticeWith(c.att.call.Missing()) }

func (c *callScreen) refreshNoticeWith(m call.Missing) {
	setOrHide(c.notice, c.withShareNote(missingText(m)))
	c.arrange()
}

// missingText says in words what a call lacks; empty when nothing.
func missingText(m call.Missing) string {
	var lines []string
	switch {
	case m.Camera == nil:
	case errors.Is(m.Camera, media.ErrCameraSilent):
		lines = append(lines, "Your camera stopped sending pictures: they see a “camera off” picture.")
	default:
		lines = append(lines, "No camera: they see a “camera off” picture.")
	}
	switch {
	case m.SoundServer != nil:
		lines = append(lines, "No sound system: no sound either way.")
	default:
		if m.Microphone != nil {
			lines = append(lines, "No microphone: they cannot hear you.")
		}
		if m.Speaker != nil {
			lines = append(lines, "No speaker: you cannot hear them.")
		}
	}
	return strings.Join(lines, "\n")
}

// setOrHide shows a label with text, or hides it when there is none, so
// empty lines take no room on the video.
func setOrHide(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func (c *callScreen) showState(state rtc.State, peer rtc.PeerMedia) {
	if refused := c.att.sess.RefusedReply(); refused != nil && state == rtc.StateWaiting {
		// The reply was refused and the invite stands: back to it.
		c.cancel()
		if c.u.attempt == c.att {
			c.u.showStartFor(c.att, replyRefusedMessage)
		}
		return
	}
	was := c.state
	c.state = state
	c.reconnect.follow(state)
	c.deadline = time.Time{}
	switch state {
	case rtc.StateConnected:
		c.status.SetText("Connected")
		if c.connectedAt.IsZero() {
			c.connectedAt = c.now()
		}
	case rtc.StateReconnecting:
		c.status.SetText("Trying to reconnect…")
		c.deadline = c.att.sess.ReconnectDeadline()
	case rtc.StateLost, rtc.StateGathering, rtc.StateWaiting:
		c.status.SetText("Connection lost")
	case rtc.StateEnded:
		c.status.SetText("Call ended")
	default:
		c.status.SetText("Connecting…")
	}
	c.showDetail()
	c.showClock()
	c.peerBadge.setMedia(peer.Known && peer.AudioMuted, peer.Known && peer.CameraOff,
		"They are muted, camera off", "They are muted", "Their camera is off")
	if code := c.att.sess.SafetyCode(); code != "" && c.safety.code == "" {
		c.safety.set(code)
		c.safety.setOpen(true)
		c.safetyUntil = time.Now().Add(c.safetyFor)
		c.after(c.safetyFor, func() {
			c.safety.setOpen(false)
			c.arrange()
			c.fadeWhenStill()
		})
	} else if code != "" {
		c.safety.set(code)
	}
	if state != was {
		// Leaving or reaching a steady call: the controls come back, and
		// fade again from here.
		c.wake()
	}
	c.arrange()
}

// showDetail says what reconnecting means, and how long it goes on.
func (c *callScreen) showDetail() {
	if c.state != rtc.StateReconnecting {
		if c.detail.Visible() {
			setOrHide(c.detail, "")
			c.relayout()
		}
		return
	}
	text := "They cannot be reached: the network dropped or changed on one side."
	if !c.deadline.IsZero() {
		left := max(c.deadline.Sub(c.now()).Round(time.Second), 0)
		text += fmt.Sprintf(" Trying for %d s more.", int(left/time.Second))
	}
	if text != c.detail.Text {
		setOrHide(c.detail, text)
		c.relayout()
	}
}

// showClock shows how long the call has lasted.
func (c *callScreen) showClock() {
	if c.connectedAt.IsZero() {
		c.timer.SetText("")
		return
	}
	c.timer.SetText(callLength(c.now().Sub(c.connectedAt)))
}

// showStats runs each second: the statistics, the clock, the countdown
// and the connection's quality.
func (c *callScreen) showStats(st, prev rtc.Stats, text string) {
	q := connectionQuality(st, prev, c.att.sendW)
	if c.state != rtc.StateConnected {
		q = qualityUnknown
	}
	c.quality.set(q)
	c.quality.text = qualityText(q, st, prev)
	c.statsText = "Connection  " + q.String() + "\n" + text
	c.showClock()
	c.showDetail()
	if c.statsShown {
		c.fillStats()
		c.relayout()
	}
}

// fillStats puts the last statistics in their panel. The panel's
// fixed-width font is loaded only once it is opened: a call whose
// statistics nobody looks at keeps one font fewer in memory.
func (c *callScreen) fillStats() {
	c.stats.SetText(c.statsText)
	// Wrapped, the statistics would ask for no width: they ask for their
	// longest line's.
	var widest float32
	for _, line := range strings.Split(c.statsText, "\n") {
		widest = max(widest, fyne.MeasureText(line, theme.TextSize(), fyne.TextStyle{Monospace: true}).Width)
	}
	c.layout.statsWidth = widest + 2*theme.InnerPadding() + 2*theme.Padding() + 1
}

// qualityText says what the quality meter shows, with the figures behind
// it.
func qualityText(q quality, st, prev rtc.Stats) string {
	if q == qualityUnknown {
		return "Connection quality: not known yet"
	}
	got := float64(st.PacketsReceived+st.AudioPacketsReceived) - float64(prev.PacketsReceived+prev.AudioPacketsReceived)
	lost := float64(st.PacketsLost+int64(st.AudioPacketsLost)) - float64(prev.PacketsLost+int64(prev.AudioPacketsLost))
	loss := 0.0
	if lost > 0 && got+lost > 0 {
		loss = 100 * lost / (got + lost)
	}
	text := fmt.Sprintf("Connection %s: round trip %.0f ms, %.1f %% lost", q, st.RTTMs, loss)
	if st.SendWidth > 0 {
		text += fmt.Sprintf(", sending %d×%d", st.SendWidth, st.SendHeight)
	}
	return text
}

// connectionQuality rates the last second of a call as a person would
// notice it: packets lost (stutter, smears), a long round trip (people
// talking over each other), and the picture sent shrunk below what was
// asked (the link is short of bandwidth). wantW is the width asked for;
// zero when not known.
func connectionQuality(st, prev rtc.Stats, wantW int) quality {
	got := float64(st.PacketsReceived+st.AudioPacketsReceived) - float64(prev.PacketsReceived+prev.AudioPacketsReceived)
	lost := float64(st.PacketsLost+int64(st.AudioPacketsLost)) - float64(prev.PacketsLost+int64(prev.AudioPacketsLost))
	if got <= 0 && st.RTTMs <= 0 {
		return qualityUnknown
	}
	loss := 0.0
	if lost > 0 && got+lost > 0 {
		loss = lost / (got + lost)
	}
	shrunk := 1.0
	if wantW > 0 && st.SendWidth > 0 {
		shrunk = float64(st.SendWidth) / float64(wantW)
	}
	switch {
	case loss >= 0.10 || st.RTTMs >= 500 || shrunk <= 0.34:
		return qualityPoor
	case loss >= 0.03 || st.RTTMs >= 250 || shrunk < 0.75:
		return qualityFair
	}
	return qualityGood
}

func (c *callScreen) showEnded(reason error) {
	c.cancel()
	if c.u.attempt != c.att {
		return
	}
	c.leaveFullScreen()
	if log := c.u.opts.Logger; log != nil && reason != nil {
		log.Info("the call ended", "reason", reason)
	}
	c.u.showAfterCall(endMessage(reason), c.length())
}

// length is how long the call lasted; zero if it never connected.
func (c *callScreen) length() time.Duration {
	if c.connectedAt.IsZero() {
		return 0
	}
	return c.now().Sub(c.connectedAt)
}

func (c *callScreen) toggleMute() {
	muted := !c.att.call.Muted()
	c.att.call.SetMuted(muted)
	c.showMuted(muted)
}

// showMuted sets the microphone button and the self-view's badge.
func (c *callScreen) showMuted(muted bool) {
	c.muted = muted
	if muted {
		c.mute.SetIcon(iconMicOff)
		c.mute.Importance = widget.WarningImportance
		c.mute.setTip("Unmute microphone (Ctrl+D)")
	} else {
		c.mute.SetIcon(iconMic)
		c.mute.Importance = widget.MediumImportance
		c.mute.setTip("Mute microphone (Ctrl+D)")
	}
	c.mute.Refresh()
	c.showOwnBadge()
}

// showCameraOff sets the camera button for a camera turned off or on.
func (c *callScreen) showCameraOff(off bool) {
	c.cameraOff = off
	if off {
		c.camera.SetIcon(iconCameraOff)
		c.camera.Importance = widget.WarningImportance
		c.camera.setTip("Turn camera on (Ctrl+E)")
	} else {
		c.camera.SetIcon(iconCamera)
		c.camera.Importance = widget.MediumImportance
		c.camera.setTip("Turn camera off (Ctrl+E)")
	}
	c.camera.Refresh()
	c.showOwnBadge()
}

// showOwnBadge says on the self-view what the other side does not get.
func (c *callScreen) showOwnBadge() {
	c.mutedBadge.setMedia(c.muted, c.cameraOff, "Muted, camera off", "You are muted", "Camera off")
	if c.content != nil {
		c.arrange()
	}
}

func (c *callScreen) toggleCamera() {
	off := !c.att.call.CameraOff()
	c.showCameraOff(off)
	// Opening a camera can take a moment: off the UI goroutine. The
	// notice follows through watchDevices.
	go c.att.call.SetCameraOff(off)
}

func (c *callScreen) hangUp() {
	length := c.length()
	c.cancel()
	c.leaveFullScreen()
	c.u.showAfterCall("You hung up.", length)
}

func (c *callScreen) leaveFullScreen() {
	if c.u.win.FullScreen() {
		c.u.win.SetFullScreen(false)
	}
}

func (c *callScreen) toggleFullScreen() {
	c.u.win.SetFullScreen(!c.u.win.FullScreen())
}

func (c *callScreen) toggleStats() {
	c.statsShown = !c.statsShown
	if c.statsShown {
		c.fillStats()
	}
	c.arrange()
}

func (c *callScreen) toggleSelf() {
	c.selfShown = !c.selfShown
	if c.selfShown {
		c.selfBtn.setTip("Hide self-view (Ctrl+P)")
	} else {
		c.selfBtn.setTip("Show self-view (Ctrl+P)")
	}
	c.arrange()
}
