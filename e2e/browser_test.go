package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The browser tests make a real Chromium a Peercall peer: the page's
// descriptions become codes through `peercall code`, and the page runs
// perfect negotiation on the signal channel against a peercall process.
// Everything runs in a network namespace holding only lo, and the page's
// script is injected through the DevTools protocol over a pipe: nothing is
// served.

const (
	browserCallSeconds = 8
	// browserTestBudget bounds the whole test: every wait is cut to what
	// is left of it.
	browserTestBudget = 100 * time.Second
)

func TestBrowserPeer(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("needs Debian's chromium on PATH (apt-get install chromium)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace; make test runs it as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
	pageJS, err := browserScript("peer.js")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(browserTestBudget)

	ns := newNamespace(t, "browser")

	b := startChromium(t, ns, deadline)
	defer func() {
		if t.Failed() {
			t.Logf("chromium stderr (last 8 KiB, D-Bus and ALSA complaints left out):\n%s", b.stderrTail(8<<10))
		}
	}()

	t.Run("BrowserInvitesPeercallJoins", func(t *testing.T) {
		browserInvites(t, b, ns, pageJS)
	})
	t.Run("PeercallInvitesBrowserJoins", func(t *testing.T) {
		peercallInvites(t, b, ns, pageJS)
	})
}

// browserInvites: the page makes the offer and the invite code; a
// `peercall join` answers it. The page is the impolite inviter.
func browserInvites(t *testing.T, b *chromium, ns string, pageJS []byte) {
	page := b.newPage(t, pageJS)
	defer page.logReportOnFailure(t)

	offer := page.evalString(t, "peercall.invite()", 15*time.Second)
	inviteCode := codeEncode(t, offer, "")
	t.Logf("browser's invite: %d characters", len(inviteCode))
	checkBrowserCode(t, "invite", inviteCode)

	join := startPeer(t, peerOptions{name: "peercall join", prefix: nsExec(ns)}, "join", append(browserPeerFlags(), inviteCode)...)
	answer := codeDecode(t, join.code)
	page.eval(t, "peercall.accept("+jsString(answer)+")", 10*time.Second)

	waitCallEnd(t, b, join)
	r := checkBrowserCall(t, page, join)
	// The inviter offers its tracks first and Peercall answers.
	if r.OffersSent < 1 || r.AnswersReceived < 1 {
		t.Errorf("browser as inviter sent %d offers and received %d answers, want at least one each", r.OffersSent, r.AnswersReceived)
	}
}

// peercallInvites: `peercall invite` makes the invite code; the page answers
// it and its answer becomes the reply code. The page is the polite joiner.
func peercallInvites(t *testing.T, b *chromium, ns string, pageJS []byte) {
	page := b.newPage(t, pageJS)
	defer page.logReportOnFailure(t)

	inv := startPeer(t, peerOptions{name: "peercall invite", prefix: nsExec(ns)}, "invite", browserPeerFlags()...)
	inviteCode := inv.code
	offer := codeDecode(t, inviteCode)
	answer := page.evalString(t, "peercall.join("+jsString(offer)+")", 15*time.Second)
	reply := codeEncode(t, answer, inviteCode)
	t.Logf("browser's reply: %d characters", len(reply))
	checkBrowserCode(t, "reply", reply)
	inv.paste(reply)

	waitCallEnd(t, b, inv)
	r := checkBrowserCall(t, page, inv)
	// The joiner never offers first: Peercall offers and the page answers
	// with its tracks attached.
	if r.OffersSent != 0 || r.OffersReceived < 1 {
		t.Errorf("browser as joiner sent %d offers and received %d, want none sent and at least one received", r.OffersSent, r.OffersReceived)
	}
}

func checkBrowserCode(t *testing.T, what, code string) {
	t.Helper()
	if !strings.HasPrefix(code, "PC") {
		t.Fatalf("browser's %s code %q does not start with PC", what, code)
	}
	if len(code) > 200 {
		t.Errorf("browser's %s code is %d characters, want at most 200", what, len(code))
	}
}

// browserPeerFlags are the peercall side's: the test pattern at 320×240,
// host candidates on lo only.
func browserPeerFlags() []string {
	return []string{"--stun", "none", "--interface", "lo", "--source", "pattern",
		"--size", "320x240", "--seconds", fmt.Sprint(browserCallSeconds)}
}

// waitCallEnd waits for the peercall side to end the call by itself after
// --seconds, and expects a clean exit.
func waitCallEnd(t *testing.T, b *chromium, p *peer) {
	t.Helper()
	limit := time.Duration(browserCallSeconds)*time.Second + 15*time.Second
	if err := p.wait(within(b.deadline, limit)); err != nil {
		t.Errorf("%s: %v", p.name, err)
	}
}

// within cuts a wait to what is left until the deadline.
func within(deadline time.Time, d time.Duration) time.Duration {
	if left := time.Until(deadline); left < d {
		return max(left, 0)
	}
	return d
}

// pageReport is the part of peercall.report() the assertions read.
type pageReport struct {
	SignalingState  string   `json:"signalingState"`
	ConnectionState string   `json:"connectionState"`
	OffersSent      int      `json:"offersSent"`
	OffersReceived  int      `json:"offersReceived"`
	AnswersReceived int      `json:"answersReceived"`
	BinaryMessages  int      `json:"binaryMessages"`
	Failures        []string `json:"failures"`
	RenderedFrames  int      `json:"renderedFrames"`
	Inbound         map[string]struct {
		PacketsReceived uint64 `json:"packetsReceived"`
		FramesDecoded   uint64 `json:"framesDecoded"`
		FrameWidth      int    `json:"frameWidth"`
		FrameHeight     int    `json:"frameHeight"`
		Codec           string `json:"codec"`
	} `json:"inbound"`
}

// checkBrowserCall checks what each side received from the other once
// Peercall has ended the call: the page's statistics and Peercall's.
func checkBrowserCall(t *testing.T, page *cdpPage, p *peer) pageReport {
	t.Helper()
	var r pageReport
	raw := page.evalString(t, "peercall.report()", 10*time.Second)
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("page report: %v: %s", err, raw)
	}
	for _, f := range r.Failures {
		t.Errorf("in the page: %s", f)
	}
	if r.BinaryMessages > 0 {
		t.Errorf("peercall sent %d binary messages on signal and control; PROTOCOL.md says JSON in text messages", r.BinaryMessages)
	}
	v, a := r.Inbound["video"], r.Inbound["audio"]
	t.Logf("browser received: video %s %dx%d, %d frames decoded, %d rendered; audio %s, %d packets",
		v.Codec, v.FrameWidth, v.FrameHeight, v.FramesDecoded, r.RenderedFrames, a.Codec, a.PacketsReceived)
	if v.FramesDecoded < 30 {
		t.Errorf("browser decoded %d video frames from peercall, want at least 30", v.FramesDecoded)
	}
	if v.FramesDecoded > 0 && (v.FrameWidth != 320 || v.FrameHeight != 240) {
		t.Errorf("browser decoded %dx%d video, want peercall's 320x240", v.FrameWidth, v.FrameHeight)
	}
	if a.PacketsReceived == 0 {
		t.Errorf("browser received no audio packets from peercall")
	}

	s := p.final()
	t.Logf("peercall received: video %s %dx%d, %d frames decoded (%.1f fps), first after %.0f ms; audio %d packets; end %q",
		s.Codec, s.Width, s.Height, s.FramesDecoded, s.FPS, s.FirstFrameMs, s.AudioPacketsReceived, s.End)
	if s.FramesDecoded < 30 {
		t.Errorf("peercall decoded %d video frames from the browser, want at least 30", s.FramesDecoded)
	}
	if s.AudioPacketsReceived == 0 {
		t.Errorf("peercall received no audio packets from the browser")
	}
	return r
}

// codeEncode turns a description in JSON into a code with `peercall code encode`.
func codeEncode(t testing.TB, descJSON, inviteCode string) string {
	t.Helper()
	args := []string{"code", "encode"}
	if inviteCode != "" {
		args = append(args, "--invite", inviteCode)
	}
	cmd := exec.Command(peercallBin, args...)
	cmd.Stdin = strings.NewReader(descJSON)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("peercall code encode: %v: %s\ndescription: %s", err, stderr.String(), descJSON)
	}
	return strings.TrimSpace(string(out))
}

// codeDecode turns a code into a description in JSON with `peercall code decode`.
func codeDecode(t testing.TB, code string) string {
	t.Helper()
	cmd := exec.Command(peercallBin, "code", "decode", code)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("peercall code decode: %v: %s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// browserScript is a page script from testdata/browser with figures.js,
// which the pages share, before it.
func browserScript(name string) ([]byte, error) {
	shared, err := os.ReadFile(filepath.Join("testdata", "browser", "figures.js"))
	if err != nil {
		return nil, err
	}
	page, err := os.ReadFile(filepath.Join("testdata", "browser", name))
	if err != nil {
		return nil, err
	}
	return append(append(shared, '\n'), page...), nil
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// stderrTail is the end of the browser's stderr without the lines about
// the missing system bus and sound card, which every run prints.
func (b *chromium) stderrTail(n int) string {
	var keep []string
	for _, line := range strings.Split(b.stderr.String(), "\n") {
		if strings.Contains(line, "dbus/") || strings.HasPrefix(line, "ALSA lib ") || strings.Contains(line, "alsa_util.cc") {
			continue
		}
		keep = append(keep, line)
	}
	s := strings.Join(keep, "\n")
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// chromium is a headless Chromium driven over --remote-debugging-pipe:
// the browser reads DevTools messages on its fd 3 and writes them on fd 4,
// each a JSON object terminated by a NUL byte.
type chromium struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	toPipe *os.File
	// blankURL is the empty page every tab opens.
	blankURL string
	// deadline ends every wait on the browser.
	deadline time.Time

	mu       sync.Mutex
	nextID   int
	waiting  map[int]chan cdpReply
	console  map[string][]string // per session: console output and exceptions
	readDone chan struct{}
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type cdpMessage struct {
	ID        int             `json:"id"`
	SessionID string          `json:"sessionId"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	cdpReply
}

func startChromium(t testing.TB, ns string, deadline time.Time, extraFlags ...string) *chromium {
	profile := t.TempDir() // removed after the browser is gone: cleanups run last-first
	// The pages are blank documents from a file: about:blank is not a
	// secure context, and getUserMedia needs one. Their script is still
	// injected with Runtime.evaluate, and nothing is served.
	blank := filepath.Join(t.TempDir(), "blank.html")
	if err := os.WriteFile(blank, []byte("<!doctype html><title>peercall</title><body></body>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	toR, toW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromR, fromW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// Flags given twice take the later value: extraFlags can change these.
	args := append([]string{"netns", "exec", ns, "chromium",
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
		"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
		"--allow-loopback-in-peer-connection", "--remote-debugging-pipe"}, extraFlags...)
	cmd := exec.Command("ip", args...)
	cmd.ExtraFiles = []*os.File{toR, fromW} // fd 3: commands in, fd 4: replies out
	b := &chromium{
		cmd: cmd, stderr: &syncBuffer{}, toPipe: toW, blankURL: "file://" + blank, deadline: deadline,
		waiting: map[int]chan cdpReply{}, console: map[string][]string{}, readDone: make(chan struct{}),
	}
	cmd.Stderr = b.stderr
	// A process group of its own, so that the browser's helpers go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toR.Close()
	fromW.Close()
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		// Ask politely, then end the whole group.
		b.send("", "Browser.close", nil)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Errorf("chromium (pid %d) did not end", cmd.Process.Pid)
		}
		toW.Close()
		fromR.Close()
	})
	go b.read(fromR)

	// The browser answers once it is up.
	ctx, cancel := context.WithTimeout(context.Background(), within(deadline, 20*time.Second))
	defer cancel()
	if _, err := b.call(ctx, "", "Browser.getVersion", nil); err != nil {
		t.Fatalf("chromium did not answer on the DevTools pipe: %v\nstderr:\n%s", err, b.stderrTail(8<<10))
	}
	return b
}

func (b *chromium) read(r io.Reader) {
	defer close(b.readDone)
	br := bufio.NewReader(r)
	for {
		data, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(data[:len(data)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		switch {
		case m.ID != 0:
			if ch, ok := b.waiting[m.ID]; ok {
				delete(b.waiting, m.ID)
				ch <- m.cdpReply
			}
		case m.Method == "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			json.Unmarshal(m.Params, &p)
			var parts []string
			for _, a := range p.Args {
				if a.Value != nil {
					parts = append(parts, fmt.Sprint(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.console[m.SessionID] = append(b.console[m.SessionID], p.Type+": "+strings.Join(parts, " "))
		case m.Method == "Runtime.exceptionThrown":
			b.console[m.SessionID] = append(b.console[m.SessionID], "exception: "+string(m.Params))
		}
		b.mu.Unlock()
	}
}

// send writes one command and returns the channel its reply comes on.
func (b *chromium) send(session, method string, params any) (chan cdpReply, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.toPipe.Write(append(data, 0)); err != nil {
		return nil, err
	}
	return ch, nil
}

// call sends a command and waits for its result.
func (b *chromium) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	ch, err := b.send(session, method, params)
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		return r.Result, nil
	case <-b.readDone:
		return nil, fmt.Errorf("%s: chromium closed the DevTools pipe", method)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// cdpPage is one tab, attached with a flat session.
type cdpPage struct {
	b       *chromium
	session string
}

func (b *chromium) newPage(t testing.TB, pageJS []byte) *cdpPage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within(b.deadline, 10*time.Second))
	defer cancel()
	res, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": b.blankURL})
	if err != nil {
		t.Fatal(err)
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	json.Unmarshal(res, &target)
	res, err = b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil {
		t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	json.Unmarshal(res, &attached)
	p := &cdpPage{b: b, session: attached.SessionID}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": target.TargetID})
	})
	if _, err := b.call(ctx, p.session, "Runtime.enable", nil); err != nil {
		t.Fatal(err)
	}
	// The tab starts on about:blank and then loads the blank file; the
	// script goes into the loaded document.
	loaded := time.Now().Add(within(b.deadline, 10*time.Second))
	for {
		v, err := p.evaluate(`location.protocol + " " + document.readyState + " " + window.isSecureContext`, 2*time.Second)
		if err == nil && string(v) == `"file: complete true"` {
			break
		}
		if time.Now().After(loaded) {
			t.Fatalf("the blank page did not load as a secure context: %s %v", v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.eval(t, string(pageJS), 10*time.Second)
	return p
}

// evaluate runs expression in the page, awaits it if it is a promise, and
// returns its value.
func (p *cdpPage) evaluate(expression string, timeout time.Duration) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within(p.b.deadline, timeout))
	defer cancel()
	res, err := p.b.call(ctx, p.session, "Runtime.evaluate", map[string]any{
		"expression": expression, "awaitPromise": true, "returnByValue": true,
	})
	if err != nil {
		return nil, err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	if e := r.ExceptionDetails; e != nil {
		return nil, fmt.Errorf("%s %s", e.Text, e.Exception.Description)
	}
	return r.Result.Value, nil
}

func (p *cdpPage) eval(t testing.TB, expression string, timeout time.Duration) json.RawMessage {
	t.Helper()
	v, err := p.evaluate(expression, timeout)
	if err != nil {
		t.Fatalf("in the page, %s: %v", shorten(expression, 80), err)
	}
	return v
}

func (p *cdpPage) evalString(t testing.TB, expression string, timeout time.Duration) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(p.eval(t, expression, timeout), &s); err != nil {
		t.Fatalf("in the page, %s: not a string: %v", shorten(expression, 80), err)
	}
	return s
}

// logReportOnFailure logs, if the test failed, the page's state:
// negotiation, connection, statistics, its event log and console, and the
// current descriptions.
func (p *cdpPage) logReportOnFailure(t *testing.T) {
	if !t.Failed() {
		return
	}
	// A few seconds even past the deadline: this is what explains a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.b.call(ctx, p.session, "Runtime.evaluate", map[string]any{
		"expression": "peercall.report()", "awaitPromise": true, "returnByValue": true,
	})
	var v struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	}
	if err == nil {
		err = json.Unmarshal(res, &v)
	}
	var report string
	if err == nil {
		err = json.Unmarshal(v.Result.Value, &report)
	}
	if err != nil {
		t.Logf("page report unavailable: %v", err)
	} else {
		var pretty bytes.Buffer
		if json.Indent(&pretty, []byte(report), "", "  ") == nil {
			report = pretty.String()
		}
		t.Logf("page report:\n%s", report)
	}
	p.b.mu.Lock()
	console := strings.Join(p.b.console[p.session], "\n")
	p.b.mu.Unlock()
	if console != "" {
		t.Logf("page console:\n%s", console)
	}
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
