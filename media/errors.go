package media

import (
	"errors"
	"io"
)

// errEOF ends a source that has no more pictures; sources that stop
// because they were closed wrap it, so a send loop reading one ends
// quietly, as at the end of a file.
var errEOF = io.EOF

// errNotVP8 refuses an RTP packet whose payload is not VP8 as RFC 7741
// lays it out; the packet is dropped and the frame it belonged to waits
// for a keyframe.
var errNotVP8 = errors.New("media: malformed VP8 RTP payload")
