// Package headless is Peercall without a window: the invite, join and code
// subcommands. Codes go through stdin and stdout (stdout carries nothing
// else), logs to stderr, statistics to a JSON-lines file. Scripts, tests
// and benchmarks drive calls through it.
package headless

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

// ExitCode maps an error from Invite, Join or Code to a process exit status.
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

// Invite runs `peercall invite`: print the invite, read the reply from
// stdin, run the call.
func Invite(args []string, std Streams) error {
	var f callFlags
	fs := newCallFlagSet("invite", &f, std.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("invite takes no arguments, only flags")
	}
	if err := f.check(); err != nil {
		return usageError("%v", err)
	}
	stopProfile, err := f.profile.Start()
	if err != nil {
		return usageError("%v", err)
	}
	defer stopProfile()
	c, err := newCall(&f, std)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	code, err := c.sess.Invite(ctx)
	if err != nil {
		return fmt.Errorf("making the invite: %w", err)
	}
	fmt.Fprintln(std.Stdout, code)
	c.log.Info("invite ready; paste the reply code on stdin")

	lines := readLines(ctx, std.Stdin)
	// A code wrapped over several lines arrives in pieces: a piece that is
	// only cut short waits for the next line.
	var partial string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.sess.Done():
			return c.endError()
		case line, ok := <-lines:
			if !ok {
				return &exitError{code: 1, msg: "no reply code came on stdin"}
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			text := partial + line
			partial = ""
			err := c.sess.AcceptReply(text)
			if errors.Is(err, invite.ErrTruncated) {
				partial = text
				continue
			}
			if err != nil {
				fmt.Fprintf(std.Stderr, "peercall: %v\n", err)
				continue
			}
			err = c.run(ctx)
			var refused replyRefused
			if errors.As(err, &refused) {
				// The invite stands: the next line may be the genuine reply.
				fmt.Fprintf(std.Stderr, "peercall: %v\n", refused.err)
				c.log.Info("waiting for another reply on stdin")
				continue
			}
			return err
		}
	}
}

// Join runs `peercall join CODE`: print the reply, run the call.
func Join(args []string, std Streams) error {
	var f callFlags
	fs := newCallFlagSet("join", &f, std.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() > 1 {
		return usageError("join takes one invite code (or - to read it from stdin)")
	}
	if err := f.check(); err != nil {
		return usageError("%v", err)
	}
	stopProfile, err := f.profile.Start()
	if err != nil {
		return usageError("%v", err)
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inviteText := fs.Arg(0)
	if inviteText == "" || inviteText == "-" {
		lines := readLines(ctx, std.Stdin)
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
	c, err := newCall(&f, std)
	if err != nil {
		return err
	}
	defer c.close()
	reply, err := c.sess.Join(ctx, inviteText)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	fmt.Fprintln(std.Stdout, reply)
	c.log.Info("reply ready; the call starts when the other side pastes it")
	return c.run(ctx)
}

// readLines delivers stdin line by line until EOF or ctx ends.
func readLines(ctx context.Context, r io.Reader) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), 64<<10)
		for sc.Scan() {
			select {
			case out <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// call is one headless call: its session, logger, statistics file and
// sound.
type call struct {
	sess  *rtc.Session
	log   *slog.Logger
	flags *callFlags
	stats *os.File
	sound *callSound
	// pair is the candidate types of the last pair a statistics line
	// named: the summary line, written once the connection is closed,
	// names it too.
	pair [2]string
}

func newCall(f *callFlags, std Streams) (*call, error) {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(std.Stderr, &slog.HandlerOptions{Level: level}))
	src, err := openSource(f, log)
	if err != nil {
		return nil, err
	}
	c := &call{log: log, flags: f}
	if f.statsFile != "" {
		c.stats, err = os.Create(f.statsFile)
		if err != nil {
			src.Close()
			return nil, &exitError{code: 1, msg: fmt.Sprintf("cannot write statistics: %v", err)}
		}
	}
	c.sound, err = openSound(f, log)
	if err != nil {
		src.Close()
		return nil, err
	}
	c.sess, err = rtc.New(rtc.Config{
		ICEServers: f.iceServers(),
		Interfaces: f.interfaces,
		Logger:     log,
		Video:      src,
		FPS:        f.fps,
		Audio:      c.sound.input,
		Speaker:    c.sound.speaker,
	})
	if err != nil {
		src.Close()
		c.sound.close()
		return nil, err
	}
	c.sess.SetLocalMedia(c.sound.input != nil, true)
	return c, nil
}

// close ends the session, then releases the sound devices behind it.
func (c *call) close() {
	c.sess.Close()
	c.sound.close()
}

func openSource(f *callFlags, log *slog.Logger) (media.VideoSource, error) {
	if f.source == "camera" {
		cam, err := media.NewCameraSource(f.camera, f.width, f.height, f.fps)
		if err == nil {
			return cam, nil
		}
		log.Info("no camera; sending the test pattern", "why", err)
	}
	src, err := media.NewPatternSource(f.width, f.height, f.fps)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return src, nil
}

// replyRefused is returned by run when the reply pasted was refused after
// it was applied and the invite waits for another.
type replyRefused struct{ err error }

func (r replyRefused) Error() string { return r.err.Error() }

// run waits for the call to connect and end, writing statistics.
func (c *call) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var limit <-chan time.Time
	prev, prevAt := c.sess.Stats(), time.Now()
	connected := c.sess.Connected()
	for {
		select {
		case <-ctx.Done():
			c.sess.Close()
			c.writeFinal(nil)
			return nil
		case <-limit:
			c.sess.Close()
			c.writeFinal(nil)
			return nil
		case <-c.sess.Done():
			err := c.sess.Err()
			c.writeFinal(err)
			return c.endError()
		case <-connected:
			connected = nil
			c.log.Info("connected")
			if c.flags.seconds > 0 {
				limit = time.After(time.Duration(c.flags.seconds * float64(time.Second)))
			}
		case <-c.sess.Changed():
			if err := c.sess.RefusedReply(); err != nil && c.sess.State() == rtc.StateWaiting {
				return replyRefused{err}
			}
			// A new state is written at once, not at the next tick, so a
			// dead peer shows in the file when the session notices it.
			if st := c.sess.Stats(); st.State != prev.State {
				now := time.Now()
				st.RateSince(prev, prevAt, now)
				prev, prevAt = st, now
				c.writeStats(st)
			}
		case now := <-tick.C:
			st := c.sess.Stats()
			st.RateSince(prev, prevAt, now)
			prev, prevAt = st, now
			c.writeStats(st)
		}
	}
}

// writeFinal writes the summary line: figures over the whole call.
func (c *call) writeFinal(reason error) {
	st := c.sess.Stats()
	if reason != nil {
		st.End = reason.Error()
	} else {
		st.End = "hung up"
	}
	if st.LocalCandidate == "" {
		st.LocalCandidate, st.RemoteCandidate = c.pair[0], c.pair[1]
	}
	if st.FramesDecoded > 0 && st.FirstFrameMs >= 0 {
		// Average rate since the first frame.
		if ff := c.sess.FirstFrameAt(); !ff.IsZero() {
			if d := time.Since(ff).Seconds(); d > 0 {
				st.FPS = float64(st.FramesDecoded) / d
			}
		}
	}
	c.writeStats(st)
	if c.stats != nil {
		c.stats.Close()
		c.stats = nil
	}
}

func (c *call) writeStats(st rtc.Stats) {
	if c.stats == nil {
		return
	}
	if st.LocalCandidate != "" {
		c.pair = [2]string{st.LocalCandidate, st.RemoteCandidate}
	}
	data, err := json.Marshal(st)
	if err != nil {
		return
	}
	c.stats.Write(append(data, '\n'))
}

func (c *call) endError() error {
	err := c.sess.Err()
	if rtc.NormalEnd(err) {
		if err != nil {
			c.log.Info(err.Error())
		}
		return nil
	}
	return &exitError{code: 1, msg: err.Error()}
}
