package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A browser page chats with a headless Peercall through the schema of
// docs/PROTOCOL.md (section 9): the page's messages are printed on
// Peercall's stdout; a line typed into Peercall arrives in the page as
// one JSON text message of that schema; what the page sends that
// Peercall must refuse (binary, over the limit, not the schema) is
// dropped and the chat goes on.
func TestBrowserChat(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("needs Debian's chromium on PATH (apt-get install chromium)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace; make test runs it as root")
	}
	pageJS, err := browserScript("peer.js")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(browserTestBudget)
	ns := newNamespace(t, "browserchat")
	b := startChromium(t, ns, deadline)
	defer func() {
		if t.Failed() {
			t.Logf("chromium stderr (last 8 KiB, D-Bus and ALSA complaints left out):\n%s", b.stderrTail(8<<10))
		}
	}()
	page := b.newPage(t, pageJS)
	defer page.logReportOnFailure(t)

	inv := startPeer(t, peerOptions{name: "peercall invite", prefix: nsExec(ns)}, "invite",
		"--stun", "none", "--interface", "lo", "--source", "pattern", "--size", "320x240", "--seconds", "60")
	answer := page.evalString(t, "peercall.join("+jsString(codeDecode(t, inv.code))+")", 15*time.Second)
	inv.paste(codeEncode(t, answer, inv.code))

	type pageChat struct {
		State    string   `json:"state"`
		Received []string `json:"received"`
	}
	chat := func() pageChat {
		var c pageChat
		if err := json.Unmarshal([]byte(page.evalString(t, "peercall.chat()", 5*time.Second)), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	waitUntil(t, "the page's chat channel to open", within(deadline, 20*time.Second), func() bool { return chat().State == "open" })

	// From the page: printed by Peercall.
	page.eval(t, "peercall.chatSend("+jsString("Hello from a page — ünïcode ✓ <a href=x>")+")", 5*time.Second)
	if got, _ := inv.nextChat(within(deadline, 10*time.Second)); got != "Hello from a page — ünïcode ✓ <a href=x>" {
		t.Errorf("peercall printed %q", got)
	}

	// What Peercall refuses, then a good message: only it is printed.
	for _, raw := range []struct {
		data   string
		binary bool
	}{
		{`{"type":"text","text":"as bytes"}`, true},
		{`{"type":"text","text":"` + strings.Repeat("x", 4097) + `"}`, false},
		{`{"type":"text","text":""}`, false},
		{`{"text":"no type"}`, false},
		{"plain words", false},
	} {
		page.eval(t, "peercall.chatSendRaw("+jsString(raw.data)+", "+map[bool]string{true: "true", false: "false"}[raw.binary]+")", 5*time.Second)
	}
	page.eval(t, `peercall.chatSend("after the refused ones")`, 5*time.Second)
	if got, _ := inv.nextChat(within(deadline, 10*time.Second)); got != "after the refused ones" {
		t.Errorf("peercall printed %q after the messages it must refuse", got)
	}
	if !strings.Contains(inv.stderr.String(), "channel=chat") {
		t.Errorf("peercall logged no refusal on the chat channel")
	}

	// From Peercall: one JSON text message of the schema.
	before := time.Now()
	inv.say(`Hello, page: "quoted" & <b>not bold</b>`)
	var got []string
	waitUntil(t, "the page to receive the message", within(deadline, 10*time.Second), func() bool {
		got = chat().Received
		return len(got) > 0
	})
	var m struct {
		Type string `json:"type"`
		Text string `json:"text"`
		At   string `json:"at"`
	}
	dec := json.NewDecoder(strings.NewReader(got[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("the page received %q: %v", got[0], err)
	}
	if m.Type != "text" || m.Text != `Hello, page: "quoted" & <b>not bold</b>` {
		t.Errorf("the page received %+v", m)
	}
	if at, err := time.Parse(time.RFC3339Nano, m.At); err != nil || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("the message's time %q: %v", m.At, err)
	}
	if r := page.evalString(t, "peercall.report()", 5*time.Second); strings.Contains(r, `"binaryMessages":0`) == false {
		t.Errorf("peercall sent binary messages: %s", shorten(r, 200))
	}
}
