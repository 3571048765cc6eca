package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pion/webrtc/v4"

	"peercall/rtc/invite"
)

// Code runs `peercall code decode|encode`: the bridge between Peercall's
// codes and standard session descriptions.
func Code(args []string, std Streams) error {
	if len(args) == 0 {
		return usageError("usage: peercall code decode CODE | peercall code encode [--invite CODE] < description.json")
	}
	switch args[0] {
	case "decode":
		return codeDecode(args[1:], std)
	case "encode":
		return codeEncode(args[1:], std)
	default:
		return usageError("peercall code: unknown action %q: use decode or encode", args[0])
	}
}

func codeDecode(args []string, std Streams) error {
	var text string
	switch {
	case len(args) > 1:
		return usageError("peercall code decode takes one code")
	case len(args) == 1 && args[0] != "-":
		text = args[0]
	default:
		data, err := io.ReadAll(io.LimitReader(std.Stdin, 64<<10))
		if err != nil {
			return err
		}
		text = string(data)
	}
	code, err := invite.Decode(text)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	out, err := json.Marshal(code.Description())
	if err != nil {
		return err
	}
	fmt.Fprintln(std.Stdout, string(out))
	return nil
}

func codeEncode(args []string, std Streams) error {
	fs := flag.NewFlagSet("code encode", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	inviteText := fs.String("invite", "", "the invite code an answer replies to (needed for answers)")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	data, err := io.ReadAll(io.LimitReader(std.Stdin, 256<<10))
	if err != nil {
		return err
	}
	var desc webrtc.SessionDescription
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(data))), &desc); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("stdin is not a session description in JSON ({\"type\":…,\"sdp\":…}): %v", err)}
	}
	var answers *invite.Code
	if desc.Type == webrtc.SDPTypeAnswer {
		if *inviteText == "" {
			return usageError("an answer needs --invite CODE: the invite it replies to")
		}
		if answers, err = invite.Parse(*inviteText, invite.KindInvite, nil); err != nil {
			return &exitError{code: 1, msg: "--invite: " + err.Error()}
		}
	}
	code, err := invite.FromDescription(desc, answers)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	text, err := invite.Encode(code)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	fmt.Fprintln(std.Stdout, text)
	return nil
}
