package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/call"
	"peercall/rtc/probe"
)

// previewSize is the camera preview's size in the settings.
var previewSize = fyne.NewSize(192, 144)

// settingsDialog is the open settings: changes apply to the next call,
// and only when saved.
type settingsDialog struct {
	u   *UI
	dlg *dialog.CustomDialog

	camera, picture, mic, speaker *picker
	echo                          *widget.Check
	stun, turn, user, pass        *widget.Entry
	stunErr, turnErr, credErr     *widget.Label
	test                          *widget.Button
	testResult                    *widget.Label
	restore                       *widget.Button
	status                        *widget.Label

	// undo holds the fields as they were before "Restore defaults", while
	// that can be undone: the settings, and the STUN field as typed.
	undo *struct {
		s    settings
		stun string
	}
	// checked is set once Save was refused: the marks then follow the
	// typing, and go as each mistake is fixed.
	checked bool

	form       *widget.Form
	scroll     *container.Scroll
	bottom     *fyne.Container
	content    *fyne.Container
	overhead   float32 // the dialog's height around its content
	previewBox *fyne.Container
	view       *VideoView
	prev       *preview

	escape func() // the screen's Escape, given back on closing

	testCancel context.CancelFunc
	testRun    int // counts test runs: answers of an older run are dropped
	asking     int // servers of the current run not answered yet
}

// showSettings opens the settings dialog.
func (u *UI) showSettings() { u.openSettings() }

// settingsOpen holds each window's open settings, so that its shortcut
// does not open them twice. It is used on the UI goroutine only.
var settingsOpen = map[*UI]*settingsDialog{}

func (u *UI) openSettings() *settingsDialog {
	if d := settingsOpen[u]; d != nil {
		return d
	}
	cur := loadSettings(u.app.Preferences())
	d := &settingsDialog{u: u, escape: u.escape}
	settingsOpen[u] = d
	d.camera = newPicker(cameraChoices(cur.Camera), cur.Camera)
	d.picture = newPicker(pictureChoices, cur.Picture)
	d.mic = newPicker(soundChoices(true, cur.Microphone), cur.Microphone)
	d.speaker = newPicker(soundChoices(false, cur.Speaker), cur.Speaker)
	d.echo = widget.NewCheck("Cancel echo, suppress noise, level the voice", nil)
	d.stun = widget.NewMultiLineEntry()
	d.stun.SetPlaceHolder(stunText(nil) + " (the default)")
	d.stun.SetMinRowsVisible(2)
	d.stun.Wrapping = fyne.TextWrapOff
	d.turn = widget.NewEntry()
	d.turn.SetPlaceHolder("turn:turn.example.org:3478 (optional)")
	d.user = widget.NewEntry()
	d.pass = widget.NewPasswordEntry()
	d.stunErr, d.turnErr, d.credErr = errorLabel(), errorLabel(), errorLabel()
	d.testResult = widget.NewLabel("")
	d.testResult.Wrapping = fyne.TextWrapWord
	d.testResult.Hide()
	d.test = widget.NewButtonWithIcon("Test servers", theme.MediaPlayIcon(), d.testServers)
	d.restore = widget.NewButtonWithIcon("Restore defaults", theme.HistoryIcon(), d.restoreDefaults)
	d.status = widget.NewLabel("")
	d.status.Wrapping = fyne.TextWrapWord
	d.status.Hide()
	d.view = NewVideoView(previewOpening, true)
	size := previewSize
	if u.win.Canvas().Size().Height < 500 {
		size = fyne.NewSize(128, 96) // a small window keeps room for the fields
	}
	d.previewBox = container.NewGridWrap(size, d.view)
	d.fill(cur)

	for _, e := range []*widget.Entry{d.stun, d.turn, d.user, d.pass} {
		e.OnChanged = func(string) { d.edited() }
	}
	d.camera.onChanged = func(string) { d.restartPreview() }

	form := widget.NewForm(
		widget.NewFormItem("Camera", d.camera),
		widget.NewFormItem("", container.NewHBox(d.previewBox)),
		widget.NewFormItem("Picture", d.picture),
		widget.NewFormItem("Microphone", d.mic),
		widget.NewFormItem("Speaker", d.speaker),
		widget.NewFormItem("Sound", d.echo),
		&widget.FormItem{Text: "STUN servers", Widget: container.NewVBox(d.stun, d.stunErr),
			HintText: `host or host:port, one a line; empty: the default; "none": none`},
		&widget.FormItem{Text: "TURN server", Widget: container.NewVBox(d.turn, d.turnErr),
			HintText: "turn:host:port[?transport=tcp], or turns:host:port"},
		widget.NewFormItem("TURN user", d.user),
		widget.NewFormItem("TURN password", container.NewVBox(d.pass, d.credErr)),
		widget.NewFormItem("", container.NewVBox(container.NewHBox(d.test), d.testResult)),
	)
	save := widget.NewButtonWithIcon("Save", theme.ConfirmIcon(), d.save)
	save.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.dlg.Hide() })
	buttons := container.NewBorder(nil, nil, d.restore, container.NewHBox(cancel, save))
	d.form, d.scroll, d.bottom = form, container.NewVScroll(form), container.NewVBox(d.status, buttons)
	d.content = container.NewBorder(nil, d.bottom, nil, nil, d.scroll)

	d.dlg = dialog.NewCustomWithoutButtons("Settings", d.content, u.win)
	d.dlg.SetOnClosed(d.closed)
	u.escape = d.dlg.Hide // Escape cancels, as the Cancel button does
	// The screen's shortcuts (start a call, join one, …) wait until the
	// settings close: a call started behind them would find the camera
	// held by the preview.
	for _, s := range u.shortcuts {
		u.win.Canvas().RemoveShortcut(s)
	}
	// Shown once at its smallest to learn what the dialog adds around
	// its content (title, padding), then sized to fit.
	d.dlg.Resize(fyne.NewSize(560, 200))
	d.dlg.Show()
	d.overhead = max(0, 200-d.content.Size().Height)
	d.fit()
	d.restartPreview()
	return d
}

// fit sizes the dialog to its content, within the window: as wide as the
// form wants between 560 and 720, as high as the window allows; the form
// scrolls inside.
func (d *settingsDialog) fit() {
	c := d.u.win.Canvas().Size()
	pad := theme.Padding()
	want := d.form.MinSize()
	w := min(max(want.Width+4*pad, 560), 720, c.Width-2*pad)
	h := min(want.Height+d.bottom.MinSize().Height+pad+d.overhead, c.Height-2*pad)
	d.dlg.Resize(fyne.NewSize(w, h))
}

// scrollTo scrolls the form so that o shows.
func (d *settingsDialog) scrollTo(o fyne.CanvasObject) {
	drv := fyne.CurrentApp().Driver()
	y := drv.AbsolutePositionForObject(o).Y - drv.AbsolutePositionForObject(d.form).Y
	h := o.Size().Height
	if y+h <= d.scroll.Offset.Y+d.scroll.Size().Height && y >= d.scroll.Offset.Y {
		return // in sight already
	}
	// Its bottom at the view's bottom, so that the field above it shows
	// too, as much as there is room.
	top := min(y, y+h-d.scroll.Size().Height)
	d.scroll.ScrollToOffset(fyne.NewPos(0, max(0, top)))
}

func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// stunText is the STUN list as the field shows it: the default server
// when the list is the default.
func stunText(entries []string) string {
	if entries == nil {
		return strings.TrimPrefix(call.DefaultSTUN, "stun:")
	}
	return strings.Join(entries, "\n")
}

// fill puts s into the fields.
func (d *settingsDialog) fill(s settings) {
	camera := d.camera.ID()
	d.camera.setID(s.Camera)
	d.picture.setID(s.Picture)
	d.mic.setID(s.Microphone)
	d.speaker.setID(s.Speaker)
	d.echo.SetChecked(s.EchoCancel)
	if s.STUN == nil {
		d.stun.SetText("")
	} else {
		d.stun.SetText(stunText(s.STUN))
	}
	d.turn.SetText(s.TURN)
	d.user.SetText(s.TURNUser)
	d.pass.SetText(s.TURNPass)
	if d.dlg != nil && camera != d.camera.ID() {
		d.restartPreview()
	}
}

// fields reads the fields back, and what is wrong with the servers.
func (d *settingsDialog) fields() (settings, serverErrors) {
	stun, errs := checkServers(d.stun.Text, d.turn.Text, d.user.Text, d.pass.Text)
	return settings{
		Camera: d.camera.ID(), Picture: d.picture.ID(), Microphone: d.mic.ID(), Speaker: d.speaker.ID(),
		EchoCancel: d.echo.Checked, STUN: stun, TURN: strings.TrimSpace(d.turn.Text),
		TURNUser: d.user.Text, TURNPass: d.pass.Text,
	}, errs
}

// showErrors marks each field with what is wrong with it.
func (d *settingsDialog) showErrors(e serverErrors) {
	defer d.relayout()
	for _, m := range []struct {
		l    *widget.Label
		text string
	}{{d.stunErr, e.STUN}, {d.turnErr, e.TURN}, {d.credErr, e.Credentials}} {
		m.l.SetText(m.text)
		if m.text == "" {
			m.l.Hide()
		} else {
			m.l.Show()
		}
	}
}

// relayout lays the form out again after a message came or went.
func (d *settingsDialog) relayout() {
	if d.dlg != nil {
		d.form.Refresh()
		d.fit()
		d.content.Refresh()
	}
}

func (d *settingsDialog) setStatus(text string) {
	defer d.relayout()
	d.status.SetText(text)
	if text == "" {
		d.status.Hide()
	} else {
		d.status.Show()
	}
}

// edited follows the typing once Save was refused.
func (d *settingsDialog) edited() {
	if !d.checked {
		return
	}
	_, errs := d.fields()
	d.showErrors(errs)
	if errs.ok() {
		d.setStatus("")
	}
}

// save keeps the fields for the next call, unless a server entry is one
// the call could not use: then nothing is saved and the entry is marked.
func (d *settingsDialog) save() {
	s, errs := d.fields()
	d.showErrors(errs)
	if !errs.ok() {
		d.checked = true
		d.setStatus("Not saved: correct what is marked in red, or Cancel.")
		d.scrollToError()
		return
	}
	s.save(d.u.app.Preferences())
	d.dlg.Hide()
}

// restoreDefaults fills in the default settings; they are kept only when
// saved, and "Undo" puts back what the fields held.
func (d *settingsDialog) restoreDefaults() {
	if d.undo != nil {
		before := *d.undo
		d.undo = nil
		d.fill(before.s)
		d.stun.SetText(before.stun)
		d.restore.SetText("Restore defaults")
		d.restore.SetIcon(theme.HistoryIcon())
		d.setStatus("")
		return
	}
	before, _ := d.fields()
	d.undo = &struct {
		s    settings
		stun string
	}{before, d.stun.Text}
	d.fill(defaultSettings())
	d.stun.SetText(stunText(nil))
	d.restore.SetText("Undo")
	d.restore.SetIcon(theme.ContentUndoIcon())
	d.setStatus("Default settings filled in. Save keeps them; Undo or Cancel keeps yours.")
}

// testServers asks each STUN server and the TURN server, off the UI
// goroutine, and shows what each said as it answers.
func (d *settingsDialog) testServers() {
	s, errs := d.fields()
	d.showErrors(errs)
	d.testResult.Show()
	if !errs.ok() {
		d.checked = true
		d.testResult.SetText("Correct the addresses marked in red first.")
		d.relayout()
		d.scrollToError()
		return
	}
	var servers []probe.Server
	stun := s.STUN
	if stun == nil {
		stun = []string{call.DefaultSTUN}
	}
	for _, e := range stun {
		if strings.EqualFold(e, call.NoSTUN) {
			continue
		}
		if p, err := probe.ParseSTUN(e); err == nil {
			servers = append(servers, p)
		}
	}
	if s.TURN != "" {
		if p, err := probe.ParseTURN(s.TURN); err == nil {
			servers = append(servers, p)
		}
	}
	if len(servers) == 0 {
		d.testResult.SetText("There is no server to test: the STUN list says none, and there is no TURN server.")
		d.relayout()
		return
	}
	d.stopTest()
	ctx, cancel := context.WithTimeout(context.Background(), probe.DefaultTimeout)
	d.testCancel = cancel
	d.testRun++
	run := d.testRun
	lines := make([]string, len(servers))
	for i, srv := range servers {
		lines[i] = "Asking " + srv.Name() + "…"
	}
	d.testResult.SetText(strings.Join(lines, "\n"))
	d.relayout()
	d.test.Disable()
	d.asking = len(servers)
	for i, srv := range servers {
		user, pass := "", ""
		if srv.TURN {
			user, pass = s.TURNUser, s.TURNPass
		}
		go func() {
			r := probe.Ask(ctx, srv, user, pass)
			onUI(func() {
				if run != d.testRun {
					return
				}
				lines[i] = capitalize(r.Message) + "."
				d.testResult.SetText(strings.Join(lines, "\n"))
				d.relayout()
				d.reveal(d.testResult)
				if d.asking--; d.asking == 0 {
					d.test.Enable()
					cancel()
				}
			})
		}()
	}
}

// scrollToError brings the first field marked in red into sight.
func (d *settingsDialog) scrollToError() {
	for _, l := range []*widget.Label{d.stunErr, d.turnErr, d.credErr} {
		if l.Visible() {
			d.reveal(l)
			return
		}
	}
}

// reveal scrolls o into sight now, and again once the window has laid out
// what just changed (the desktop driver places new lines when it next
// draws).
func (d *settingsDialog) reveal(o fyne.CanvasObject) {
	d.scrollTo(o)
	go onUI(func() { d.scrollTo(o) })
}

// stopTest drops a test under way.
func (d *settingsDialog) stopTest() {
	if d.testCancel != nil {
		d.testCancel()
		d.testCancel = nil
	}
	d.testRun++
	d.asking = 0
	d.test.Enable()
}

// restartPreview shows the camera chosen now, stopping the one before.
func (d *settingsDialog) restartPreview() {
	d.prev.stop()
	choice := d.camera.ID()
	text := previewOpening
	if choice == noCamera {
		text = previewNoCamera
	}
	d.view = NewVideoView(text, true)
	d.previewBox.Objects = []fyne.CanvasObject{d.view}
	d.previewBox.Refresh()
	view := d.view
	d.prev = startPreview(choice, view, func() {
		if d.view == view {
			d.view = NewVideoView(previewMissing, true)
			d.previewBox.Objects = []fyne.CanvasObject{d.view}
			d.previewBox.Refresh()
		}
	})
}

// closed runs when the dialog goes, saved or not: the camera and any test
// under way stop.
func (d *settingsDialog) closed() {
	d.prev.stop()
	d.stopTest()
	d.u.escape = d.escape
	delete(settingsOpen, d.u)
	for _, s := range d.u.shortcuts {
		if f := d.u.handlers[s.ShortcutName()]; f != nil {
			d.u.win.Canvas().AddShortcut(s, func(fyne.Shortcut) { f() })
		}
	}
}
