package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/assets"
	"peercall/rtc/invite"
)

// Keyboard shortcuts of the home, start and join screens.
var (
	shortcutStart = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutJoin  = &desktop.CustomShortcut{KeyName: fyne.KeyJ, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutCopy  = &desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
)

// showHome shows the two choices, with a message from the last call if any.
func (u *UI) showHome(message string) {
	u.endAttempt()
	logo := canvas.NewImageFromResource(fyne.NewStaticResource("icon.png", assets.Icon))
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle("Peercall", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabelWithStyle("Video calls between two people, peer to peer, with two short codes.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	start := widget.NewButtonWithIcon("Start a call", theme.ContentAddIcon(), u.showStart)
	start.Importance = widget.HighImportance
	join := widget.NewButtonWithIcon("Join a call", theme.LoginIcon(), u.showJoin)
	settingsBtn := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), u.showSettings)
	settingsBtn.Importance = widget.LowImportance
	items := []fyne.CanvasObject{logo, title, intro, container.NewCenter(container.NewHBox(start, join))}
	if message != "" {
		msg := widget.NewLabelWithStyle(message, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
		msg.Wrapping = fyne.TextWrapWord
		items = append(items, msg)
	}
	body := container.NewCenter(container.NewVBox(items...))
	top := container.NewHBox(layout.NewSpacer(), settingsBtn)
	u.setScreen(container.NewBorder(top, nil, nil, nil, body), map[fyne.Shortcut]func(){
		shortcutStart: u.showStart,
		shortcutJoin:  u.showJoin,
	})
}

// codeBox shows a code in a selectable monospace field with a Copy button.
type codeBox struct {
	label  *widget.Label
	copy   *widget.Button
	copied *widget.Label
	box    fyne.CanvasObject
}

func (u *UI) newCodeBox() *codeBox {
	c := &codeBox{}
	c.label = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	c.label.Selectable = true
	c.label.Wrapping = fyne.TextWrapBreak
	c.copied = widget.NewLabel("")
	c.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(c.label.Text)
		c.copied.SetText("Copied.")
	})
	c.copy.Disable()
	c.box = container.NewBorder(nil, nil, nil, container.NewHBox(c.copy, c.copied), c.label)
	return c
}

func (c *codeBox) set(code string) {
	c.label.SetText(code)
	c.copy.Enable()
}

// codeField is an entry for a pasted code, validated as it changes, with the
// parser's error beside it and a one-click paste offered from the clipboard.
type codeField struct {
	entry   *codeEntry
	errText *widget.Label
	paste   *widget.Button
	box     fyne.CanvasObject
	check   func(string) error
	onValid func(string)
}

func (u *UI) newCodeField(placeholder string, check func(string) error, onValid func(string)) *codeField {
	f := &codeField{check: check, onValid: onValid}
	f.entry = newCodeEntry()
	f.entry.Wrapping = fyne.TextWrapBreak
	f.entry.SetMinRowsVisible(2)
	f.entry.TextStyle = fyne.TextStyle{Monospace: true}
	f.entry.SetPlaceHolder(placeholder)
	f.errText = widget.NewLabel("")
	f.errText.Importance = widget.DangerImportance
	f.errText.Wrapping = fyne.TextWrapWord
	f.paste = widget.NewButtonWithIcon("", theme.ContentPasteIcon(), nil)
	f.paste.Hide()
	f.entry.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil // nothing typed yet is not an error
		}
		return check(s)
	}
	f.entry.OnChanged = f.changed
	f.entry.screenShortcut = u.runShortcut
	f.box = container.NewVBox(f.entry, f.paste, f.errText)
	return f
}

func (f *codeField) changed(s string) {
	if strings.TrimSpace(s) == "" {
		f.errText.SetText("")
		return
	}
	if err := f.check(s); err != nil {
		f.errText.SetText(err.Error())
		return
	}
	f.errText.SetText("")
	f.onValid(s)
}

// codeEntry is a multi-line entry that passes the screen's own shortcuts
// on (a focused entry would otherwise swallow them).
type codeEntry struct {
	widget.Entry
	screenShortcut func(fyne.Shortcut) bool
}

func newCodeEntry() *codeEntry {
	e := &codeEntry{}
	e.MultiLine = true
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut implements fyne.Shortcutable.
func (e *codeEntry) TypedShortcut(s fyne.Shortcut) {
	if _, custom := s.(*desktop.CustomShortcut); custom && e.screenShortcut != nil && e.screenShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// offer shows the one-click paste for a code found on the clipboard.
func (f *codeField) offer(label, text string) {
	f.paste.SetText(label)
	f.paste.OnTapped = func() {
		f.paste.Hide()
		f.entry.SetText(text)
	}
	f.paste.Show()
}

// showStart is the inviting side: make the invite, take the reply.
func (u *UI) showStart() {
	u.endAttempt()
	u.showStartFor(nil, "")
}

// showStartFor shows the inviting side's screen. With prev, its invite
// still stands (a reply was refused, for the reason in message): the
// screen shows the same code and waits for another reply. Without, it
// makes a new invite.
func (u *UI) showStartFor(prev *attempt, message string) {
	var remote, self *VideoView
	if prev != nil {
		remote, self = prev.remote, prev.self
	} else {
		remote, self = NewVideoView("Connecting…", false), NewVideoView("", true)
		Pair(remote, self)
	}
	title := widget.NewLabelWithStyle("Start a call", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	status := widget.NewLabel("Preparing your invite code…")
	code := u.newCodeBox()
	step1 := widget.NewLabel("1. Send this invite code to the person you want to call, by any chat or e-mail:")
	step1.Wrapping = fyne.TextWrapWord
	step2 := widget.NewLabel("2. Paste the reply code they send back. The call starts as soon as it is in.")
	step2.Wrapping = fyne.TextWrapWord
	var att *attempt
	connect := widget.NewButtonWithIcon("Connect", theme.ConfirmIcon(), nil)
	connect.Importance = widget.HighImportance
	connect.Disable()
	var reply *codeField
	accept := func(text string) {
		if att == nil || u.attempt != att {
			return
		}
		if err := att.sess.AcceptReply(text); err != nil {
			reply.errText.SetText(err.Error())
			return
		}
		pasted := time.Now()
		att.remote.onFirstFrame = func() {
			if u.opts.Logger != nil {
				u.opts.Logger.Info("first remote frame on screen", "ms_after_reply", time.Since(pasted).Milliseconds())
			}
		}
		u.showCall(att)
	}
	reply = u.newCodeField("Paste the reply code here", func(s string) error {
		if att == nil {
			return errNotReady
		}
		return att.sess.CheckReply(s)
	}, accept)
	reply.entry.Disable()
	connect.OnTapped = func() { accept(reply.entry.Text) }
	prevChanged := reply.entry.OnChanged
	reply.entry.OnChanged = func(s string) {
		prevChanged(s)
		if reply.errText.Text == "" && strings.TrimSpace(s) != "" {
			connect.Enable()
		} else {
			connect.Disable()
		}
	}
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { u.showHome("") })
	body := container.NewVBox(title, status, step1, code.box, widget.NewSeparator(), step2, reply.box,
		container.NewHBox(connect, cancel))
	u.setScreen(container.NewPadded(container.NewVScroll(body)), map[fyne.Shortcut]func(){
		shortcutCopy: func() { code.copy.OnTapped() },
	})
	u.parts = screenParts{field: reply, code: code, status: status, connect: connect}
	u.clipboardCheck = func(text string) bool { return att != nil && att.sess.CheckReply(text) == nil }
	u.clipboardOffer = func(text string) { reply.offer("Paste the reply code from the clipboard", text) }

	ready := func(a *attempt) {
		att = a
		u.attempt = a
		code.set(a.invite)
		status.SetText("Your invite code is ready.")
		reply.entry.Enable()
		u.win.Canvas().Focus(reply.entry)
		u.offerClipboard()
	}
	if prev != nil {
		ready(prev)
		status.SetText("Your invite code still stands.")
		reply.errText.SetText(message)
		return
	}
	go func() {
		a, err := u.newAttempt(remote, self)
		if err == nil {
			a.invite, err = a.sess.Invite(context.Background())
		}
		onUI(func() {
			if u.parts.code != code {
				// The person left this screen meanwhile.
				if a != nil {
					go a.close()
				}
				return
			}
			if err != nil {
				if a != nil {
					go a.close()
				}
				u.showHome("Could not prepare an invite: " + err.Error())
				return
			}
			ready(a)
		})
	}()
}

// showJoin is the joining side: take the invite, give the reply.
func (u *UI) showJoin() {
	u.endAttempt()
	remote, self := NewVideoView("Connecting…", false), NewVideoView("", true)
	Pair(remote, self)
	title := widget.NewLabelWithStyle("Join a call", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	step1 := widget.NewLabel("1. Paste the invite code you were sent:")
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	code := u.newCodeBox()
	step2 := widget.NewLabel("2. Send this reply code back to them. The call starts when they paste it.")
	step2.Wrapping = fyne.TextWrapWord
	replyPart := container.NewVBox(widget.NewSeparator(), step2, code.box)
	replyPart.Hide()
	var field *codeField
	started := false
	field = u.newCodeField("Paste the invite code here", func(s string) error {
		_, err := invite.Parse(s, invite.KindInvite, nil)
		return err
	}, func(text string) {
		if started {
			return
		}
		started = true
		field.entry.Disable()
		// A disabled entry keeps the focus but takes no shortcut: let
		// the screen's own (copy the reply) reach the window.
		u.win.Canvas().Unfocus()
		status.SetText("Preparing your reply code…")
		go u.join(text, remote, self, func(a *attempt, reply string, err error) {
			if u.parts.field != field {
				// The person left this screen meanwhile.
				if a != nil {
					go a.close()
				}
				return
			}
			if err != nil {
				started = false
				field.entry.Enable()
				status.SetText("")
				field.errText.SetText(err.Error())
				return
			}
			u.attempt = a
			code.set(reply)
			status.SetText("Waiting for them to paste your reply…")
			replyPart.Show()
			u.offerClipboard()
		})
	})
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { u.showHome("") })
	body := container.NewVBox(title, step1, field.box, status, replyPart, container.NewHBox(cancel))
	u.setScreen(container.NewPadded(container.NewVScroll(body)), map[fyne.Shortcut]func(){
		shortcutCopy: func() {
			if code.copy.Disabled() {
				return
			}
			code.copy.OnTapped()
		},
	})
	u.parts = screenParts{field: field, code: code, status: status}
	u.win.Canvas().Focus(field.entry)
	u.clipboardCheck = func(text string) bool {
		_, err := invite.Parse(text, invite.KindInvite, nil)
		return !started && err == nil
	}
	u.clipboardOffer = func(text string) { field.offer("Paste the invite code from the clipboard", text) }
	u.offerClipboard()
}

// join makes the attempt and the reply off the UI goroutine, reports back
// through done on the UI goroutine, then moves to the call screen when the
// two apps connect.
// A failed join is released here and reported with a nil attempt, so
// done never has one to close twice.
func (u *UI) join(text string, remote, self *VideoView, done func(*attempt, string, error)) {
	a, err := u.newAttempt(remote, self)
	var reply string
	if err == nil {
		if reply, err = a.sess.Join(context.Background(), text); err != nil {
			go a.close()
			a = nil
		}
	}
	onUI(func() { done(a, reply, err) })
	if err != nil {
		return
	}
	select {
	case <-a.sess.Connected():
		onUI(func() {
			if u.attempt == a {
				u.showCall(a)
			}
		})
	case <-a.sess.Done():
		reason := a.sess.Err()
		onUI(func() {
			if u.attempt == a {
				u.showHome(endMessage(reason))
			}
		})
	}
}
