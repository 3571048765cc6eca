package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/rtc"
)

// shortcutChat opens and closes the chat panel.
var shortcutChat = &desktop.CustomShortcut{KeyName: fyne.KeyT, Modifier: fyne.KeyModifierShortcutDefault}

var iconChat = icon("chat.svg")

// Colours of the chat panel.
var (
	chatFill     = color.NRGBA{16, 16, 20, 235}
	chatOwnFill  = color.NRGBA{60, 90, 150, 120}
	chatPeerFill = color.NRGBA{255, 255, 255, 28}
)

// The chat panel's width beside the picture: between these, about a
// quarter of the window.
const (
	chatMinWidth = 260
	chatMaxWidth = 380
)

// chatPanel is the call's text chat: the messages of both sides with their
// times, selectable to copy, and a line to write in, sent with Enter. It
// sits beside the picture, or over it in a window too narrow for both
// (callLayout). Links are shown as the text they are and never opened.
type chatPanel struct {
	c      *callScreen
	box    fyne.CanvasObject
	list   *fyne.Container
	scroll *container.Scroll
	hint   *widget.Label // before the first message
	entry  *chatEntry
	send   *widget.Button
	alert  *widget.Label // why a message cannot be sent
	unread int
	count  int // messages shown
	badge  *unreadBadge
}

func newChatPanel(c *callScreen) *chatPanel {
	p := &chatPanel{c: c}
	title := widget.NewLabelWithStyle("Chat", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { c.toggleChat() })
	closeBtn.Importance = widget.LowImportance
	p.hint = widget.NewLabel("Messages go to the other side only, and are gone when the call ends.")
	p.hint.Wrapping = fyne.TextWrapWord
	p.list = container.NewVBox(p.hint)
	p.scroll = container.NewVScroll(p.list)
	p.entry = newChatEntry(c)
	p.entry.SetPlaceHolder("Write a message")
	p.entry.OnSubmitted = func(string) { p.submit() }
	p.entry.OnChanged = func(string) { p.checkLength() }
	p.send = widget.NewButtonWithIcon("", theme.MailSendIcon(), p.submit)
	p.alert = widget.NewLabel("")
	p.alert.Wrapping = fyne.TextWrapWord
	p.alert.Importance = widget.DangerImportance
	p.alert.Hide()
	head := container.NewBorder(nil, nil, nil, closeBtn, title)
	foot := container.NewVBox(p.alert, container.NewBorder(nil, nil, nil, p.send, p.entry))
	bg := canvas.NewRectangle(chatFill)
	bg.CornerRadius = 6
	p.box = container.NewStack(bg, container.NewPadded(container.NewBorder(head, foot, nil, nil, p.scroll)))
	p.box.Hide()
	p.badge = newUnreadBadge()
	return p
}

// add shows a message, sent or received, at the bottom of the list, and
// counts it as unread when the panel is not on screen.
func (p *chatPanel) add(m rtc.ChatMessage) {
	if p.count == 0 {
		p.list.Remove(p.hint)
	}
	p.count++
	p.list.Add(newChatBubble(m))
	p.scroll.ScrollToBottom()
	if !m.Mine && !p.box.Visible() {
		p.unread++
		p.badge.set(p.unread)
		// The controls come back to show the badge.
		p.c.wake()
		p.c.relayout()
	}
}

// shown is told the panel was opened: what was unread is read.
func (p *chatPanel) shown() {
	p.unread = 0
	p.badge.set(0)
	p.scroll.ScrollToBottom()
	p.c.u.win.Canvas().Focus(p.entry)
}

// checkLength says, while the message is written, when it is too long to
// send.
func (p *chatPanel) checkLength() {
	n := len(p.entry.Text)
	if n > rtc.MaxChatText {
		p.say(fmt.Sprintf("Too long to send: %d bytes, the most is %d. Shorten it or send it in parts.", n, rtc.MaxChatText))
		p.send.Disable()
		return
	}
	p.send.Enable()
	if p.alert.Visible() {
		p.say("")
	}
}

// submit sends what was written. Empty lines send nothing; what cannot be
// sent stays in the field, with the reason below the messages.
func (p *chatPanel) submit() {
	text := p.entry.Text
	if err := rtc.CheckChat(text); errors.Is(err, rtc.ErrChatEmpty) {
		return
	}
	m, err := p.c.att.sess.SendChat(text)
	if err != nil {
		p.say(chatRefusal(err, text))
		return
	}
	p.say("")
	p.entry.SetText("")
	p.add(m)
}

// chatRefusal says why a message was not sent, in a sentence.
func chatRefusal(err error, text string) string {
	switch {
	case errors.Is(err, rtc.ErrChatTooLong):
		return fmt.Sprintf("Too long to send: %d bytes, the most is %d. Shorten it or send it in parts.", len(text), rtc.MaxChatText)
	case errors.Is(err, rtc.ErrChatNotText):
		return "This cannot be sent: it is not text."
	case errors.Is(err, rtc.ErrChatBusy):
		return "Not sent yet: earlier messages are still on their way. Try again in a moment."
	}
	return "Not sent: the call is not connected. Send it again once it is."
}

// say shows why a message cannot be sent; empty hides it.
func (p *chatPanel) say(text string) {
	if text == p.alert.Text && p.alert.Visible() == (text != "") {
		return
	}
	setOrHide(p.alert, text)
	// The line below the messages changed height: the panel is laid out
	// again.
	p.box.Refresh()
}

// newChatBubble shows one message: who and when above, the words below,
// selectable.
func newChatBubble(m rtc.ChatMessage) fyne.CanvasObject {
	who, fill := "Them", chatPeerFill
	if m.Mine {
		who, fill = "You", chatOwnFill
	}
	head := canvas.NewText(who+" · "+m.At.Format("15:04"), theme.Color(theme.ColorNamePlaceHolder))
	head.TextSize = theme.CaptionTextSize()
	words := widget.NewLabel(m.Text)
	words.Wrapping = fyne.TextWrapWord
	words.Selectable = true
	bg := canvas.NewRectangle(fill)
	bg.CornerRadius = 6
	inner := container.NewVBox(container.NewPadded(head), words)
	return container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(0, 0, 4, 4), inner))
}

// chatEntry is the line a message is written in. The call screen's
// shortcuts work while it has the keyboard (a focused entry would
// otherwise take them).
type chatEntry struct {
	widget.Entry
	c *callScreen
}

func newChatEntry(c *callScreen) *chatEntry {
	e := &chatEntry{c: c}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut runs the call screen's shortcut of that name, or gives the
// entry its own (copy, paste, undo…).
func (e *chatEntry) TypedShortcut(s fyne.Shortcut) {
	if f, ok := e.c.u.handlers[s.ShortcutName()]; ok && e.c.u.call == e.c {
		f()
		return
	}
	e.Entry.TypedShortcut(s)
}

// unreadBadge is the count of unread messages on the chat button.
type unreadBadge struct {
	box  *fyne.Container
	dot  *canvas.Circle
	text *canvas.Text
}

func newUnreadBadge() *unreadBadge {
	b := &unreadBadge{dot: canvas.NewCircle(alertFill), text: canvas.NewText("", color.White)}
	b.text.TextSize = 10
	b.text.TextStyle.Bold = true
	b.text.Alignment = fyne.TextAlignCenter
	b.box = container.NewStack(b.dot, container.NewCenter(b.text))
	b.box.Hide()
	return b
}

// set shows n unread messages; none hides the badge.
func (b *unreadBadge) set(n int) {
	switch {
	case n <= 0:
		b.box.Hide()
		return
	case n > 9:
		b.text.Text = "9+"
	default:
		b.text.Text = fmt.Sprint(n)
	}
	b.text.Refresh()
	b.box.Show()
}

// withBadge puts the badge on the top right corner of the button.
func withBadge(button fyne.CanvasObject, b *unreadBadge) fyne.CanvasObject {
	return container.New(&badgeLayout{}, button, b.box)
}

// badgeLayout places its first object over the whole space and its second,
// 16 points square, on the top right corner.
type badgeLayout struct{}

func (badgeLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
	const d = 16
	objs[1].Move(fyne.NewPos(size.Width-d+2, -2))
	objs[1].Resize(fyne.NewSize(d, d))
}

func (badgeLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

// watchChat hands the messages the other side sends to the panel until ctx
// ends. It runs on its own goroutine and touches the panel only through
// onUI.
func watchChat(ctx context.Context, s *rtc.Session, c *callScreen) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-s.Chat():
			onUI(func() {
				if c.u.call == c {
					c.chat.add(m)
				}
			})
		}
	}
}

// toggleChat opens or closes the chat panel.
func (c *callScreen) toggleChat() {
	c.chatShown = !c.chatShown
	if c.chatShown {
		c.chatBtn.setTip("Close chat (Ctrl+T)")
	} else {
		c.chatBtn.setTip("Chat (Ctrl+T)")
		c.u.win.Canvas().Unfocus()
	}
	c.arrange()
	if c.chat.box.Visible() {
		c.chat.shown()
	}
}
