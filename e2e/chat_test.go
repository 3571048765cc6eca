package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// chatLine is a chat message as a headless peer prints it on stdout.
type chatLine struct {
	Chat string `json:"chat"`
	At   string `json:"at"`
}

// nextChat waits up to d for the next line p prints on stdout after its
// code and reads it as a chat message.
func (p *peer) nextChat(d time.Duration) (string, time.Time) {
	p.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		line, ok := p.stdout.takeLine()
		if !ok {
			continue
		}
		var m chatLine
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			p.t.Fatalf("%s printed %q: not a chat line: %v", p.name, line, err)
		}
		at, err := time.Parse(time.RFC3339, m.At)
		if err != nil {
			p.t.Fatalf("%s printed %q: the time is not RFC 3339: %v", p.name, line, err)
		}
		return m.Chat, at
	}
	p.t.Fatalf("%s printed no chat message within %v", p.name, d)
	return "", time.Time{}
}

// say types a line on p's stdin, as a person chats in a terminal.
func (p *peer) say(line string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.stdin, line); err != nil {
		p.t.Fatalf("typing into %s: %v", p.name, err)
	}
}

// Two headless peers chat both ways: each line typed on one side's stdin
// after the code exchange is printed on the other's stdout as a JSON line
// with the time it arrived, and nothing else appears on stdout. A line too
// long to send (a few kilobytes, or hundreds) is refused with a sentence
// on stderr and the chat goes on; blank lines send nothing. The call ends normally after.
func TestHeadlessPeersChat(t *testing.T) {
	const seconds = 12
	inv, join := startCall(t, callOptions{seconds: seconds,
		flags: []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--stun", "none", "--interface", "lo"}})
	for _, p := range []*peer{inv, join} {
		p.waitStats(20*time.Second, "connected", func(l statsLine) bool { return l.State == "connected" })
	}

	// Typed as soon as the call connects: the line waits for the chat
	// channel rather than being lost.
	before := time.Now().Add(-time.Second) // the printed time has milliseconds only
	inv.say("Hello from the inviter — ça va? 👋 https://example.org/?a=1&b=<2>")
	got, at := join.nextChat(10 * time.Second)
	if got != "Hello from the inviter — ça va? 👋 https://example.org/?a=1&b=<2>" {
		t.Errorf("the joiner printed %q", got)
	}
	if at.Before(before) || at.After(time.Now()) {
		t.Errorf("arrived at %v, sent after %v", at, before)
	}

	join.say("")
	join.say("   ")
	join.say(strings.Repeat("long ", 1000)) // 5000 bytes: over the limit
	join.say(strings.Repeat("y", 200<<10))  // far over, and over a pipe's buffer
	join.say("and back, in \"quotes\"\t\\")
	if got, _ := inv.nextChat(10 * time.Second); got != "and back, in \"quotes\"\t\\" {
		t.Errorf("the inviter printed %q, want the line after the blank and the long ones", got)
	}
	if !strings.Contains(join.stderr.String(), "that message was not sent: it is 5000 bytes long, the most is 4096") {
		t.Errorf("the joiner did not say the long line was not sent; stderr:\n%s", join.stderr.String())
	}
	if !strings.Contains(join.stderr.String(), "it is 204800 bytes long") {
		t.Errorf("the joiner did not say the 200 KiB line was not sent")
	}
	// Several in a row keep their order.
	for i := range 20 {
		inv.say(fmt.Sprintf("line %d", i))
	}
	for i := range 20 {
		if got, _ := join.nextChat(10 * time.Second); got != fmt.Sprintf("line %d", i) {
			t.Fatalf("message %d printed as %q", i, got)
		}
	}

	// Both sides end by themselves with the call: chat changed nothing
	// else, and nothing more was printed (the cleanup checks stdout).
	for _, p := range []*peer{inv, join} {
		if err := p.wait(seconds*time.Second + 30*time.Second); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
	if line, ok := inv.stdout.takeLine(); ok {
		t.Errorf("the inviter printed %q", line)
	}
}
