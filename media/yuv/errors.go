package yuv

import "errors"

// ErrInvalid is wrapped by every error ConvertInto returns for a source
// picture or destination image it cannot use (nil, empty, too large, or
// with planes shorter than its rectangle and strides require).
var ErrInvalid = errors.New("yuv: unusable picture")
