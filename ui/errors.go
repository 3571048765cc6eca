package ui

import "errors"

// errNotReady answers a reply pasted before the invite is ready.
var errNotReady = errors.New("wait a moment: your invite code is still being prepared")
