// Package invite turns the WebRTC offer and answer that bootstrap a Peercall
// connection into short codes that people carry by hand, and back.
//
// An invite stands for an offer, a reply for the answer to it. Both describe
// a data-channel-only session (one m=application section, mid "0", SCTP port
// 5000, BUNDLE); media are negotiated later over the data channel. A code is
// the prefix "PC" followed by a binary payload written in block-wise base58.
// The exact format, the SDP each code stands for and the rules for reading
// pasted text are in docs/CODES.md.
package invite

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Prefix starts every code.
const Prefix = "PC"

// CurrentVersion is the payload format version this package writes. It
// reads every version from 1 up to CurrentVersion: version 2 writes the
// header and the addresses more compactly than version 1, version 3 the
// reply's session id, the checksum, the host port and a fingerprint that
// starts with a zero byte (docs/CODES.md, section 2).
const CurrentVersion = 3

// MaxPayload is the largest payload in bytes (the length byte is one byte);
// MaxCodeLength is the length in characters of a code with that payload.
const (
	MaxPayload    = 255
	MaxCodeLength = len(Prefix) + 31*11 + 10 // textLen(255)
)

// Payload layout constants (see docs/CODES.md).
const (
	headerLen = 3 // version 1: version|kind, length, flags
	crcLen    = 4 // versions 1 and 2
	crcLenV3  = 2

	minPayloadV1 = headerLen + 32 + crcLen
	minPayloadV2 = 2 + 32 + crcLen
	minPayloadV3 = 2 + 31 + crcLenV3 // the smallest payload of any version

	wireInvite = 0
	wireReply  = 1

	flagCredentials  = 0x01 // literal ufrag and pwd follow the fingerprint
	flagSetupPassive = 0x02 // reply only: a=setup:passive (else active)
	flagsKnown       = flagCredentials | flagSetupPassive

	candTypeMask  = 0x03
	candAddrShift = 2
	candAddrMask  = 0x03
	candSamePort  = 0x10
	candKnown     = 0x1f

	addrIPv4     = 0
	addrIPv6     = 1
	addrMDNS     = 2
	addrHostname = 3

	maxHostname = 253
	minUfrag    = 4
	minPwd      = 22
	maxICEChars = 255
)

// Domain-separation prefixes of the two derivations.
const (
	sessionDomain     = "peercall session"
	credentialsDomain = "peercall ice credentials"
	portDomain        = "peercall host port"
)

// Kind tells an invite from a reply.
type Kind int

// Kinds of code.
const (
	KindUnknown Kind = iota
	KindInvite       // stands for an SDP offer
	KindReply        // stands for the SDP answer to an invite
)

func (k Kind) String() string {
	switch k {
	case KindUnknown:
		return "unknown"
	case KindInvite:
		return "invite"
	case KindReply:
		return "reply"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// CandidateType is an ICE candidate type. Its values are those of the
// candidate type bits in a code.
type CandidateType int

// ICE candidate types.
const (
	CandidateHost  CandidateType = 0
	CandidateSrflx CandidateType = 1
	CandidatePrflx CandidateType = 2
	CandidateRelay CandidateType = 3
)

// String returns the name used after "typ" in an SDP candidate line.
func (t CandidateType) String() string {
	switch t {
	case CandidateHost:
		return "host"
	case CandidateSrflx:
		return "srflx"
	case CandidatePrflx:
		return "prflx"
	case CandidateRelay:
		return "relay"
	}
	return "CandidateType(" + strconv.Itoa(int(t)) + ")"
}

// typePreference is the RFC 8445 type preference used to regenerate
// candidate priorities.
func (t CandidateType) typePreference() uint32 {
	switch t {
	case CandidateHost:
		return 126
	case CandidatePrflx:
		return 110
	case CandidateSrflx:
		return 100
	}
	return 0
}

// Candidate is one ICE candidate of component 1 over UDP.
type Candidate struct {
	Type    CandidateType
	Address string // IP literal, "<uuid>.local" mDNS name, or other hostname
	Port    uint16
}

// Code is the content of an invite or a reply.
type Code struct {
	// Version is the payload format: 0 means CurrentVersion when
	// encoding; Decode sets it to the version of the code it read, so a
	// decoded code encodes again in its own format.
	Version int
	Kind    Kind
	// SessionID: for an invite SessionIDFor(Fingerprint), filled by Decode
	// and FromDescription, not written by Encode; for a reply the session
	// id of the invite it answers, written into the code.
	SessionID   [4]byte
	Fingerprint [32]byte // SHA-256 of the sender's DTLS certificate
	// Ufrag and Pwd are the sender's ICE credentials. Decode always fills
	// them (derived with DeriveCredentials when the code carries none).
	// Encode writes them into the code only when they differ from the
	// derived ones; both empty means derived.
	Ufrag, Pwd   string
	SetupPassive bool // reply only: the replier takes the DTLS server role
	Candidates   []Candidate
}

// SessionIDFor returns the session id of an invite whose sender has DTLS
// fingerprint fp: the first 4 bytes of SHA-256("peercall session" || fp).
func SessionIDFor(fp [32]byte) [4]byte {
	h := sha256.New()
	h.Write([]byte(sessionDomain))
	h.Write(fp[:])
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return [4]byte(sum[:4])
}

// DeriveCredentials returns the ICE credentials a Peercall peer with DTLS
// fingerprint fp uses, so that its codes need not carry them: with
// s = base64 (standard alphabet, no padding) of
// SHA-256("peercall ice credentials" || fp), ufrag = s[0:8], pwd = s[8:40].
// Set them on the agent with webrtc.SettingEngine.SetICECredentials.
func DeriveCredentials(fp [32]byte) (ufrag, pwd string) {
	h := sha256.New()
	h.Write([]byte(credentialsDomain))
	h.Write(fp[:])
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	s := base64.RawStdEncoding.EncodeToString(sum[:])
	return s[0:8], s[8:40]
}

// HostPort returns the UDP port a Peercall peer with DTLS fingerprint fp
// binds its host sockets to when it can, so that a version-3 code need not
// write it: 49152 + (the first 2 bytes of SHA-256("peercall host port" ||
// fp), big-endian, mod 16384), a port in the dynamic range.
func HostPort(fp [32]byte) uint16 {
	h := sha256.New()
	h.Write([]byte(portDomain))
	h.Write(fp[:])
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return 49152 + binary.BigEndian.Uint16(sum[:2])%16384
}

// String returns the code's text, or a description of why it cannot be
// encoded (never something that looks like a code).
func (c *Code) String() string {
	s, err := Encode(c)
	if err != nil {
		return "<invalid Peercall code: " + err.Error() + ">"
	}
	return s
}

// Encode returns the text of c. It writes the candidates as given (selection
// and filtering happen in FromDescription) and fails if c cannot be
// represented or the payload would exceed MaxPayload bytes.
func Encode(c *Code) (string, error) {
	b, err := appendPayload(make([]byte, 0, MaxPayload), c)
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, len(Prefix)+textLen(len(b)))
	out = append(out, Prefix...)
	out = appendBlocks(out, b)
	return string(out), nil
}

// appendPayload appends the binary payload of c to b.
func appendPayload(b []byte, c *Code) ([]byte, error) {
	if c == nil {
		return nil, errors.New("invite: nil code")
	}
	version := c.Version
	if version == 0 {
		version = CurrentVersion
	}
	if version < 1 || version > CurrentVersion {
		return nil, fmt.Errorf("invite: cannot encode version %d", c.Version)
	}
	var kind byte
	switch c.Kind {
	case KindInvite:
		kind = wireInvite
		if c.SetupPassive {
			return nil, errors.New("invite: SetupPassive is for replies only")
		}
	case KindReply:
		kind = wireReply
	default:
		return nil, fmt.Errorf("invite: cannot encode kind %v", c.Kind)
	}
	literal, err := literalCredentials(c)
	if err != nil {
		return nil, err
	}
	start := len(b)
	if version == 1 {
		var flags byte
		if literal {
			flags |= flagCredentials
		}
		if c.SetupPassive {
			flags |= flagSetupPassive
		}
		b = append(b, 1<<4|kind, 0, flags)
	} else {
		head := byte(version)<<4 | kind
		if c.SetupPassive {
			head |= v2SetupPassive
		}
		if literal {
			head |= v2Credentials
		}
		if version >= 3 && c.Fingerprint[0] == 0 {
			head |= v3ZeroByte
		}
		b = append(b, head, 0)
	}
	fp := c.Fingerprint[:]
	switch {
	case version < 3:
		if c.Kind == KindReply {
			b = append(b, c.SessionID[:]...)
		}
	default:
		if c.Kind == KindReply {
			b = append(b, c.SessionID[0])
		}
		if fp[0] == 0 {
			fp = fp[1:]
		}
	}
	b = append(b, fp...)
	if literal {
		b = append(b, byte(len(c.Ufrag)))
		b = append(b, c.Ufrag...)
		b = append(b, byte(len(c.Pwd)))
		b = append(b, c.Pwd...)
	}
	var ref6 []byte // version 2: the last IPv6 address written
	// Version 3: the port before the first record is the host port the
	// fingerprint stands for.
	prevPort := uint16(0)
	if version >= 3 {
		prevPort = HostPort(c.Fingerprint)
	}
	for i, cand := range c.Candidates {
		samePort := cand.Port == prevPort
		prevPort = cand.Port
		if version == 1 {
			b, err = appendCandidate(b, cand, samePort)
		} else {
			b, ref6, err = appendCandidateV2(b, cand, samePort, ref6)
		}
		if err != nil {
			return nil, fmt.Errorf("invite: candidate %d: %w", i+1, err)
		}
	}
	n := len(b) - start + checksumLen(version)
	if n > MaxPayload {
		return nil, fmt.Errorf("invite: payload of %d bytes exceeds %d; use fewer candidates", n, MaxPayload)
	}
	b[start+1] = byte(n)
	sum := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b[start:]))
	return append(b, sum[:checksumLen(version)]...), nil
}

// checksumLen is the length of a version's checksum: the first bytes of
// the big-endian CRC-32 of the bytes before it.
func checksumLen(version int) int {
	if version >= 3 {
		return crcLenV3
	}
	return crcLen
}

// literalCredentials reports whether c's credentials must be written into the
// code, and checks them when they must.
func literalCredentials(c *Code) (bool, error) {
	if c.Ufrag == "" && c.Pwd == "" {
		return false, nil
	}
	ufrag, pwd := DeriveCredentials(c.Fingerprint)
	if c.Ufrag == ufrag && c.Pwd == pwd {
		return false, nil
	}
	if !validICEString(c.Ufrag, minUfrag) {
		return false, fmt.Errorf("invite: ICE ufrag %q must be %d to %d characters of A-Z a-z 0-9 + /", c.Ufrag, minUfrag, maxICEChars)
	}
	if !validICEString(c.Pwd, minPwd) {
		return false, fmt.Errorf("invite: ICE pwd must be %d to %d characters of A-Z a-z 0-9 + /", minPwd, maxICEChars)
	}
	return true, nil
}

// validICEString reports whether s is min..255 ice-chars (RFC 8839).
func validICEString(s string, min int) bool {
	if len(s) < min || len(s) > maxICEChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// appendCandidate appends one version-1 candidate record.
func appendCandidate(b []byte, c Candidate, samePort bool) ([]byte, error) {
	if c.Type < CandidateHost || c.Type > CandidateRelay {
		return nil, fmt.Errorf("unknown type %d", int(c.Type))
	}
	if c.Port == 0 {
		return nil, errors.New("port 0")
	}
	kind, addr, ok := classifyAddress(c.Address)
	if !ok {
		return nil, fmt.Errorf("address %q is neither an IP address nor a hostname", c.Address)
	}
	flags := byte(c.Type) | kind<<candAddrShift
	if samePort {
		flags |= candSamePort
	}
	b = append(b, flags)
	if kind == addrHostname {
		b = append(b, byte(len(c.Address)))
		b = append(b, c.Address...)
	} else {
		b = append(b, addr...)
	}
	if !samePort {
		b = binary.BigEndian.AppendUint16(b, c.Port)
	}
	return b, nil
}

// classifyAddress returns the address kind of s and, except for hostnames,
// its bytes.
func classifyAddress(s string) (kind byte, addr []byte, ok bool) {
	if ip, err := netip.ParseAddr(s); err == nil {
		ip = ip.WithZone("")
		if ip.Is4() {
			a := ip.As4()
			return addrIPv4, a[:], true
		}
		a := ip.As16()
		return addrIPv6, a[:], true
	}
	if u, ok := parseMDNSName(s); ok {
		return addrMDNS, u[:], true
	}
	if validHostname(s) {
		return addrHostname, nil, true
	}
	return 0, nil, false
}

// parseMDNSName parses "<uuid>.local" with the UUID in lower-case canonical
// 8-4-4-4-12 form (as browsers write it).
func parseMDNSName(s string) (u [16]byte, ok bool) {
	const suffix = ".local"
	if len(s) != 36+len(suffix) || s[36:] != suffix {
		return u, false
	}
	j := 0
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return u, false
			}
			continue
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return u, false
		}
		u[j/2] |= v << (4 * (1 - uint(j%2)))
		j++
	}
	return u, true
}

// formatMDNSName is the inverse of parseMDNSName.
func formatMDNSName(u []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36+6)
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[b>>4], hex[b&15])
	}
	return string(append(out, ".local"...))
}

// validHostname reports whether s is 1..253 characters of letters, digits,
// '-', '.' and '_'.
func validHostname(s string) bool {
	if len(s) == 0 || len(s) > maxHostname {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// Decode reads a code from pasted text, applying the tolerant-input rules,
// and checks its format. Text that is not a code by itself is searched for
// one (a chat line with a name, a time and words around the code): exactly
// one valid code inside it is read; more than one different code is
// ErrSeveralCodes. It does not check the kind or which invite a reply
// answers; use Parse for a UI field. Decode never panics and allocates at
// most a few kilobytes beyond a copy of the input.
func Decode(text string) (*Code, error) {
	c, err := decodeWhole(text)
	if err == nil || len(text) > maxRawInput {
		return c, err
	}
	found, ferr := findCode(text)
	switch {
	case found != nil:
		return found, nil
	case errors.Is(ferr, ErrSeveralCodes):
		return nil, ferr
	case ferr != nil && errors.Is(err, ErrNotCode):
		// Not a code by itself, but a code inside that fails: say why.
		return nil, ferr
	}
	return nil, err
}

// decodeWhole is Decode for text that is one code, apart from the
// tolerated wrapping.
func decodeWhole(text string) (*Code, error) {
	if len(text) > maxRawInput {
		return nil, fmt.Errorf("%w (the text is %d bytes long; a code has at most %d characters)", ErrNotCode, len(text), MaxCodeLength)
	}
	s := normalize(text)
	if s == "" {
		return nil, ErrEmpty
	}
	if n := utf8.RuneCountInString(s); n > maxInput {
		return nil, fmt.Errorf("%w (the text has %d characters; a code has at most %d)", ErrNotCode, n, MaxCodeLength)
	}
	if !strings.HasPrefix(s, Prefix) {
		return nil, ErrNotCode
	}
	body := s[len(Prefix):]
	if pos, r := firstBadChar(body); pos > 0 {
		return nil, fmt.Errorf("%w (character %d, %q, cannot appear in a code)", ErrDamaged, pos+len(Prefix), r)
	}
	if len(body) < 11 {
		return nil, fmt.Errorf("%w (only %d characters)", ErrTruncated, len(s))
	}
	payload := make([]byte, 0, MaxPayload)
	payload, ok := decodeBlock(payload, body[:11], 8)
	if !ok {
		return nil, fmt.Errorf("%w (its first characters do not decode)", ErrDamaged)
	}
	version := int(payload[0] >> 4)
	if version > CurrentVersion {
		return nil, fmt.Errorf("%w (code format %d; this app reads formats 1 to %d)", ErrNewerVersion, version, CurrentVersion)
	}
	if version == 0 {
		return nil, fmt.Errorf("%w (format version 0 does not exist)", ErrDamaged)
	}
	n := int(payload[1])
	if n < minPayloadFor(version) {
		return nil, fmt.Errorf("%w (length byte %d is too small)", ErrDamaged, n)
	}
	want := textLen(n)
	if len(body) < want {
		return nil, fmt.Errorf("%w (%d of its %d characters are here)", ErrTruncated, len(s), len(Prefix)+want)
	}
	if len(body) > want {
		return nil, fmt.Errorf("%w (%d characters too many at the end)", ErrDamaged, len(body)-want)
	}
	for i := 11; i < len(body); i += 11 {
		end := min(i+11, len(body))
		k := end - i
		nb := 8
		if k < 11 {
			nb = n % 8
		}
		if payload, ok = decodeBlock(payload, body[i:end], nb); !ok {
			return nil, fmt.Errorf("%w (characters %d to %d do not decode)", ErrDamaged, i+len(Prefix)+1, end+len(Prefix))
		}
	}
	k := checksumLen(version)
	sum := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(payload[:n-k]))
	if string(sum[:k]) != string(payload[n-k:n]) {
		return nil, fmt.Errorf("%w (checksum mismatch)", ErrDamaged)
	}
	return parsePayload(payload[:n-k])
}

// minPayloadFor is the smallest payload of a version: header,
// fingerprint and checksum.
func minPayloadFor(version int) int {
	switch version {
	case 1:
		return minPayloadV1
	case 2:
		return minPayloadV2
	}
	return minPayloadV3
}

// invalid returns ErrInvalid with a detail.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w ("+format+")", append([]any{ErrInvalid}, args...)...)
}

// parsePayload reads a payload without its checksum.
func parsePayload(b []byte) (*Code, error) {
	if v := int(b[0] >> 4); v >= 2 {
		return parsePayloadV2(b, v)
	}
	c := &Code{Version: 1}
	switch b[0] & 0x0f {
	case wireInvite:
		c.Kind = KindInvite
	case wireReply:
		c.Kind = KindReply
	default:
		return nil, invalid("unknown kind %d", b[0]&0x0f)
	}
	flags := b[2]
	if flags&^flagsKnown != 0 {
		return nil, invalid("reserved flag bits set: %#02x", flags)
	}
	if c.Kind == KindInvite && flags&flagSetupPassive != 0 {
		return nil, invalid("an invite cannot choose a DTLS role")
	}
	c.SetupPassive = flags&flagSetupPassive != 0
	p := headerLen
	p, err := readIdentity(c, b, p, flags&flagCredentials != 0, false)
	if err != nil {
		return nil, err
	}
	var prevPort uint16
	for i := 1; p < len(b); i++ {
		f := b[p]
		p++
		if f&^candKnown != 0 {
			return nil, invalid("candidate %d: reserved bits set", i)
		}
		cand := Candidate{Type: CandidateType(f & candTypeMask)}
		switch f >> candAddrShift & candAddrMask {
		case addrIPv4:
			if len(b)-p < 4 {
				return nil, invalid("candidate %d: address cut off", i)
			}
			cand.Address = netip.AddrFrom4([4]byte(b[p : p+4])).String()
			p += 4
		case addrIPv6:
			if len(b)-p < 16 {
				return nil, invalid("candidate %d: address cut off", i)
			}
			cand.Address = netip.AddrFrom16([16]byte(b[p : p+16])).String()
			p += 16
		case addrMDNS:
			if len(b)-p < 16 {
				return nil, invalid("candidate %d: address cut off", i)
			}
			cand.Address = formatMDNSName(b[p : p+16])
			p += 16
		case addrHostname:
			var ok bool
			if cand.Address, p, ok = readString(b, p); !ok || !validHostname(cand.Address) {
				return nil, invalid("candidate %d: bad hostname", i)
			}
		}
		if f&candSamePort != 0 {
			if i == 1 {
				return nil, invalid("first candidate cannot repeat a port")
			}
			cand.Port = prevPort
		} else {
			if len(b)-p < 2 {
				return nil, invalid("candidate %d: port cut off", i)
			}
			cand.Port = binary.BigEndian.Uint16(b[p:])
			p += 2
			if cand.Port == 0 {
				return nil, invalid("candidate %d: port 0", i)
			}
		}
		prevPort = cand.Port
		c.Candidates = append(c.Candidates, cand)
	}
	return c, nil
}

// readString reads a length-prefixed string at b[p:].
func readString(b []byte, p int) (string, int, bool) {
	if p >= len(b) {
		return "", p, false
	}
	n := int(b[p])
	p++
	if len(b)-p < n {
		return "", p, false
	}
	return string(b[p : p+n]), p + n, true
}

// Parse decodes text pasted into a UI field that expects a code of kind want
// (KindUnknown accepts either) and checks it against ours, the code this app
// produced in this attempt (nil if none yet). After the format checks of
// Decode it reports, in this order: ErrOwnCode if the code has ours's
// fingerprint; ErrUnexpectedInvite or ErrUnexpectedReply if the kind is not
// want; ErrOtherInvite if it is a reply, ours is an invite, and the reply's
// session id is not ours's.
func Parse(text string, want Kind, ours *Code) (*Code, error) {
	c, err := Decode(text)
	if err != nil {
		return nil, err
	}
	if ours != nil && c.Fingerprint == ours.Fingerprint {
		return nil, ErrOwnCode
	}
	if want != KindUnknown && c.Kind != want {
		if c.Kind == KindInvite {
			return nil, ErrUnexpectedInvite
		}
		return nil, ErrUnexpectedReply
	}
	if c.Kind == KindReply && ours != nil && ours.Kind == KindInvite && !c.answers(ours) {
		return nil, ErrOtherInvite
	}
	return c, nil
}

// answers reports whether reply c answers the invite inv: by the whole
// session id, or by its ReplyTag for a version-3 reply, which carries
// only that.
func (c *Code) answers(inv *Code) bool {
	if c.Version >= 3 {
		return c.SessionID[0] == inv.ReplyTag()
	}
	return c.SessionID == SessionIDFor(inv.Fingerprint)
}

// ReplyTag is the part of invite c's session id that a version-3 reply
// carries: its first byte. Replies to two invites with the same tag (1 in
// 256) are told apart only when they connect.
func (c *Code) ReplyTag() byte { return SessionIDFor(c.Fingerprint)[0] }

// readIdentity reads what every version carries after its header, from
// offset p: the session id of the invite a reply answers (4 bytes, its first
// byte from version 3 on), the fingerprint (without its first byte when
// zeroByte is set), and the ICE credentials (literal when literal is set,
// else derived). It returns the offset after them.
func readIdentity(c *Code, b []byte, p int, literal, zeroByte bool) (int, error) {
	idLen, fpLen := 4, 32
	if c.Version >= 3 {
		idLen = 1
	}
	if zeroByte {
		fpLen = 31
	}
	if c.Kind == KindReply {
		if len(b) < p+idLen+fpLen {
			return 0, invalid("too short for a reply")
		}
		copy(c.SessionID[:], b[p:p+idLen])
		p += idLen
	}
	copy(c.Fingerprint[32-fpLen:], b[p:p+fpLen])
	p += fpLen
	if c.Kind == KindInvite {
		c.SessionID = SessionIDFor(c.Fingerprint)
	}
	if literal {
		var ok bool
		if c.Ufrag, p, ok = readString(b, p); !ok || !validICEString(c.Ufrag, minUfrag) {
			return 0, invalid("bad ICE ufrag")
		}
		if c.Pwd, p, ok = readString(b, p); !ok || !validICEString(c.Pwd, minPwd) {
			return 0, invalid("bad ICE pwd")
		}
	} else {
		c.Ufrag, c.Pwd = DeriveCredentials(c.Fingerprint)
	}
	return p, nil
}
