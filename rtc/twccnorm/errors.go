package twccnorm

import "errors"

// Why a transport-cc feedback packet could not be read. The normaliser
// drops such a packet (the estimator never sees it) and counts it.
var (
	errTWCCShort   = errors.New("transport-cc feedback: too short")
	errTWCCNotTWCC = errors.New("transport-cc feedback: not a transport-cc packet")
	errTWCCPadding = errors.New("transport-cc feedback: bad padding")
)
