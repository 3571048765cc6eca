package rtc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"peercall/rtc/invite"
)

// How a lost call is resumed with a new pair of codes.
//
// When no way back came by itself within LostAfter (both sides' networks
// changed, or nothing on either side can reach the other), a resumable
// session does not end: it closes the dead connection and waits, in
// StateLost, for a new pair of short codes. The inviting side makes a new
// invite (Resume), the other side answers it (Rejoin), and the inviting
// side takes the reply (AcceptReply), exactly as at the start. The codes
// name the same certificates as before — each side checks that the other's
// is the one it was talking to — so the safety code is the same, and the
// tracks that were being sent go on over the new connection. On the wire a
// resumed call is a new connection like the first.

// ErrNotThePeer refuses a code, while resuming a lost call, from someone
// other than the person the call was with.
var ErrNotThePeer = errors.New("that code is from someone other than the person you were talking to: ask them for the new code their app shows")

// loseOrEnd handles the loss of connection generation gen, connected at
// least once: a resumable call waits for new codes, another ends.
func (s *Session) loseOrEnd(gen uint64) {
	if !s.cfg.Resumable {
		s.end(ErrConnectionLost)
		return
	}
	s.mu.Lock()
	if gen != s.gen || s.state == StateEnded || s.state == StateLost || s.hangingUp || s.peerHungUp {
		s.mu.Unlock()
		return
	}
	s.gen++
	old, oldMux, oldNeg := s.pc, s.mux, s.neg
	s.pionLogs.closed()
	s.pcClosing = true
	if s.lostTimer != nil {
		s.lostTimer.Stop()
	}
	// Waiting for new codes is bounded too.
	s.lostTimer = time.AfterFunc(s.cfg.ResumeWait, func() { s.end(ErrConnectionLost) })
	s.own = nil
	s.state = StateLost
	released := make(chan struct{})
	s.lostReleased = released
	s.notify()
	s.mu.Unlock()
	s.log.Info("call state", "state", StateLost.String())
	s.log.Warn("the connection was lost and no way back came by itself; a new pair of codes resumes the call")
	oldNeg.retire()
	s.goRun(func() {
		defer close(released)
		s.statsMu.Lock()
		s.statsMu.Unlock()
		if err := old.Close(); err != nil {
			s.log.Debug("closing the lost connection", "err", err)
		}
		if err := closeMux(oldMux); err != nil {
			s.log.Debug("closing the lost connection's sockets", "err", err)
		}
		s.paths.reset()
	})
}

// resumeStep checks that the session is lost and on the side that may take
// this step, marks it as gathering, and waits until the lost connection
// has let go of its sockets, so that the new one can bind the same ports.
func (s *Session) resumeStep(ctx context.Context, polite bool) error {
	s.mu.Lock()
	if s.state != StateLost || s.polite != polite {
		s.mu.Unlock()
		return ErrWrongStep
	}
	s.state = StateGathering
	released := s.lostReleased
	s.notify()
	s.mu.Unlock()
	select {
	case <-released:
		return nil
	case <-ctx.Done():
		return s.backToLost(ctx.Err())
	case <-s.done:
		return ErrClosed
	}
}

// backToLost returns a session whose resume step failed to StateLost, so
// that another try can follow; it returns err.
func (s *Session) backToLost(err error) error {
	s.mu.Lock()
	if s.state != StateEnded {
		s.state = StateLost
		s.notify()
	}
	s.mu.Unlock()
	return err
}

// Resume makes a new invite code for a lost call, on the inviting side;
// AcceptReply takes the reply to it.
func (s *Session) Resume(ctx context.Context) (string, error) {
	if err := s.resumeStep(ctx, false); err != nil {
		return "", err
	}
	pc, err := s.build()
	if err != nil {
		return "", s.backToLost(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", s.backToLost(err)
	}
	desc, err := s.gather(ctx, pc, offer)
	if err != nil {
		return "", s.backToLost(err)
	}
	code, err := invite.FromDescription(desc, nil)
	if err != nil {
		return "", s.backToLost(err)
	}
	text, err := invite.Encode(code)
	if err != nil {
		return "", s.backToLost(err)
	}
	s.mu.Lock()
	s.own = code
	s.mu.Unlock()
	s.setState(StateWaiting)
	return text, nil
}

// Rejoin answers a new invite code for a lost call, on the joining side,
// and returns the reply code to send back. The invite must come from the
// person the call was with.
func (s *Session) Rejoin(ctx context.Context, inviteText string) (string, error) {
	code, err := invite.Parse(inviteText, invite.KindInvite, nil)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	peer := s.peerFP
	s.mu.Unlock()
	if peer == nil || code.Fingerprint != *peer {
		if code.Fingerprint == s.fp {
			return "", invite.ErrOwnCode
		}
		return "", ErrNotThePeer
	}
	if err := s.resumeStep(ctx, true); err != nil {
		return "", err
	}
	pc, err := s.build()
	if err != nil {
		return "", s.backToLost(err)
	}
	if err := pc.SetRemoteDescription(code.Description()); err != nil {
		return "", s.backToLost(fmt.Errorf("rtc: the invite could not be applied: %w", err))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", s.backToLost(err)
	}
	desc, err := s.gather(ctx, pc, answer)
	if err != nil {
		return "", s.backToLost(err)
	}
	reply, err := invite.FromDescription(desc, code)
	if err != nil {
		return "", s.backToLost(err)
	}
	text, err := invite.Encode(reply)
	if err != nil {
		return "", s.backToLost(err)
	}
	s.mu.Lock()
	s.own = reply
	s.codeAppliedAt = time.Now()
	s.peerCandidates = candidatesIn(code.Description())
	s.mu.Unlock()
	s.setState(StateConnecting)
	return text, nil
}
