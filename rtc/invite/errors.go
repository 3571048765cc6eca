package invite

import "errors"

// Errors returned by Decode and Parse. Each message is written for the person
// who pasted the code, so a UI may show err.Error() as it is. Where a check
// adds detail (a character position, a version number), the sentinel is
// wrapped with %w and the detail follows in parentheses; test with errors.Is.
//
// The order of the checks (docs/CODES.md, section 6) is: empty; "PC"
// prefix; alphabet; a first block to read; version (before length and
// checksum, so any future format reads as ErrNewerVersion); length (cut
// short, extra characters); checksum; structure; then, in Parse only: own
// code, kind, which invite a reply answers. A wrong kind is reported by two
// distinct errors, ErrUnexpectedInvite and ErrUnexpectedReply.
var (
	// ErrEmpty: nothing but whitespace, quotes or brackets was pasted.
	ErrEmpty = errors.New("nothing was pasted: paste the code your contact sent you")

	// ErrNotCode: the text does not start with "PC" (after the tolerated
	// wrapping is removed), or it is far too long to be a code.
	ErrNotCode = errors.New("this is not a Peercall code: a code starts with PC; paste the whole code your contact sent you")

	// ErrSeveralCodes: the pasted text holds more than one different code.
	ErrSeveralCodes = errors.New("this text holds more than one Peercall code: paste only the code your contact sent you")

	// ErrNewerVersion: the code's version byte is higher than this package
	// understands. Reported before any other check of the code's contents.
	ErrNewerVersion = errors.New("this code was made by a newer version of Peercall: update Peercall, then paste it again")

	// ErrTruncated: the code is shorter than its length byte says, or too
	// short to hold even its header.
	ErrTruncated = errors.New("this code is cut short: copy the whole code again, up to its last character")

	// ErrDamaged: a character that cannot appear in a code, extra characters
	// at the end, a block that does not decode, version 0, a length byte
	// below the minimum, or a checksum mismatch.
	ErrDamaged = errors.New("this code is damaged: check it was copied whole and unchanged, then paste it again")

	// ErrInvalid: the checksum matches but the contents break the format
	// (unknown kind, reserved bits set, bad candidate). A correct Peercall
	// never makes such a code.
	ErrInvalid = errors.New("this code is not valid: ask your contact to make a new one")

	// ErrUnexpectedInvite: an invite was pasted where a reply is expected.
	ErrUnexpectedInvite = errors.New("this is an invite, but a reply is expected here: paste the reply your contact sent back to your invite")

	// ErrUnexpectedReply: a reply was pasted where an invite is expected.
	ErrUnexpectedReply = errors.New("this is a reply, but an invite is expected here: paste the invite your contact sent you")

	// ErrOtherInvite: the reply answers an invite other than the one this
	// app sent in this attempt (an old reply, or a reply to someone else).
	ErrOtherInvite = errors.New("this reply answers a different invite: ask your contact to answer the invite you sent most recently")

	// ErrOwnCode: the pasted code was made by this app (same DTLS
	// fingerprint as the code it produced).
	ErrOwnCode = errors.New("this is the code you made yourself: send it to your contact, and paste here the code they send back")

	// ErrUnsupported is returned by FromDescription for a session description
	// that a code cannot stand for (not a data-channel-only session with one
	// m=application section, mid "0", SCTP port 5000 and a SHA-256
	// fingerprint).
	ErrUnsupported = errors.New("this WebRTC session description cannot be turned into a Peercall code")
)
