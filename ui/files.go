package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"peercall/rtc"
)

// Files in the call window: a file dropped on the window, or picked with
// the controls' "Send a file" button, is offered to the other side; a file
// the other side offers shows in the status panel with its name and size,
// to be saved (a save dialog, in Downloads unless the person goes
// elsewhere) or declined. Each transfer has a progress bar on both sides
// and ends with a line saying how it went, which goes after a while.

// fileResultFor is how long the line saying how a transfer ended stays.
const fileResultFor = 10 * time.Second

// filePollEvery is how often a transfer's progress is read.
const filePollEvery = 200 * time.Millisecond

// filesPanel lists the call's file transfers, inside the status panel.
type filesPanel struct {
	c    *callScreen
	box  *fyne.Container
	rows map[any]*fileRow
	// saveTo picks where an offered file goes (a save dialog; tests
	// replace it) and calls done with the path, or not at all.
	saveTo func(name string, done func(path string))
}

// fileRow is one transfer: what it is, a progress bar, its buttons.
type fileRow struct {
	box     *fyne.Container
	label   *widget.Label // the offer, the result; the file's name while it crosses
	icon    *widget.Icon  // which way the file goes
	amount  *widget.Label // how much has crossed
	bar     *progressLine
	buttons *fyne.Container // beside the words: a small stop or close button
	actions *fyne.Container // under the words: an offer's answers
	asking  bool            // an offer waiting for the person's answer
	running bool            // the file is crossing
}

func newFilesPanel(c *callScreen) *filesPanel {
	p := &filesPanel{c: c, box: container.NewVBox(), rows: map[any]*fileRow{}}
	p.saveTo = p.saveDialog
	p.box.Hide()
	return p
}

// asking tells whether an offer waits for an answer: the status panel
// then stays in view.
func (p *filesPanel) asking() bool {
	for _, r := range p.rows {
		if r.asking {
			return true
		}
	}
	return false
}

// row returns key's row, made if new.
func (p *filesPanel) row(key any) *fileRow {
	if r := p.rows[key]; r != nil {
		return r
	}
	r := &fileRow{label: widget.NewLabel(""), icon: widget.NewIcon(nil), amount: widget.NewLabel(""), bar: newProgressLine(),
		buttons: container.NewHBox(), actions: container.NewHBox()}
	r.label.Wrapping = fyne.TextWrapWord
	// While a file crosses, its row is one line of words (the name cut
	// short where the window is narrow) over a thin bar, so that two
	// transfers fit the smallest window.
	r.box = container.NewVBox(container.NewBorder(nil, nil, r.icon, container.NewHBox(r.amount, r.buttons), r.label), r.bar.box,
		container.NewBorder(nil, nil, nil, r.actions))
	r.actions.Hide()
	p.rows[key] = r
	p.box.Add(r.box)
	p.box.Show()
	return r
}

func (p *filesPanel) remove(key any) {
	r := p.rows[key]
	if r == nil {
		return
	}
	delete(p.rows, key)
	p.box.Remove(r.box)
	if len(p.rows) == 0 {
		p.box.Hide()
	}
	p.c.arrange()
}

// showOffer asks whether to take a file the other side offers.
func (p *filesPanel) showOffer(key any, name string, size int64, accept func(path string) error, decline func()) {
	r := p.row(key)
	r.asking = true
	wrapped(r.label, fmt.Sprintf("The other side wants to send you “%s” (%s).", name, sizeText(size)))
	r.bar.box.Hide()
	r.icon.Hide()
	r.amount.Hide()
	save := widget.NewButtonWithIcon("Save…", theme.DownloadIcon(), nil)
	save.Importance = widget.HighImportance
	save.OnTapped = func() {
		p.saveTo(name, func(path string) {
			if p.rows[key] != r || !r.asking {
				return
			}
			if err := accept(path); err != nil {
				p.showResult(key, fileErrorText(name, true, err))
				return
			}
			r.asking = false
			p.showProgress(key, true, name, 0, size)
		})
	}
	no := widget.NewButton("Decline", func() {
		decline()
		p.remove(key)
	})
	setButtons(r.actions, no, save)
	setButtons(r.buttons)
	p.c.wake()
	p.c.arrange()
}

// showProgress shows a transfer under way: done bytes of size.
func (p *filesPanel) showProgress(key any, incoming bool, name string, done, size int64) {
	r := p.row(key)
	if r.asking {
		return
	}
	// The arrow says which way; the name is cut short before the amount.
	r.icon.SetResource(theme.UploadIcon())
	if incoming {
		r.icon.SetResource(theme.DownloadIcon())
	}
	r.icon.Show()
	oneLine(r.label, name)
	r.amount.SetText(amountText(done, size))
	r.amount.Show()
	if size > 0 {
		r.bar.set(float64(done) / float64(size))
	} else {
		r.bar.set(1)
	}
	r.bar.box.Show()
	if !r.running {
		r.running = true
		stop := newTipButton(theme.CancelIcon(), "Stop this transfer", func() {
			if t, ok := key.(*rtc.Transfer); ok {
				t.Cancel()
			}
		})
		setButtons(r.buttons, stop)
		setButtons(r.actions)
	}
	p.c.arrange()
}

// showWaiting shows a file offered by this side, not yet answered.
func (p *filesPanel) showWaiting(key any, name string, size int64, cancel func()) {
	r := p.row(key)
	wrapped(r.label, fmt.Sprintf("Offering “%s” (%s): waiting for the other side to accept it…", name, sizeText(size)))
	r.bar.box.Hide()
	r.icon.Hide()
	r.amount.Hide()
	setButtons(r.actions, widget.NewButton("Cancel", cancel))
	setButtons(r.buttons)
	p.c.arrange()
}

// showResult says how a transfer ended; the line goes after a while.
func (p *filesPanel) showResult(key any, text string) {
	r := p.row(key)
	r.asking, r.running = false, false
	wrapped(r.label, text)
	r.bar.box.Hide()
	r.icon.Hide()
	r.amount.Hide()
	setButtons(r.buttons, newTipButton(theme.CancelIcon(), "Close", func() { p.remove(key) }))
	setButtons(r.actions)
	p.c.arrange()
	p.c.after(fileResultFor, func() {
		if p.rows[key] == r {
			p.remove(key)
		}
	})
}

// setButtons puts these buttons in c, and hides it when there are none.
func setButtons(c *fyne.Container, buttons ...fyne.CanvasObject) {
	c.Objects = buttons
	showIf(c, len(buttons) > 0)
	c.Refresh()
}

// wrapped shows text in l over as many lines as it needs.
func wrapped(l *widget.Label, text string) {
	l.Wrapping, l.Truncation = fyne.TextWrapWord, fyne.TextTruncateOff
	l.SetText(text)
	l.Show()
}

// oneLine shows text in l on one line, cut short with an ellipsis where
// the panel is narrow.
func oneLine(l *widget.Label, text string) {
	l.Wrapping, l.Truncation = fyne.TextWrapOff, fyne.TextTruncateEllipsis
	l.SetText(text)
	l.Show()
}

// amountText says how much of a file has crossed: "21.0 / 52.4 MB",
// in the unit of the whole.
func amountText(done, size int64) string {
	whole := sizeText(size)
	unit, div := "", 1.0
	switch {
	case size >= 1000_000_000:
		unit, div = " GB", 1e9
	case size >= 1000_000:
		unit, div = " MB", 1e6
	case size >= 1000:
		unit, div = " kB", 1e3
	}
	if unit == "" {
		return fmt.Sprintf("%d / %s", done, whole)
	}
	num := strings.TrimSuffix(whole, unit)
	prec := 0
	if i := strings.IndexByte(num, '.'); i >= 0 {
		prec = len(num) - i - 1
	}
	return fmt.Sprintf("%.*f / %s", prec, float64(done)/div, whole)
}

// sizeText says a size as a file manager does: "812 bytes", "3.2 MB".
func sizeText(n int64) string {
	switch {
	case n < 1000:
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	case n < 1000_000:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	case n < 1000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

// fileErrorText says in a sentence how a transfer went wrong.
func fileErrorText(name string, incoming bool, err error) string {
	q := "“" + name + "”"
	switch {
	case errors.Is(err, rtc.ErrFileDeclined):
		return "The other side declined " + q + "."
	case errors.Is(err, rtc.ErrFileStopped):
		return "The other side stopped receiving " + q + "."
	case errors.Is(err, rtc.ErrFileCancelled):
		return "The other side stopped sending " + q + "."
	case errors.Is(err, rtc.ErrFileStopByMe):
		return q + " was stopped."
	case errors.Is(err, rtc.ErrFileCallEnded):
		return q + " was not finished: the call ended. Nothing was kept."
	case errors.Is(err, rtc.ErrFileTooLarge):
		return q + " is too large: Peercall sends files of up to 4 GiB."
	case errors.Is(err, rtc.ErrFileName):
		return "The other side cannot take a file named " + q + ". Rename it and send it again."
	case errors.Is(err, rtc.ErrFileBusy):
		return "The other side is receiving too many files at once. Send " + q + " when one has finished."
	case errors.Is(err, rtc.ErrFileCorrupt):
		if incoming {
			return q + " arrived damaged and was not kept. Ask for it again."
		}
		return q + " arrived damaged on the other side. Send it again."
	case errors.Is(err, rtc.ErrFileNotFile):
		return "Only a file can be sent, not a folder."
	case errors.Is(err, rtc.ErrFileChanged):
		return q + " changed while it was being sent. Send it again once it is saved."
	case errors.Is(err, os.ErrPermission):
		if incoming {
			return q + " cannot be saved there: you may not write to that folder. Choose another."
		}
		return q + " cannot be read: you may not open it."
	}
	if incoming {
		return q + " could not be saved. Check that the disk has room, then ask for it again."
	}
	return q + " could not be sent. Run peercall --verbose from a terminal to see why."
}

// sendFile offers the file at path and follows it.
func (c *callScreen) sendFile(path string) {
	name := filepath.Base(path)
	t, err := c.att.sess.SendFile(path)
	if err != nil {
		c.att.call.Logger().Debug("file not sent", "file", path, "err", err)
		key := new(int) // a row of its own
		c.files.showResult(key, fileErrorText(name, false, err))
		return
	}
	c.files.showWaiting(t, t.Name(), t.Size(), t.Cancel)
	go c.followTransfer(c.ctx, t)
}

// followTransfer mirrors a transfer into its row until it ends or the
// call screen goes. It runs on its own goroutine.
func (c *callScreen) followTransfer(ctx context.Context, t *rtc.Transfer) {
	tick := time.NewTicker(filePollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if t.Started().IsZero() {
				continue
			}
			n := t.Progress()
			onUI(func() {
				if c.u.call == c {
					c.files.showProgress(t, t.Incoming(), t.Name(), n, t.Size())
				}
			})
		case <-t.Done():
			err := t.Err()
			text := ""
			switch {
			case err != nil:
				text = fileErrorText(t.Name(), t.Incoming(), err)
			case t.Incoming():
				text = fmt.Sprintf("Saved “%s” in %s.", filepath.Base(t.SavedAs()), folderName(filepath.Dir(t.SavedAs())))
			default:
				text = fmt.Sprintf("“%s” was sent.", t.Name())
			}
			onUI(func() {
				if c.u.call == c {
					c.files.showResult(t, text)
				}
			})
			return
		}
	}
}

// followOffers shows each file the other side offers until the call
// screen goes. It runs on its own goroutine.
func (c *callScreen) followOffers(ctx context.Context, s *rtc.Session) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-s.FileOffers():
			onUI(func() {
				if c.u.call != c {
					t.Decline()
					return
				}
				c.files.showOffer(t, t.Name(), t.Size(), func(path string) error {
					if err := t.Accept(path); err != nil {
						return err
					}
					go c.followTransfer(ctx, t)
					return nil
				}, t.Decline)
			})
		}
	}
}

// pickFile shows the open dialog for a file to send.
func (c *callScreen) pickFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		c.sendFile(path)
	}, c.u.win)
	if dir := storage.NewFileURI(homeDir()); dir != nil {
		if l, err := storage.ListerForURI(dir); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

// dropped sends the files dropped on the window.
func (c *callScreen) dropped(_ fyne.Position, uris []fyne.URI) {
	if c.u.call != c {
		return
	}
	c.wake()
	for _, u := range uris {
		if u.Scheme() == "file" {
			c.sendFile(u.Path())
		}
	}
}

// saveDialog asks where an offered file goes: a save dialog in the
// Downloads folder with the offered name.
func (p *filesPanel) saveDialog(name string, done func(path string)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if path, ok := chosenForSaving(w, err); ok {
			done(path)
		}
	}, p.c.u.win)
	d.SetFileName(name)
	if l, err := storage.ListerForURI(storage.NewFileURI(downloadsDir())); err == nil {
		d.SetLocation(l)
	}
	d.Show()
}

// chosenForSaving is the path the save dialog's writer w stands for, with
// nothing written there: the received file replaces what is there only
// once it is whole. Its writer writes nothing until written to
// (keepUntilWritten); another repository's writer has already made an
// empty file, which goes, so that a transfer that fails leaves nothing.
func chosenForSaving(w fyne.URIWriteCloser, err error) (string, bool) {
	if err != nil || w == nil {
		return "", false
	}
	path := w.URI().Path()
	_, lazy := w.(*lazyWriter)
	w.Close()
	if !lazy {
		if info, err := os.Stat(path); err == nil && info.Size() == 0 {
			os.Remove(path)
		}
	}
	return path, true
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

// downloadsDir is the person's Downloads folder: XDG_DOWNLOAD_DIR from
// the desktop's user-dirs.dirs, else ~/Downloads, else the home folder.
func downloadsDir() string {
	home := homeDir()
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	if f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			v, ok := strings.CutPrefix(line, "XDG_DOWNLOAD_DIR=")
			if !ok {
				continue
			}
			v = strings.ReplaceAll(strings.Trim(v, `"`), "$HOME", home)
			if info, err := os.Stat(v); err == nil && info.IsDir() {
				return v
			}
		}
	}
	if d := filepath.Join(home, "Downloads"); isDir(d) {
		return d
	}
	return home
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// folderName says a folder as a person knows it: "Downloads", not its
// whole path.
func folderName(dir string) string {
	if dir == homeDir() {
		return "your home folder"
	}
	return filepath.Base(dir)
}

// progressLine is a thin progress bar: the theme's primary colour over
// its input background, as far across as the transfer has got.
type progressLine struct {
	box   *fyne.Container
	fill  *canvas.Rectangle
	value float64
}

func newProgressLine() *progressLine {
	p := &progressLine{fill: canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))}
	track := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	track.CornerRadius, p.fill.CornerRadius = 2, 2
	p.box = container.New(p, track, p.fill)
	return p
}

// Value is how far across the bar is, 0 to 1.
func (p *progressLine) Value() float64 { return p.value }

func (p *progressLine) set(v float64) {
	p.value = min(max(v, 0), 1)
	p.Layout(p.box.Objects, p.box.Size())
	p.fill.Refresh()
}

// MinSize: four pixels tall, any width.
func (p *progressLine) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(16, 4) }

func (p *progressLine) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
	objs[1].Move(fyne.NewPos(0, 0))
	objs[1].Resize(fyne.NewSize(size.Width*float32(p.value), size.Height))
}
