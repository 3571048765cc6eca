// Package cli is Peercall's command-line front-end: the invite, join and
// code subcommands. Codes go through stdin and stdout, then chat (stdin
// lines out, JSON lines of what arrives on stdout; stdout carries nothing
// else), logs to stderr, statistics to a JSON-lines file. Scripts,
// tests and benchmarks drive calls through it; the call itself and its
// devices are the call package's.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"peercall/call"
	"peercall/media"
	"peercall/rtc"
	"peercall/rtc/invite"
)

// Streams are the process's standard streams, replaceable in tests.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// exitError carries a one-line reason and an exit status.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// ExitCode is the process exit status the error stands for.
func (e *exitError) ExitCode() int { return e.code }

// ExitCode maps an error from Invite, Join or Code to a process exit
// status: 0 for none, 2 for a mistake on the command line, else 1.
func ExitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// prepare parses a call command's flags and starts profiling; args are
// what is left after the flags.
func prepare(name string, args []string, std Streams) (f *callFlags, opts call.Options, rest []string, stop func(), err error) {
	f = &callFlags{}
	fs := newCallFlagSet(name, f, std.Stderr)
	if err := fs.Parse(args); err != nil {
		return nil, opts, nil, nil, usageError("%v", err)
	}
	if opts, err = f.options(); err != nil {
		return nil, opts, nil, nil, usageError("%v", err)
	}
	if stop, err = f.profile.Start(); err != nil {
		return nil, opts, nil, nil, usageError("%v", err)
	}
	return f, opts, fs.Args(), stop, nil
}

// Invite runs `peercall invite`: print the invite, read the reply from
// stdin, run the call.
func Invite(args []string, std Streams) error {
	f, opts, rest, stopProfile, err := prepare("invite", args, std)
	if err != nil {
		return err
	}
	defer stopProfile()
	if len(rest) > 0 {
		return usageError("invite takes no arguments, only flags")
	}
	s, err := newSession(f, opts, std)
	if err != nil {
		return err
	}
	defer s.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	code, err := s.sess.Invite(ctx)
	if err != nil {
		return fmt.Errorf("making the invite: %w", err)
	}
	fmt.Fprintln(std.Stdout, code)
	s.log.Info("invite ready; paste the reply code on stdin")

	lines := readLines(ctx, std.Stdin)
	s.lines = lines
	for {
		err := s.takeReply(ctx, lines, std)
		if !errors.Is(err, errLost) {
			return err
		}
		// The same contract as the first pair: a new invite on stdout,
		// its reply on stdin.
		code, err := s.sess.Resume(ctx)
		if err != nil {
			return s.endLost(fmt.Errorf("making a new invite: %w", err))
		}
		fmt.Fprintln(std.Stdout, code)
		s.log.Info("the connection was lost; send this new invite to the other side and paste its reply on stdin to resume the call")
	}
}

// takeReply reads the reply to the invite shown from stdin and runs the
// call. A code wrapped over several lines arrives in pieces: a piece that
// is only cut short waits for the next line. A reply refused after it was
// applied leaves the invite standing for the next line.
func (s *session) takeReply(ctx context.Context, lines <-chan string, std Streams) error {
	var partial string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.sess.Done():
			return s.endError()
		case line, ok := <-lines:
			if !ok {
				if s.resuming() {
					return s.endLost(nil)
				}
				return &exitError{code: 1, msg: "no reply code came on stdin"}
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			text := partial + line
			partial = ""
			err := s.sess.AcceptReply(text)
			if errors.Is(err, invite.ErrTruncated) {
				partial = text
				continue
			}
			if err != nil {
				fmt.Fprintf(std.Stderr, "peercall: %v\n", err)
				continue
			}
			err = s.run(ctx)
			var refused replyRefused
			if errors.As(err, &refused) {
				// The invite stands: the next line may be the genuine reply.
				fmt.Fprintf(std.Stderr, "peercall: %v\n", refused.err)
				s.log.Info("waiting for another reply on stdin")
				continue
			}
			return err
		}
	}
}

// errLost is what run returns when the connection was lost and a new pair
// of codes can resume the call.
var errLost = errors.New("the connection was lost")

// resuming tells whether the call was lost and is being resumed.
func (s *session) resuming() bool { return s.lostOnce }

// endLost ends a lost call nobody resumed: the statistics' summary, and
// the reason as the exit status.
func (s *session) endLost(why error) error {
	end := s.markEnd()
	s.call.Close()
	s.writeFinal(rtc.ErrConnectionLost, end)
	msg := rtc.ErrConnectionLost.Error()
	if why != nil {
		msg += ": " + why.Error()
	}
	return &exitError{code: 1, msg: msg}
}

// Join runs `peercall join CODE`: print the reply, run the call.
func Join(args []string, std Streams) error {
	f, opts, rest, stopProfile, err := prepare("join", args, std)
	if err != nil {
		return err
	}
	defer stopProfile()
	if len(rest) > 1 {
		return usageError("join takes one invite code (or - to read it from stdin)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var inviteText string
	if len(rest) == 1 {
		inviteText = rest[0]
	}
	var lines <-chan string
	if inviteText == "" || inviteText == "-" {
		lines = readLines(ctx, std.Stdin)
		line, ok := <-lines
		for ok && strings.TrimSpace(line) == "" {
			line, ok = <-lines
		}
		if !ok {
			return &exitError{code: 1, msg: "no invite code came on stdin"}
		}
		inviteText = line
	}
	// A bad paste is refused before any device or socket is opened.
	if _, err := invite.Parse(inviteText, invite.KindInvite, nil); err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	s, err := newSession(f, opts, std)
	if err != nil {
		return err
	}
	defer s.close()
	reply, err := s.sess.Join(ctx, inviteText)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	fmt.Fprintln(std.Stdout, reply)
	s.log.Info("reply ready; the call starts when the other side pastes it")
	// Once connected, each line on stdin is a chat message.
	if lines == nil {
		lines = readLines(ctx, std.Stdin)
	}
	s.lines = lines
	for {
		err := s.run(ctx)
		if !errors.Is(err, errLost) {
			return err
		}
		s.log.Info("the connection was lost; paste the other side's new invite on stdin to resume the call")
		if lines == nil {
			lines = readLines(ctx, std.Stdin)
		}
		if err := s.rejoin(ctx, lines, std); err != nil {
			return err
		}
	}
}

// rejoin reads the other side's new invite from stdin, answers it and
// prints the reply.
func (s *session) rejoin(ctx context.Context, lines <-chan string, std Streams) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.sess.Done():
			return s.endError()
		case line, ok := <-lines:
			if !ok {
				return s.endLost(nil)
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			reply, err := s.sess.Rejoin(ctx, line)
			if err != nil {
				fmt.Fprintf(std.Stderr, "peercall: %v\n", err)
				continue
			}
			fmt.Fprintln(std.Stdout, reply)
			s.log.Info("reply ready; the call resumes when the other side pastes it")
			return nil
		}
	}
}

// maxLine bounds a line read from stdin: longer ones are cut there (the
// rest of the line is skipped), so a chat line too long to send is refused
// and stdin goes on.
const maxLine = 1 << 20

// readLines delivers stdin line by line, without the line end, until EOF
// or ctx ends.
func readLines(ctx context.Context, r io.Reader) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		br := bufio.NewReader(r)
		for {
			line, err := readLine(br)
			if err != nil && line == "" {
				return
			}
			select {
			case out <- line:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// readLine reads one line, at most maxLine bytes of it, without its end
// ("\n" or "\r\n").
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		part, err := br.ReadSlice('\n')
		if room := maxLine - b.Len(); room > 0 {
			b.Write(part[:min(len(part), room)])
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		line := strings.TrimSuffix(strings.TrimSuffix(b.String(), "\n"), "\r")
		return line, err
	}
}

// session is one headless call: the call and its devices, the logger, the
// statistics file and the last picture received.
type session struct {
	call  *call.Call
	sess  *rtc.Session
	log   *slog.Logger
	flags *callFlags
	stats *os.File
	last  *lastPicture
	scr   *lastPicture      // --screen-picture
	clip  *media.ClipWriter // --video-out
	// pair is the candidate types of the last pair a statistics line
	// named: the summary line, written once the connection is closed,
	// names it too.
	pair [2]string
	// lostOnce: the connection was lost and new codes were offered.
	lostOnce bool
	// filesStarted: --send-file and --accept-files are at work (files.go).
	filesStarted bool
	// lines is stdin, line by line; once the call is connected each line
	// is a chat message (chat.go). stdinDone: it has ended.
	lines     <-chan string
	stdinDone bool
	out, errs io.Writer // stdout (codes and chat received) and stderr
}

func newSession(f *callFlags, opts call.Options, std Streams) (*session, error) {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(std.Stderr, &slog.HandlerOptions{Level: level}))
	opts.Logger = log
	s := &session{log: log, flags: f, out: std.Stdout, errs: std.Stderr}
	var sinks teeSink
	if f.lastPicture != "" {
		s.last = &lastPicture{}
		sinks = append(sinks, s.last)
	}
	if f.videoOut != "" {
		var err error
		if s.clip, err = media.NewClipWriter(f.videoOut, opts.FPS); err != nil {
			return nil, &exitError{code: 1, msg: fmt.Sprintf("--video-out: %v", err)}
		}
		sinks = append(sinks, s.clip)
	}
	if f.screenOut != "" {
		s.scr = &lastPicture{}
		opts.ScreenSink = s.scr
	} else {
		opts.ScreenSink = noPictures{}
	}
	switch len(sinks) {
	case 0:
	case 1:
		opts.VideoSink = sinks[0]
	default:
		opts.VideoSink = sinks
	}
	if f.statsFile != "" {
		var err error
		if s.stats, err = os.Create(f.statsFile); err != nil {
			s.closeFiles()
			return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot write statistics: %v", err)}
		}
	}
	c, err := call.Open(opts)
	if err != nil {
		s.closeFiles()
		return nil, &exitError{code: 1, msg: err.Error()}
	}
	s.call, s.sess = c, c.Session()
	return s, nil
}

// closeFiles closes the statistics file and the received clip when the
// call could not start.
func (s *session) closeFiles() {
	if s.stats != nil {
		s.stats.Close()
	}
	if s.clip != nil {
		s.clip.Close()
	}
}

// close ends the call and releases its devices, then finishes the
// received clip and writes the last picture.
func (s *session) close() {
	if err := s.call.Close(); err != nil {
		s.log.Debug("closing the call", "err", err)
	}
	if s.clip != nil {
		if err := s.clip.Close(); err != nil {
			s.log.Warn("the received pictures were not all written", "err", err)
		}
		s.log.Debug("received pictures written", "file", s.flags.videoOut, "pictures", s.clip.Frames())
	}
	if s.last != nil {
		if err := s.last.save(s.flags.lastPicture); err != nil {
			s.log.Warn("the last picture was not written", "err", err)
		}
	}
	s.saveScreen()
}

// replyRefused is returned by run when the reply pasted was refused after
// it was applied and the invite waits for another.
type replyRefused struct{ err error }

func (r replyRefused) Error() string { return r.err.Error() }

// run waits for the call to connect and end, writing statistics: one line
// a second, one at once when the state or the devices change.
func (s *session) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var limit <-chan time.Time
	prev, prevAt := s.sess.Stats(), time.Now()
	connected := s.sess.Connected()
	writeNow := func() {
		now := time.Now()
		st := s.sess.Stats()
		st.RateSince(prev, prevAt, now)
		prev, prevAt = st, now
		s.writeStats(st)
	}
	for {
		select {
		case line, ok := <-s.chatLines():
			s.sendChat(line, ok)
		case m := <-s.sess.Chat():
			s.printChat(m)
		case <-ctx.Done():
			end := s.markEnd()
			s.call.Close()
			s.writeFinal(nil, end)
			return nil
		case <-limit:
			end := s.markEnd()
			s.call.Close()
			s.writeFinal(nil, end)
			return nil
		case <-s.sess.Done():
			s.writeFinal(s.sess.Err(), s.markEnd())
			return s.endError()
		case <-connected:
			connected = nil
			s.log.Info("connected")
			s.startFiles()
			if s.flags.shareScreen {
				s.startSharing()
			}
			if s.flags.seconds > 0 {
				limit = time.After(time.Duration(s.flags.seconds * float64(time.Second)))
			}
		case <-s.sess.Changed():
			if err := s.sess.RefusedReply(); err != nil && s.sess.State() == rtc.StateWaiting {
				return replyRefused{err}
			}
			if s.sess.State() == rtc.StateLost {
				writeNow()
				s.lostOnce = true
				return errLost
			}
			// A new state is written at once, not at the next tick, so a
			// dead peer shows in the file when the session notices it.
			if s.sess.State().String() != prev.State {
				writeNow()
			}
		case <-s.call.Changed():
			writeNow()
		case <-tick.C:
			writeNow()
		}
	}
}

// callEnd is where a call's average frame rate ends: the moment it ended,
// before the farewell and the closing that follow a hang-up, which take up
// to a couple of seconds and would otherwise count as time without frames.
type callEnd struct {
	at     time.Time
	frames uint64
	first  time.Time
}

func (s *session) markEnd() callEnd {
	frames, first := s.sess.Decoded()
	return callEnd{at: time.Now(), frames: frames, first: first}
}

// writeFinal writes the summary line: figures over the whole call, the
// frame rate up to end.
func (s *session) writeFinal(reason error, end callEnd) {
	st := s.sess.Stats()
	if reason != nil {
		st.End = reason.Error()
	} else {
		st.End = "hung up"
	}
	if st.LocalCandidate == "" {
		st.LocalCandidate, st.RemoteCandidate = s.pair[0], s.pair[1]
	}
	if end.frames > 0 && !end.first.IsZero() {
		// Average rate from the first frame to the call's end.
		if d := end.at.Sub(end.first).Seconds(); d > 0 {
			st.FPS = float64(end.frames) / d
		}
	}
	s.writeStats(st)
	if s.stats != nil {
		s.stats.Close()
		s.stats = nil
	}
}

// StatsLine is one line of the --stats file: the session's figures, what
// the call is missing ("camera", "microphone", "speaker", "sound server";
// absent when nothing is) and the echo canceller's counts (absent without
// one).
type StatsLine struct {
	rtc.Stats
	Missing []string   `json:"missing,omitempty"`
	Echo    *EchoStats `json:"echo,omitempty"`
}

// EchoStats are the echo canceller's counts: 10 ms frames played and
// captured, reference frames missing when the microphone's came
// (underruns) and played frames dropped to keep the two in step.
type EchoStats struct {
	Played    uint64 `json:"played"`
	Captured  uint64 `json:"captured"`
	Underruns uint64 `json:"underruns"`
	Dropped   uint64 `json:"dropped"`
}

func (s *session) writeStats(st rtc.Stats) {
	if s.stats == nil {
		return
	}
	if st.LocalCandidate != "" {
		s.pair = [2]string{st.LocalCandidate, st.RemoteCandidate}
	}
	line := StatsLine{Stats: st, Missing: s.call.Missing().Names()}
	if e, ok := s.call.Echo(); ok {
		line.Echo = &EchoStats{Played: e.Played, Captured: e.Captured, Underruns: e.Underruns, Dropped: e.Dropped}
	}
	data, err := json.Marshal(line)
	if err != nil {
		return
	}
	s.stats.Write(append(data, '\n'))
}

func (s *session) endError() error {
	err := s.sess.Err()
	if rtc.NormalEnd(err) {
		if err != nil {
			s.log.Info(err.Error())
		}
		return nil
	}
	return &exitError{code: 1, msg: err.Error()}
}
