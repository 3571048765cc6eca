package rtc

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/pion/logging"

	"peercall/rtc/bwe"
)

// levelTrace is below slog's Debug: pion's packet-by-packet trace and its
// debug lines, for whoever asks for them by level number. pion's debug
// lines print its structures whole ("got new track: %+v") from one
// goroutine while another fills them in: formatted only when asked for
// this far down, they cannot race with a call logged at Debug.
const levelTrace = slog.LevelDebug - 4

// pionLogs hands pion's loggers (ICE, DTLS, SCTP, the peer connection, the
// sockets) for one peer connection, writing into the session's logger
// instead of straight to the terminal. pion's debug lines go below Debug
// (levelTrace). Its info lines are detail of what the session reports in
// its own words, and its warnings are start-up races that settle by
// themselves in every call (a check sent before the other side's
// candidates are in, a DTLS packet that arrives before the DTLS endpoint
// is made; pion's own default hides them too): these become Debug. Its
// errors stay Error while the connection is in use; once the connection
// is being closed they become Debug too: a closing connection has each of
// its parts complain that another is already gone ("agent is closed",
// "conn is closed"), and that says nothing a person needs to act on.
type pionLogs struct {
	log     *slog.Logger
	closing atomic.Bool
}

func newPionLogs(log *slog.Logger) *pionLogs { return &pionLogs{log: log} }

// closed marks the connection as being closed: its complaints from now on
// are expected.
func (p *pionLogs) closed() { p.closing.Store(true) }

// ownScopes are the parts of the chain that are Peercall's own, not
// pion's: their debug lines are the session's detail, written at Debug.
var ownScopes = map[string]bool{bwe.LogScope: true}

// NewLogger returns the logger for one part of pion ("ice", "dtls", ...).
func (p *pionLogs) NewLogger(scope string) logging.LeveledLogger {
	l := &pionLogger{logs: p, log: p.log.With("pion", scope), debug: levelTrace}
	if ownScopes[scope] {
		l.debug = slog.LevelDebug
	}
	return l
}

type pionLogger struct {
	logs  *pionLogs
	log   *slog.Logger
	debug slog.Level // where its debug lines go
}

// errorLevel is the level of a pion error: Error while the connection is
// in use, Debug while it closes.
func (l *pionLogger) errorLevel() slog.Level {
	if l.logs.closing.Load() {
		return slog.LevelDebug
	}
	return slog.LevelError
}

func (l *pionLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l *pionLogger) emitf(level slog.Level, format string, args ...any) {
	// Formatting costs even when nothing is written: pion traces every
	// packet.
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.emit(level, fmt.Sprintf(format, args...))
}

func (l *pionLogger) Trace(msg string)                  { l.emit(levelTrace, msg) }
func (l *pionLogger) Tracef(format string, args ...any) { l.emitf(levelTrace, format, args...) }
func (l *pionLogger) Debug(msg string)                  { l.emit(l.debug, msg) }
func (l *pionLogger) Debugf(format string, args ...any) { l.emitf(l.debug, format, args...) }
func (l *pionLogger) Info(msg string)                   { l.emit(slog.LevelDebug, msg) }
func (l *pionLogger) Infof(format string, args ...any)  { l.emitf(slog.LevelDebug, format, args...) }
func (l *pionLogger) Warn(msg string)                   { l.emit(slog.LevelDebug, msg) }
func (l *pionLogger) Warnf(format string, args ...any)  { l.emitf(slog.LevelDebug, format, args...) }
func (l *pionLogger) Error(msg string)                  { l.emit(l.errorLevel(), msg) }
func (l *pionLogger) Errorf(format string, args ...any) { l.emitf(l.errorLevel(), format, args...) }
