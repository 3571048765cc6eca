package ui

import (
	"context"
	"log/slog"
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
	shortcutStart    = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutJoin     = &desktop.CustomShortcut{KeyName: fyne.KeyJ, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutCopy     = &desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	shortcutSettings = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutPaste    = &fyne.ShortcutPaste{}
)

// showHome shows the two choices.
func (u *UI) showHome(message string) { u.showHomeWith(message, 0, false) }

// showAfterCall shows home after a call: why it ended, how long it lasted
// (when it connected) and a Call again button that starts a new invite
// with the same settings.
func (u *UI) showAfterCall(message string, length time.Duration) {
	u.showHomeWith(message, length, true)
}

func (u *UI) showHomeWith(message string, length time.Duration, again bool) {
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
	block := container.NewVBox(logo, title, intro, container.NewCenter(container.NewHBox(start, join)))
	// What the last call left to say goes below the buttons, which stay
	// where they were: nothing moves under the pointer.
	var below []fyne.CanvasObject
	if length > 0 {
		message += " The call lasted " + callLength(length) + "."
	}
	if message != "" {
		msg := widget.NewLabelWithStyle(message, fyne.TextAlignCenter, fyne.TextStyle{})
		msg.Wrapping = fyne.TextWrapWord
		below = append(below, msg)
	}
	var callAgain *widget.Button
	if again {
		callAgain = widget.NewButtonWithIcon("Call again", theme.MediaReplayIcon(), u.showStart)
		below = append(below, container.NewCenter(callAgain))
	}
	body := container.New(&homeLayout{}, block, container.NewVBox(below...))
	top := container.NewHBox(layout.NewSpacer(), settingsBtn)
	u.setScreen(container.NewBorder(top, nil, nil, nil, body), map[fyne.Shortcut]func(){
		shortcutStart:    u.showStart,
		shortcutJoin:     u.showJoin,
		shortcutSettings: u.showSettings,
	})
	if callAgain != nil {
		// Space calls again, as a click does.
		u.win.Canvas().Focus(callAgain)
	}
}

// homeLayout centres its first object in the space as if it were alone,
// and puts the second below it; only in a window too short for both does
// the first move up.
type homeLayout struct{}

func (homeLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	block, below := objs[0], objs[1]
	bs := block.MinSize()
	bw := min(size.Width, max(bs.Width, 420))
	block.Resize(fyne.NewSize(bw, bs.Height))
	// Room is kept below for a message and a button whether or not they
	// show, so the buttons are where they were before a call.
	const room = 120
	y := max(min((size.Height-bs.Height)/2, size.Height-bs.Height-room), 0)
	lw := min(size.Width-2*theme.Padding(), 560)
	below.Resize(fyne.NewSize(lw, 10))
	lh := below.MinSize().Height
	block.Move(fyne.NewPos((size.Width-bw)/2, y))
	below.Resize(fyne.NewSize(lw, lh))
	below.Move(fyne.NewPos((size.Width-lw)/2, y+bs.Height+theme.Padding()))
}

func (homeLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	bs, ls := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(bs.Width, ls.Width), bs.Height+theme.Padding()+ls.Height)
}

// columnLayout lays out the start and join screens like home: one column,
// no wider than maxWidth, centred across the window, its top where a
// column of the screen's full height would be centred — so that nothing
// moves when a step appears below.
type columnLayout struct{ maxWidth, tall float32 }

func (l columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := min(size.Width, l.maxWidth)
		o.Resize(fyne.NewSize(w, 10))
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, max((size.Height-l.tall)/2, 0)))
	}
}

func (l columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(min(s.Width, l.maxWidth), s.Height)
}

// column is a screen's body laid out by columnLayout, scrolling when the
// window is too short.
func column(body fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVScroll(container.New(columnLayout{maxWidth: 640, tall: 440}, container.NewPadded(body)))
}

// atLeast gives its one object at least a minimum size, so that a label
// changing on it ("Copy", "Copied") moves nothing beside it.
type atLeast struct{ size fyne.Size }

func (l atLeast) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (l atLeast) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := l.size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// codeBox shows a code in a selectable monospace field with a Copy button.
type codeBox struct {
	label *codeView
	copy  *widget.Button
	box   fyne.CanvasObject
	gen   int
}

// copiedFor is how long the Copy button says the code was copied.
const copiedFor = 2 * time.Second

func (u *UI) newCodeBox() *codeBox {
	c := &codeBox{}
	c.label = newCodeView(u)
	c.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(c.label.Text)
		c.copy.SetText("Copied")
		c.copy.SetIcon(theme.ConfirmIcon())
		c.gen++
		gen := c.gen
		time.AfterFunc(copiedFor, func() {
			onUI(func() {
				if c.gen == gen {
					c.copy.SetText("Copy")
					c.copy.SetIcon(theme.ContentCopyIcon())
				}
			})
		})
	})
	c.copy.Disable()
	widest := widget.NewButtonWithIcon("Copied", theme.ConfirmIcon(), nil).MinSize()
	c.box = container.NewBorder(nil, nil, nil, container.NewVBox(container.New(atLeast{widest}, c.copy)), c.label)
	return c
}

func (c *codeBox) set(code string) {
	c.label.SetText(code)
	c.copy.Enable()
}

// codeView shows a code a person can select with the pointer and copy,
// but not change. Unlike a selectable label, it passes the screen's
// shortcuts on when it has the focus, so Ctrl+Shift+C still copies the
// whole code after a click in it.
type codeView struct {
	widget.Entry
	u *UI
}

func newCodeView(u *UI) *codeView {
	v := &codeView{u: u}
	v.MultiLine = true
	v.Wrapping = fyne.TextWrapBreak
	v.ExtendBaseWidget(v)
	return v
}

// TypedRune implements fyne.Focusable: the code cannot be typed over.
func (v *codeView) TypedRune(rune) {}

// TypedKey implements fyne.Focusable: keys that move the cursor and the
// selection, and Escape for the screen; none that edits.
func (v *codeView) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyLeft, fyne.KeyRight, fyne.KeyUp, fyne.KeyDown, fyne.KeyHome, fyne.KeyEnd, fyne.KeyPageUp, fyne.KeyPageDown:
		v.Entry.TypedKey(k)
	case fyne.KeyEscape:
		v.u.runKey(k)
	}
}

// TypedShortcut implements fyne.Shortcutable: copying and selecting work
// on the code; every other shortcut is the screen's.
func (v *codeView) TypedShortcut(s fyne.Shortcut) {
	switch s.(type) {
	case *fyne.ShortcutCopy, *fyne.ShortcutSelectAll:
		v.Entry.TypedShortcut(s)
	default:
		v.u.runShortcut(s)
	}
}

// TappedSecondary implements fyne.SecondaryTappable: a menu to copy or
// select, without the entry's Cut and Paste.
func (v *codeView) TappedSecondary(e *fyne.PointEvent) {
	c := fyne.CurrentApp().Driver().CanvasForObject(v)
	if c == nil {
		return
	}
	menu := fyne.NewMenu("",
		fyne.NewMenuItem("Copy", func() { v.Entry.TypedShortcut(&fyne.ShortcutCopy{Clipboard: v.u.app.Clipboard()}) }),
		fyne.NewMenuItem("Select all", func() { v.Entry.TypedShortcut(&fyne.ShortcutSelectAll{}) }))
	widget.ShowPopUpMenuAtPosition(menu, c, e.AbsolutePosition)
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
	log     *slog.Logger
}

// showError says err under the field in sentences; nil clears it.
func (f *codeField) showError(err error) {
	f.errText.SetText(userMessage(f.log, "Reading the code", err))
}

func (u *UI) newCodeField(placeholder string, check func(string) error, onValid func(string)) *codeField {
	f := &codeField{check: check, onValid: onValid, log: u.opts.Logger}
	f.entry = newCodeEntry()
	f.entry.Wrapping = fyne.TextWrapBreak
	f.entry.SetMinRowsVisible(2)
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
	f.entry.screenKey = u.runKey
	f.box = container.NewVBox(f.entry, f.paste, f.errText)
	return f
}

func (f *codeField) changed(s string) {
	if strings.TrimSpace(s) == "" {
		f.errText.SetText("")
		return
	}
	if err := f.check(s); err != nil {
		f.showError(err)
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
	screenKey      func(*fyne.KeyEvent) bool
}

// TypedKey implements fyne.Focusable: Escape is the screen's (leave it).
func (e *codeEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.screenKey != nil && e.screenKey(k) {
		return
	}
	e.Entry.TypedKey(k)
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

// screenTitle is a screen's heading, as home's.
func screenTitle(text string) *widget.Label {
	t := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.SizeName = theme.SizeNameSubHeadingText
	return t
}

// pasteClipboard puts the clipboard's text in the field, as Ctrl+V does
// when the field has the focus: the shortcut works wherever the focus is.
func (f *codeField) pasteClipboard(u *UI) {
	if f.entry.Disabled() {
		return
	}
	if text := u.app.Clipboard().Content(); text != "" {
		f.entry.SetText(text)
	}
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
	title := screenTitle("Start a call")
	status := widget.NewLabel("Preparing your invite code…")
	code := u.newCodeBox()
	step1 := widget.NewLabel("1. Send this invite code to the person you want to call, by any chat or e-mail:")
	step1.Wrapping = fyne.TextWrapWord
	step2 := widget.NewLabel("2. Paste the reply code they send back. The call starts as soon as it is in.")
	step2.Wrapping = fyne.TextWrapWord
	var att *attempt
	var reply *codeField
	accept := func(text string) {
		if att == nil || u.attempt != att {
			return
		}
		if err := att.sess.AcceptReply(text); err != nil {
			reply.showError(err)
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
	leave := func() { u.showHome("") }
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), leave)
	body := container.NewVBox(title, status, step1, code.box, widget.NewSeparator(), step2, reply.box,
		container.NewHBox(cancel))
	u.setScreen(column(body), map[fyne.Shortcut]func(){
		shortcutCopy: func() {
			if !code.copy.Disabled() {
				code.copy.OnTapped()
			}
		},
		shortcutPaste:  func() { reply.pasteClipboard(u) },
		shortcutJoin:   u.showJoin,
		shortcutHangup: leave,
	})
	u.escape = leave
	u.parts = screenParts{field: reply, code: code, status: status}
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
				u.showHome(userMessage(u.opts.Logger, "Preparing an invite", err))
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
	title := screenTitle("Join a call")
	step1 := widget.NewLabel("1. Paste the invite code you were sent:")
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	status.Hide()
	code := u.newCodeBox()
	step2 := widget.NewLabel("2. Send this reply code back to them. The call starts when they paste it.")
	step2.Wrapping = fyne.TextWrapWord
	waiting := widget.NewLabel("Waiting for them to paste your reply…")
	replyPart := container.NewVBox(widget.NewSeparator(), step2, code.box, waiting)
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
		setOrHide(status, "Preparing your reply code…")
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
				setOrHide(status, "")
				field.showError(err)
				return
			}
			u.attempt = a
			code.set(reply)
			setOrHide(status, "")
			replyPart.Show()
			u.offerClipboard()
		})
	})
	leave := func() { u.showHome("") }
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), leave)
	body := container.NewVBox(title, step1, field.box, status, replyPart, container.NewHBox(cancel))
	u.setScreen(column(body), map[fyne.Shortcut]func(){
		shortcutCopy: func() {
			if code.copy.Disabled() {
				return
			}
			code.copy.OnTapped()
		},
		shortcutPaste: func() {
			if !started {
				field.pasteClipboard(u)
			}
		},
		shortcutStart:  u.showStart,
		shortcutHangup: leave,
	})
	u.escape = leave
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
