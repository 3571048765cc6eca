package rtc

import "errors"

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
)

// NormalEnd reports whether err (from Session.Err) ended the call the way a
// person would expect: hung up on either side, or nil.
func NormalEnd(err error) bool {
	return err == nil || errors.Is(err, ErrPeerHungUp)
}
