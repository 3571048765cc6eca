package rtc

import (
	"fmt"
	"time"
)

// How an invite survives a refused reply.
//
// A reply is only proven in the DTLS handshake: the side that answers must
// hold the certificate the reply names. When it does not, pion fails the
// whole peer connection and cannot use it again. The inviting side then
// builds a new one that answers to the same invite: the same certificate,
// hence the same ICE credentials (they derive from it), and the same host
// candidates, because the session's UDP sockets are its own, not the
// connection's (a UDP mux per connection, bound to the same addresses and
// ports each time). The STUN socket binds the same local port again, so
// behind a NAT that keeps ports the server-reflexive candidate is the same
// too; the joiner's checks reach both. Relayed candidates are new
// allocations; the inviter's checks from them reach the joiner's relay
// (TURN permissions are per IP address) and show there as peer-reflexive.
// Behind a NAT that does not keep ports, the genuine reply connects only
// through host candidates or a relay.

// replyKey identifies a reply by who it says answered: the certificate's
// fingerprint and the ICE username fragment.
type replyKey struct {
	fp    [32]byte
	ufrag string
}

// rearm replaces the inviting side's peer connection of generation gen,
// whose DTLS handshake refused the other side, with a new one that answers
// to the same invite, and goes back to waiting for the reply. It never
// blocks: it runs in pion's callbacks.
func (s *Session) rearm(gen uint64) {
	s.mu.Lock()
	if gen != s.gen || s.state == StateEnded {
		s.mu.Unlock()
		return
	}
	s.gen++
	old, oldMux := s.pc, s.mux
	s.pionLogs.closed()
	s.pcClosing = true
	if s.pending != nil {
		s.refused = append(s.refused, *s.pending)
		s.pending = nil
	}
	s.refusal = ErrReplyNotVerified
	s.peerFP = nil
	s.codeAppliedAt = time.Time{}
	s.mu.Unlock()
	s.log.Warn("reply refused: the other side's certificate is not the one its code names; the invite stands")
	s.goRun(func() {
		// The old connection and its sockets go first, so the new ones
		// can bind the same ports.
		// Statistics reads under way finish before the close.
		s.statsMu.Lock()
		s.statsMu.Unlock()
		if err := old.Close(); err != nil {
			s.log.Debug("closing the refused connection", "err", err)
		}
		if err := closeMux(oldMux); err != nil {
			s.log.Debug("closing the refused connection's sockets", "err", err)
		}
		s.paths.reset()
		pc, err := s.build()
		if err != nil {
			s.end(fmt.Errorf("rtc: the invite could not be made ready again: %w", err))
			return
		}
		offer, err := pc.CreateOffer(nil)
		if err == nil {
			err = pc.SetLocalDescription(offer)
		}
		if err != nil {
			s.end(fmt.Errorf("rtc: the invite could not be made ready again: %w", err))
			return
		}
		s.setState(StateWaiting)
	})
}

// RefusedReply is why the last reply pasted was refused after it was
// applied (ErrReplyNotVerified), with the session back to StateWaiting for
// another; nil when no reply was refused since the last one was accepted.
func (s *Session) RefusedReply() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusal
}
