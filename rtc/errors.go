package rtc

import "errors"

// Why a call ended, or why a step was refused. Session.Err and the methods
// return these, wrapped with %w where more detail helps; compare with
// errors.Is.
var (
	// ErrPeerHungUp ends a call the other side hung up. It is a normal end.
	ErrPeerHungUp = errors.New("the other side hung up")
	// ErrConnectionLost ends a call whose network path died and did not
	// come back.
	ErrConnectionLost = errors.New("the connection was lost")
	// ErrConnectFailed means the two apps could not reach each other.
	ErrConnectFailed = errors.New("could not connect to the other side: check that both codes were pasted whole, or add a TURN server")
	// ErrWrongStep means a method was called at the wrong point of the call
	// (a reply applied twice, a join on an inviting session).
	ErrWrongStep = errors.New("rtc: that step does not fit the state of this call")
	// ErrClosed means the session has ended.
	ErrClosed = errors.New("rtc: the call has ended")
	// ErrPeerNotVerified ends a call whose other side could not prove it
	// holds the certificate its code named: someone else answered in its
	// place.
	ErrPeerNotVerified = errors.New("the other side could not be verified: its certificate does not match its code, so someone else may have answered; ask your contact for a new code")
	// ErrReplyNotVerified refuses a reply whose sender could not prove it
	// holds the certificate the reply names: someone other than the person
	// it names answered the invite. The invite stays open for the genuine
	// reply (rearm.go).
	ErrReplyNotVerified = errors.New("that reply was refused: whoever answered is not the one the reply code names, so someone else may have seen your invite; the invite still stands: paste the reply from the person you invited")
)

// errEnded refuses a track added while the call is ending.
var errEnded = errors.New("rtc: the call is ending")

// errReplaced: the connection a negotiator served was replaced before the
// work given to it ran; the work goes to the new connection's negotiator.
var errReplaced = errors.New("rtc: the connection was replaced")

// errNoOfferPending: the other side answered an offer this side never
// made, or one it dropped after a collision. The answer is ignored.
var errNoOfferPending = errors.New("answer arrived with no offer pending")

// Why a message on the signal or control channel was refused. refusals
// logs each reason once per channel.
var (
	errTooLarge       = errors.New("message too large")
	errUnreadable     = errors.New("message is not a JSON object of the expected shape")
	errBadDescription = errors.New("description is not an offer or answer with SDP")
	errQueueFull      = errors.New("too many signal messages waiting")
)

// NormalEnd reports whether err (from Session.Err) ended the call the way a
// person would expect: hung up on either side, or nil.
func NormalEnd(err error) bool {
	return err == nil || errors.Is(err, ErrPeerHungUp)
}
