package rtc

// State is where a call stands, as a person would describe it.
type State int

// The states of a call, in the order they usually come.
const (
	StateUnknown      State = iota
	StateNew                // nothing done yet
	StateGathering          // finding the addresses that go into the code
	StateWaiting            // the code is shown; waiting for the other side's code
	StateConnecting         // both codes are in; the apps are reaching each other
	StateConnected          // the call is on
	StateReconnecting       // the network path broke; trying to get it back
	StateEnded              // over, for good
	// StateLost: no way back came by itself; a new pair of codes can
	// resume the call (Session.Resume, Session.Rejoin).
	StateLost
)

var stateNames = [...]string{"unknown", "new", "gathering", "waiting", "connecting", "connected", "reconnecting", "ended", "lost"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return stateNames[0]
	}
	return stateNames[s]
}

// ParseState is the reverse of String; unknown names give StateUnknown.
func ParseState(name string) State {
	for i, n := range stateNames {
		if n == name {
			return State(i)
		}
	}
	return StateUnknown
}
