package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"peercall/call"
	"peercall/rtc"
	"peercall/rtc/invite"
)

// knownErrors are the errors whose own words are written for the person
// using the window. Shown, they become sentences: capital first letter, the
// advice after the colon a sentence of its own, no detail in parentheses.
var knownErrors = []error{
	invite.ErrEmpty, invite.ErrNotCode, invite.ErrSeveralCodes, invite.ErrNewerVersion,
	invite.ErrTruncated, invite.ErrDamaged, invite.ErrInvalid, invite.ErrUnexpectedInvite,
	invite.ErrUnexpectedReply, invite.ErrOtherInvite, invite.ErrOwnCode,
	rtc.ErrPeerHungUp, rtc.ErrConnectionLost, rtc.ErrConnectFailed, rtc.ErrPeerNotVerified,
	rtc.ErrReplyNotVerified,
	call.ErrTURNCredentials,
	errNotReady,
}

// userMessage says err in sentences a person can act on. The error's own
// chain (library names, codes in parentheses) goes to the log, not to the
// screen: what is shown is the known error it wraps, or what was being done
// when an unknown one happened.
func userMessage(log *slog.Logger, doing string, err error) string {
	if err == nil {
		return ""
	}
	for _, known := range knownErrors {
		if errors.Is(err, known) {
			if log != nil && err != known {
				log.Debug(doing, "err", err)
			}
			return sentences(known.Error())
		}
	}
	if log != nil {
		log.Warn(doing, "err", err)
	}
	return sentences(doing + ": something went wrong on this computer; run peercall --verbose from a terminal to see the details")
}

// sentences turns "what happened: what to do" into "What happened. What to
// do." — each clause a sentence.
func sentences(s string) string {
	parts := strings.Split(s, ": ")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		r, n := utf8.DecodeRuneInString(p)
		p = string(unicode.ToUpper(r)) + p[n:]
		if !strings.HasSuffix(p, ".") && !strings.HasSuffix(p, "?") && !strings.HasSuffix(p, "!") {
			p += "."
		}
		parts[i] = p
	}
	return strings.Join(parts, " ")
}

// callLength says how long a call lasted, as a clock would: "0:42",
// "12:05", "1:02:09".
func callLength(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
