package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/rtc"
	"peercall/rtc/invite"
)

// shortcutReconnect starts the exchange of new codes on a lost call.
var shortcutReconnect = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}

// reconnectPanel is shown over the call when the connection was lost and
// no way back came by itself: a new pair of codes resumes the same call,
// with the call screen kept. The inviting side makes a new invite and
// takes the reply; the other side takes the new invite and gives a reply,
// as at the start.
type reconnectPanel struct {
	c       *callScreen
	box     fyne.CanvasObject
	message *widget.Label
	start   *widget.Button
	code    *codeBox
	field   *codeField
	step    *widget.Label
	busy    bool // a code is being made
}

func newReconnectPanel(c *callScreen) *reconnectPanel {
	p := &reconnectPanel{c: c}
	p.message = widget.NewLabel("The call could not find its way back by itself: the network changed or dropped on one side. If the other person is still there, a new pair of codes resumes the same call.")
	p.message.Wrapping = fyne.TextWrapWord
	p.start = widget.NewButtonWithIcon("Reconnect (Ctrl+R)", theme.ViewRefreshIcon(), p.begin)
	p.start.Importance = widget.HighImportance
	p.step = widget.NewLabel("")
	p.step.Wrapping = fyne.TextWrapWord
	p.step.Hide()
	p.code = c.u.newCodeBox()
	p.code.box.Hide()
	p.field = c.u.newCodeField("", p.check, p.take)
	p.field.box.Hide()
	p.box = overlay(container.NewVBox(p.message, container.NewHBox(p.start), p.step, p.code.box, p.field.box))
	p.box.Hide()
	return p
}

// resized lays the call screen out again after the panel's contents grew
// or shrank.
func (p *reconnectPanel) resized() {
	if p.c.content != nil {
		p.c.relayout()
	}
}

// inviting tells whether this side makes the new invite.
func (p *reconnectPanel) inviting() bool { return p.c.att.invite != "" }

// show brings the panel up for a call that was just lost.
func (p *reconnectPanel) show() {
	if p.box.Visible() {
		return
	}
	p.busy = false
	p.start.Enable()
	p.start.Show()
	p.step.Hide()
	p.code.box.Hide()
	p.field.box.Hide()
	p.field.entry.SetText("")
	p.field.entry.Enable()
	p.box.Show()
	p.resized()
}

// hide takes the panel away: the call is back.
func (p *reconnectPanel) hide() {
	if p.box.Visible() {
		p.box.Hide()
		p.c.u.win.Canvas().Unfocus()
	}
}

// begin starts the exchange: the inviting side makes its new invite, the
// other side waits for it.
func (p *reconnectPanel) begin() {
	if !p.box.Visible() || p.busy || !p.start.Visible() {
		return // not lost, or begun already
	}
	p.start.Hide()
	p.step.Show()
	if !p.inviting() {
		p.step.SetText("1. Paste the new code the other person sends you:")
		p.field.entry.SetPlaceHolder("Paste their new code here")
		p.field.box.Show()
		p.c.u.win.Canvas().Focus(p.field.entry)
		p.resized()
		return
	}
	p.busy = true
	p.step.SetText("Preparing a new code…")
	p.resized()
	sess := p.c.att.sess
	go func() {
		code, err := sess.Resume(context.Background())
		onUI(func() {
			p.busy = false
			if !p.box.Visible() {
				return
			}
			if err != nil {
				p.step.SetText(userMessage(p.c.u.opts.Logger, "Preparing a new code", err))
				p.start.Show()
				return
			}
			p.step.SetText("1. Send this new code to the other person. 2. Paste the code they send back:")
			p.code.set(code)
			p.code.box.Show()
			p.field.entry.SetPlaceHolder("Paste their reply here")
			p.field.box.Show()
			p.c.u.win.Canvas().Focus(p.field.entry)
			p.resized()
		})
	}()
}

// check says whether text is the code this side takes now, with the
// reason when it is not.
func (p *reconnectPanel) check(text string) error {
	if p.inviting() {
		return p.c.att.sess.CheckReply(text)
	}
	_, err := invite.Parse(text, invite.KindInvite, nil)
	return err
}

// take applies a valid pasted code.
func (p *reconnectPanel) take(text string) {
	sess := p.c.att.sess
	if p.inviting() {
		if err := sess.AcceptReply(text); err != nil {
			p.field.showError(err)
			return
		}
		p.field.entry.Disable()
		// A disabled entry keeps the focus but takes no shortcut.
		p.c.u.win.Canvas().Unfocus()
		p.step.SetText("Reconnecting…")
		return
	}
	if p.busy {
		return
	}
	p.busy = true
	p.field.entry.Disable()
	p.c.u.win.Canvas().Unfocus()
	p.step.SetText("Preparing your reply…")
	go func() {
		reply, err := sess.Rejoin(context.Background(), strings.TrimSpace(text))
		onUI(func() {
			p.busy = false
			if !p.box.Visible() {
				return
			}
			if err != nil {
				p.field.entry.Enable()
				p.field.showError(err)
				p.step.SetText("1. Paste the new code the other person sends you:")
				return
			}
			p.step.SetText("2. Send this reply back. The call resumes when they paste it.")
			p.code.set(reply)
			p.code.box.Show()
			p.resized()
		})
	}()
}

// copyCode copies the code the panel shows, if any (Ctrl+Shift+C).
func (p *reconnectPanel) copyCode() {
	if p.box.Visible() && p.code.box.Visible() && !p.code.copy.Disabled() {
		p.code.copy.OnTapped()
	}
}

// follow shows or hides the panel for the call's state.
func (p *reconnectPanel) follow(state rtc.State) {
	switch state {
	case rtc.StateLost:
		p.show()
	case rtc.StateConnected:
		p.hide()
	}
}
