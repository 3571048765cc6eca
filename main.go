// Peercall is a two-person video-call app: one side starts a call and sends
// a short invite code, the other pastes it and sends back a reply code, and
// the two talk peer to peer. With no arguments it opens the window; the
// subcommands run calls without one.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	// The camera driver registers itself with mediadevices.
	_ "github.com/pion/mediadevices/pkg/driver/camera"

	"peercall/rtc/headless"
	"peercall/ui"
)

const usage = `Peercall — peer-to-peer video calls with two short codes.

Usage:
  peercall [--source pattern] [--size WxH]
                                   open the window (the test pattern instead of the camera;
                                   the picture size sent, as in the settings unless given)
  peercall invite [flags]          print an invite code, read the reply on stdin, run the call
  peercall join [flags] [CODE|-]   answer an invite: print the reply code, run the call
  peercall code decode CODE        print the session description a code stands for, as JSON
  peercall code encode [--invite CODE] < description.json
                                   turn a session description into a code
  peercall bench [--size WxH] [--fps N] [--seconds N] [--sample N] [--profile-dir DIR]
                                   measure a two-process call on loopback (JSON on stdout)
  peercall bench report [--dir DIR] [--md FILE] [--json FILE] [--soak]
                                   turn make bench's measurements into BENCHMARKS.md
Run "peercall invite -h" for the call flags.
`

func main() {
	std := headless.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") && os.Args[1] != "-h" && os.Args[1] != "--help" {
		os.Exit(window(os.Args[1:]))
	}
	var err error
	switch os.Args[1] {
	case "invite":
		err = headless.Invite(os.Args[2:], std)
	case "join":
		err = headless.Join(os.Args[2:], std)
	case "code":
		err = headless.Code(os.Args[2:], std)
	case "bench":
		err = headless.Bench(os.Args[2:], std)
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "peercall: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "peercall: %v\n", err)
	}
	os.Exit(headless.ExitCode(err))
}

// window opens the app's window; its flags are few and for testing and
// demonstrations.
func window(args []string) int {
	fs := flag.NewFlagSet("peercall", flag.ContinueOnError)
	source := fs.String("source", "", "video source: camera (from the settings) or pattern")
	verbose := fs.Bool("verbose", false, "log the call engine's work to stderr")
	size := fs.String("size", "", "picture size to send, WxH (default: as in the settings)")
	var profile headless.ProfileFlags
	profile.Register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var width, height int
	if *size != "" {
		var err error
		if width, height, err = headless.ParseSize(*size); err != nil {
			fmt.Fprintf(os.Stderr, "peercall: %v\n", err)
			return 2
		}
	}
	if *source != "" && *source != "camera" && *source != "pattern" {
		fmt.Fprintf(os.Stderr, "peercall: --source %q: use camera or pattern\n", *source)
		return 2
	}
	opts := ui.Options{Source: *source, Width: width, Height: height}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	stopProfile, err := profile.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "peercall: %v\n", err)
		return 2
	}
	ui.Run(opts)
	stopProfile()
	return 0
}
