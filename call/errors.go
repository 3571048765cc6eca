package call

import "errors"

var (
	// ErrTURNCredentials refuses a TURN server given without a user name
	// and password: the server would refuse every allocation.
	ErrTURNCredentials = errors.New("a TURN server needs a user name and a password")
	// ErrOutputFile means the WAV file for the other side's sound could not
	// be written.
	ErrOutputFile = errors.New("cannot write the sound file")
	// ErrNoDevice refuses a change of device the call cannot make: a
	// camera for a call that sends the test pattern, a microphone or
	// speaker without a sound server.
	ErrNoDevice = errors.New("this call cannot change that device")
)
