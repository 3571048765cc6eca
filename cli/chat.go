package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"peercall/rtc"
)

// Headless chat: once the call is connected, each line on stdin is sent as
// one chat message, and each message received is printed on stdout as one
// JSON line, {"chat":"…","at":"RFC 3339 time it arrived"}. Lines on stdin
// before that are codes (the reply, or a new pair resuming a lost call).

// chatLine is one message received, as printed on stdout.
type chatLine struct {
	Chat string `json:"chat"`
	At   string `json:"at"`
}

// chatTime is how the arrival time is written: RFC 3339 in UTC, to the
// millisecond.
const chatTime = "2006-01-02T15:04:05.000Z07:00"

// chatLines is stdin while the chat channel is open (also while the call
// reconnects: messages wait to leave); nil otherwise, so lines wait their
// turn. The session signals Changed when the channel opens.
func (s *session) chatLines() <-chan string {
	if s.stdinDone || !s.sess.ChatOpen() {
		return nil
	}
	return s.lines
}

// sendChat sends one line of stdin as a chat message; ok false means stdin
// ended (the call goes on). Blank lines are skipped; a line that cannot be
// sent is said on stderr.
func (s *session) sendChat(line string, ok bool) {
	if !ok {
		s.stdinDone = true
		return
	}
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	if _, err := s.sess.SendChat(line); err != nil {
		fmt.Fprintf(s.errs, "peercall: %s\n", chatRefusal(err, line))
	}
}

// chatRefusal says why a line was not sent, as a sentence.
func chatRefusal(err error, line string) string {
	switch {
	case errors.Is(err, rtc.ErrChatTooLong):
		return fmt.Sprintf("that message was not sent: it is %d bytes long, the most is %d; send it in parts", len(line), rtc.MaxChatText)
	case errors.Is(err, rtc.ErrChatNotText):
		return "that message was not sent: it is not UTF-8 text"
	case errors.Is(err, rtc.ErrChatBusy):
		return "that message was not sent: earlier messages have not left yet; try again in a moment"
	}
	return "that message was not sent: the call is not connected"
}

// printChat writes a message received as one JSON line on stdout.
func (s *session) printChat(m rtc.ChatMessage) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(chatLine{Chat: m.Text, At: m.At.UTC().Format(chatTime)}); err != nil {
		return
	}
	fmt.Fprint(s.out, b.String())
}
