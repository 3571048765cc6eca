package ui

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	"peercall/assets"
	"peercall/call"
	"peercall/call/profile"
	_ "peercall/ui/locale" // before the toolkit reads the locale: see the package
	"peercall/ui/xdirect"
)

// AppID identifies Peercall to the desktop and keys its preferences.
const AppID = "app.peercall.peercall"

// Options adjust the window at start.
type Options struct {
	// Source, when "pattern", sends the test pattern instead of the
	// camera chosen in the settings.
	Source string
	// Logger receives the engine's logs; nil discards them.
	Logger *slog.Logger
	// ToolkitDrawing keeps the pictures in the toolkit's drawing: they
	// never go straight to the X server (direct.go).
	ToolkitDrawing bool
	// Width and Height, when set, are the picture size sent (the camera
	// is asked for it), whatever the settings say.
	Width, Height int
	// Interfaces, when set, limits the network interfaces calls use (as
	// the headless --interface flag does).
	Interfaces []string
}

// Main runs `peercall [flags]`: the window, with the few flags it takes
// for testing and demonstrations. It returns the process exit status.
func Main(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("peercall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", "", "video source: camera (from the settings) or pattern")
	verbose := fs.Bool("verbose", false, "log the call engine's work to stderr")
	size := fs.String("size", "", "picture size to send, WxH (default: as in the settings)")
	toolkit := fs.Bool("toolkit-drawing", false, "draw the pictures through the toolkit only, never straight to the X server")
	var prof profile.Flags
	prof.Register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := Options{Source: *source, ToolkitDrawing: *toolkit}
	if *size != "" {
		var err error
		if opts.Width, opts.Height, err = call.ParseSize(*size); err != nil {
			fmt.Fprintf(stderr, "peercall: --size: %v\n", err)
			return 2
		}
	}
	if *source != "" && *source != "camera" && *source != "pattern" {
		fmt.Fprintf(stderr, "peercall: --source %q: use camera or pattern\n", *source)
		return 2
	}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	stop, err := prof.Start()
	if err != nil {
		fmt.Fprintf(stderr, "peercall: %v\n", err)
		return 2
	}
	Run(opts)
	stop()
	return 0
}

// Run opens the window and returns when it is closed.
func Run(opts Options) {
	// In a call the window allocates little (about 2 MB a second), so a
	// heap held within a fifth of what is live costs a collection every
	// few seconds and keeps memory down.
	debug.SetGCPercent(20)
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("Peercall")
	u := newUI(a, w, opts)
	u.showHome("")
	w.Resize(fyne.NewSize(960, 640))
	w.SetCloseIntercept(func() {
		u.endAttempt()
		w.Close()
	})
	a.Lifecycle().SetOnEnteredForeground(u.offerClipboard)
	// Interrupted or told to stop (Ctrl+C in a terminal, logout): hang up
	// so the peer hears of it, and quit.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sig)
		close(done)
	}()
	go func() {
		select {
		case <-sig:
			fyne.Do(func() {
				u.endAttempt()
				a.Quit()
			})
		case <-done:
		}
	}()
	w.ShowAndRun()
}

// UI is the window's state: which screen shows and the call attempt it
// belongs to. Its methods run on the UI goroutine.
type UI struct {
	app     fyne.App
	win     fyne.Window
	opts    Options
	attempt *attempt
	// offerClipboard of the current screen, if it takes a code.
	clipboardCheck func(text string) bool
	clipboardOffer func(text string)
	shortcuts      []fyne.Shortcut
	handlers       map[string]func()
	escape         func() // what Escape does on this screen; nil: nothing
	edgeToEdge     bool   // the next screen set goes to the window's edges
	// The parts of the start or join screen, for the bridge and tests.
	parts screenParts
	call  *callScreen
	// Where pictures go straight to the screen: opened once (direct.go).
	xDisp  *xdirect.Display
	xTried bool
}

// screenParts are the widgets of the start and join screens that change.
type screenParts struct {
	field  *codeField
	code   *codeBox
	status *widget.Label
}

// runShortcut runs the current screen's handler for s, if it has one.
func (u *UI) runShortcut(s fyne.Shortcut) bool {
	f, ok := u.handlers[s.ShortcutName()]
	if ok {
		f()
	}
	return ok
}

// runKey runs the current screen's handler for a key, if it has one.
func (u *UI) runKey(e *fyne.KeyEvent) bool {
	if e.Name == fyne.KeyEscape && u.escape != nil {
		u.escape()
		return true
	}
	return false
}

func newUI(a fyne.App, w fyne.Window, opts Options) *UI {
	keepFilesUntilWritten()
	return &UI{app: a, win: w, opts: opts}
}

// setScreen replaces the window's content and the screen's shortcuts.
func (u *UI) setScreen(content fyne.CanvasObject, shortcuts map[fyne.Shortcut]func()) {
	c := u.win.Canvas()
	for _, s := range u.shortcuts {
		c.RemoveShortcut(s)
	}
	u.shortcuts = u.shortcuts[:0]
	u.handlers = map[string]func(){}
	for s, f := range shortcuts {
		u.handlers[s.ShortcutName()] = f
		c.AddShortcut(s, func(fyne.Shortcut) { f() })
		u.shortcuts = append(u.shortcuts, s)
	}
	u.escape = nil
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { u.runKey(e) })
	u.win.SetPadded(!u.edgeToEdge)
	u.edgeToEdge = false
	u.parts, u.call = screenParts{}, nil
	u.clipboardCheck, u.clipboardOffer = nil, nil
	// A field that had the focus on the screen going would keep its
	// cursor blinking, and the whole window repainting, for good.
	c.Unfocus()
	u.win.SetContent(content)
}

// offerClipboard shows the current screen's one-click paste when the
// clipboard holds a code it can take.
func (u *UI) offerClipboard() {
	if u.clipboardCheck == nil {
		return
	}
	text := u.app.Clipboard().Content()
	if text != "" && u.clipboardCheck(text) {
		u.clipboardOffer(text)
	}
}
