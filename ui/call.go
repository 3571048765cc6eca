package ui

import (
	"context"
	"errors"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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
		return "The call ended: " + reason.Error()
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

	status     *widget.Label
	peerStatus *widget.Label
	notice     *widget.Label
	safety     *widget.Label
	stats      *widget.Label
	statsBox   fyne.CanvasObject
	self       fyne.CanvasObject

	mute, camera, hangup, full, statsBtn, selfBtn *tipButton
	reconnect                                     *reconnectPanel
}

// showCall switches to the call screen for an attempt that has both codes
// and starts following the session and the devices.
func (u *UI) showCall(att *attempt) {
	c := u.showCallFor(att)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go bridge(ctx, att.sess, c)
	go watchDevices(ctx, att.call, c)
}

// showCallFor builds the call screen without following the session.
func (u *UI) showCallFor(att *attempt) *callScreen {
	c := &callScreen{u: u, att: att, cancel: func() {}}
	c.status = widget.NewLabelWithStyle("Connecting…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.peerStatus = widget.NewLabel("")
	c.notice = widget.NewLabel("")
	c.safety = widget.NewLabel("")
	c.safety.Wrapping = fyne.TextWrapWord
	c.safety.Hide()
	c.peerStatus.Hide()
	c.stats = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	c.statsBox = overlay(c.stats)
	c.statsBox.Hide()

	c.mute = newTipButton(iconMic, "Mute microphone (Ctrl+D)", c.toggleMute)
	c.camera = newTipButton(iconCamera, "Turn camera off (Ctrl+E)", c.toggleCamera)
	c.showCameraOff(att.call.CameraOff())
	c.hangup = newTipButton(iconHangup, "Hang up (Ctrl+W)", c.hangUp)
	c.hangup.Importance = widget.DangerImportance
	c.full = newTipButton(theme.ViewFullScreenIcon(), "Full screen (Ctrl+F; Esc leaves)", c.toggleFullScreen)
	c.statsBtn = newTipButton(iconStats, "Statistics (Ctrl+I)", c.toggleStats)
	c.selfBtn = newTipButton(iconSelfView, "Hide self-view (Ctrl+P)", c.toggleSelf)
	controls := overlay(container.NewHBox(c.mute, c.camera, c.selfBtn, c.statsBtn, c.full, c.hangup))

	top := overlay(container.NewVBox(c.status, c.peerStatus, c.notice, c.safety))
	frame := canvas.NewRectangle(color.Transparent)
	frame.StrokeColor = color.NRGBA{255, 255, 255, 160}
	frame.StrokeWidth = 2
	c.self = container.NewStack(att.self, frame)
	c.reconnect = newReconnectPanel(c)
	content := container.New(&callLayout{}, att.remote, c.self, top, c.statsBox, controls, c.reconnect.box)
	u.setScreen(content, map[fyne.Shortcut]func(){
		shortcutMute: c.toggleMute, shortcutCamera: c.toggleCamera, shortcutHangup: c.hangUp,
		shortcutStats: c.toggleStats, shortcutSelf: c.toggleSelf, shortcutFull: c.toggleFullScreen,
		shortcutReconnect: c.reconnect.begin, shortcutCopy: c.reconnect.copyCode,
	})
	u.win.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyEscape && u.win.FullScreen() {
			c.toggleFullScreen()
		}
	})
	u.call = c
	c.refreshNotice()
	return c
}

// overlay puts o on a translucent dark panel so it reads over video.
func overlay(o fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(color.NRGBA{0, 0, 0, 150})
	bg.CornerRadius = 6
	return container.NewStack(bg, container.NewPadded(o))
}

// refreshNotice names what the call is missing, and what that means for
// the two people.
func (c *callScreen) refreshNotice() {
	setOrHide(c.notice, missingText(c.att.call.Missing()))
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
	c.reconnect.follow(state)
	switch state {
	case rtc.StateConnected:
		c.status.SetText("Connected")
	case rtc.StateReconnecting:
		c.status.SetText("Reconnecting…")
	case rtc.StateLost, rtc.StateGathering, rtc.StateWaiting:
		c.status.SetText("Connection lost")
	case rtc.StateEnded:
		c.status.SetText("Call ended")
	default:
		c.status.SetText("Connecting…")
	}
	var peerText string
	if peer.Known {
		switch {
		case peer.AudioMuted && peer.CameraOff:
			peerText = "They are muted and their camera is off."
		case peer.AudioMuted:
			peerText = "They are muted."
		case peer.CameraOff:
			peerText = "Their camera is off."
		}
	}
	setOrHide(c.peerStatus, peerText)
	if code := c.att.sess.SafetyCode(); code != "" {
		setOrHide(c.safety, "Safety code "+code+" — read it to each other: if it is the same on both screens, no one is listening in between.")
	}
}

func (c *callScreen) showStats(text string) { c.stats.SetText(text) }

func (c *callScreen) showEnded(reason error) {
	c.cancel()
	if c.u.attempt != c.att {
		return
	}
	if c.u.win.FullScreen() {
		c.u.win.SetFullScreen(false)
	}
	c.u.showHome(endMessage(reason))
}

func (c *callScreen) toggleMute() {
	muted := !c.att.call.Muted()
	if muted {
		c.mute.SetIcon(iconMicOff)
		c.mute.tip = "Unmute microphone (Ctrl+D)"
	} else {
		c.mute.SetIcon(iconMic)
		c.mute.tip = "Mute microphone (Ctrl+D)"
	}
	c.att.call.SetMuted(muted)
}

// showCameraOff sets the camera button for a camera turned off or on.
func (c *callScreen) showCameraOff(off bool) {
	if off {
		c.camera.SetIcon(iconCameraOff)
		c.camera.tip = "Turn camera on (Ctrl+E)"
	} else {
		c.camera.SetIcon(iconCamera)
		c.camera.tip = "Turn camera off (Ctrl+E)"
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
	c.cancel()
	if c.u.win.FullScreen() {
		c.u.win.SetFullScreen(false)
	}
	c.u.showHome("")
}

func (c *callScreen) toggleFullScreen() {
	c.u.win.SetFullScreen(!c.u.win.FullScreen())
}

func (c *callScreen) toggleStats() {
	if c.statsBox.Visible() {
		c.statsBox.Hide()
	} else {
		c.statsBox.Show()
	}
}

func (c *callScreen) toggleSelf() {
	if c.self.Visible() {
		c.self.Hide()
		c.selfBtn.tip = "Show self-view (Ctrl+P)"
	} else {
		c.self.Show()
		c.selfBtn.tip = "Hide self-view (Ctrl+P)"
	}
}

// callLayout places the remote picture over the whole window, the
// self-view in the bottom-right corner above the controls, the status at
// the top left, the statistics at the top right and the controls at the
// bottom centre, and the reconnect panel in the middle. Objects: remote,
// self, status, stats, controls, reconnect panel.
type callLayout struct{}

const callMargin = 12

func (callLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	remote, self, status, stats, controls, panel := objs[0], objs[1], objs[2], objs[3], objs[4], objs[5]
	remote.Move(fyne.NewPos(0, 0))
	remote.Resize(size)

	cs := controls.MinSize()
	controls.Resize(cs)
	controls.Move(fyne.NewPos((size.Width-cs.Width)/2, size.Height-cs.Height-callMargin))

	sw := max(160, size.Width/4)
	sh := sw * 3 / 4
	self.Resize(fyne.NewSize(sw, sh))
	self.Move(fyne.NewPos(size.Width-sw-callMargin, size.Height-cs.Height-2*callMargin-sh))

	ss := status.MinSize()
	width := min(max(ss.Width, 320), size.Width/2)
	status.Resize(fyne.NewSize(width, status.MinSize().Height))
	status.Move(fyne.NewPos(callMargin, callMargin))

	ts := stats.MinSize()
	stats.Resize(ts)
	stats.Move(fyne.NewPos(size.Width-ts.Width-callMargin, callMargin))

	// The reconnect panel, when shown, in the middle.
	pw := min(size.Width-2*callMargin, 520)
	ph := min(panel.MinSize().Height, size.Height-2*callMargin)
	panel.Resize(fyne.NewSize(pw, ph))
	panel.Move(fyne.NewPos((size.Width-pw)/2, (size.Height-ph)/2))
}

func (callLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(480, 360)
}
