package aec

import "errors"

// ErrConfig is wrapped by New's errors about an invalid Config.
var ErrConfig = errors.New("aec: invalid config")
