// Peercall is a two-person video-call app: one side starts a call and sends
// a short invite code, the other pastes it and sends back a reply code, and
// the two talk peer to peer. With no arguments it opens the window; the
// subcommands run calls without one. This file only dispatches.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	// The camera driver registers itself with mediadevices.
	_ "github.com/pion/mediadevices/pkg/driver/camera"

	"peercall/bench"
	"peercall/cli"
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
  peercall bench report [--dir DIR] [--md FILE] [--json FILE] [--soak|--windows]
                                   turn make bench's measurements into BENCHMARKS.md
Run "peercall invite -h" for the call flags.
`

func main() {
	attachConsole()
	args := os.Args[1:]
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		os.Exit(ui.Main(args, os.Stderr))
	}
	std := cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	var err error
	switch args[0] {
	case "invite":
		err = cli.Invite(args[1:], std)
	case "join":
		err = cli.Join(args[1:], std)
	case "code":
		err = cli.Code(args[1:], std)
	case "bench":
		err = bench.Run(args[1:], os.Stdout, os.Stderr)
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "peercall: unknown command %q\n\n%s", args[0], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "peercall: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is 0 for no error, the status an error carries (2 for a
// mistake on the command line), else 1.
func exitCode(err error) int {
	var coded interface{ ExitCode() int }
	switch {
	case err == nil:
		return 0
	case errors.As(err, &coded):
		return coded.ExitCode()
	}
	return 1
}
