package opus

import "errors"

// ErrClosed is returned by methods called after Close.
var ErrClosed = errors.New("opus: use of closed codec")
