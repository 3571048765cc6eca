package media

import (
	"errors"
	"fmt"
	"io"
)

var (
	// ErrNoCamera means no camera could be opened, or the one in use
	// failed: the call sends the "camera off" picture instead.
	ErrNoCamera = errors.New("no camera")
	// ErrCameraSilent means the camera is open but has sent no picture
	// for a while (a driver that hangs): the call sends the "camera off"
	// picture until it delivers again.
	ErrCameraSilent = errors.New("the camera stopped sending pictures")
	// ErrMicrophoneStopped means the microphone went away during the
	// call (unplugged, or its sound server died).
	ErrMicrophoneStopped = errors.New("the microphone stopped")
	// ErrClipUnreadable means the clip sent as the picture could no
	// longer be read (the file changed during the call): the call sends
	// the "camera off" picture instead.
	ErrClipUnreadable = errors.New("the clip cannot be read")
	// ErrNotWAV refuses a sound file that is not 16-bit PCM WAV at
	// 48 kHz, mono or stereo.
	ErrNotWAV = errors.New("media: not a WAV file")
)

// errEOF ends a source that has no more pictures; sources that stop
// because they were closed wrap it, so a send loop reading one ends
// quietly, as at the end of a file.
var errEOF = io.EOF

// errSourceClosed is what a closed source's reads return.
var errSourceClosed = fmt.Errorf("media: source closed: %w", errEOF)

// errNotVP8 refuses an RTP packet whose payload is not VP8 as RFC 7741
// lays it out; the packet is dropped and the frame it belonged to waits
// for a keyframe.
var errNotVP8 = errors.New("media: malformed VP8 RTP payload")
