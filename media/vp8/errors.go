package vp8

import "errors"

var (
	// ErrClosed is returned by calls on a closed Encoder or Decoder.
	ErrClosed = errors.New("vp8: codec is closed")
	// ErrCorrupt wraps every error Decode returns for a frame it could not
	// turn into a trustworthy picture; the caller should ask the sender
	// for a keyframe.
	ErrCorrupt = errors.New("vp8: corrupt or undecodable frame")
	// ErrNoPicture is returned by Decode for a valid frame that is not
	// meant to be shown (VP8 hidden frames, which Peercall's encoder never
	// produces); the caller skips it.
	ErrNoPicture = errors.New("vp8: frame has no picture to show")
	// ErrBadPicture refuses a picture to encode that is missing, not
	// 4:2:0, not the encoder's size, or whose planes are too short.
	ErrBadPicture = errors.New("vp8: picture unfit to encode")
)
