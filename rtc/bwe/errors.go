package bwe

import "errors"

// ErrClosed is returned for feedback given to an estimator after Close.
var ErrClosed = errors.New("bwe: estimator closed")
