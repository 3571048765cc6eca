package invite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Version 2 of the payload (docs/CODES.md, section 2) differs from
// version 1 in two places: the flags live in the low nibble of byte 0, so
// the header is two bytes, and a candidate's address is written in one of
// eight forms, the shortest that fits: private IPv4 ranges in two or three
// bytes, an IPv6 address with a run of zero bytes without it, and an IPv6
// address that shares its first bytes with the IPv6 address before it in
// the code without them.

// Version 3 (section 2.1) is version 2 with four changes that make the
// codes of a typical machine shorter: a reply carries one byte of the
// invite's session id instead of four; the checksum is the first two bytes
// of the CRC-32 instead of four; a fingerprint whose first byte is zero is
// written without it (Peercall picks its certificate so that it is); and
// the first candidate record may take the host port the fingerprint
// stands for (HostPort) without writing it.

// Bits of byte 0 below the version nibble, version 2 and later.
const (
	v2Reply        = 0x01 // reply (else invite)
	v2SetupPassive = 0x02 // reply only: a=setup:passive (else active)
	v2Credentials  = 0x04 // literal ufrag and pwd follow the fingerprint
	v3ZeroByte     = 0x08 // version 3: the fingerprint's first byte is 0 and left out
	v2KindKnown    = v2Reply | v2SetupPassive | v2Credentials
)

// A version-2 candidate record starts with a flags byte: bits 0-1 type,
// bits 2-4 address form, bit 5 same port as the previous record, bits 6-7
// reserved.
const (
	v2FormShift  = 2
	v2FormMask   = 0x07
	v2SamePort   = 0x20
	v2RecordBits = 0x3f
)

// Address forms of version 2.
const (
	formIPv4      = 0 // 4 bytes
	formIPv4C     = 1 // 192.168.0.0/16: the last 2 bytes
	formIPv4A     = 2 // 10.0.0.0/8: the last 3 bytes
	formIPv6      = 3 // 16 bytes
	formIPv6Zeros = 4 // shape byte h<<4|t, h head bytes, t tail bytes; 16-h-t >= 2 zero bytes between
	formIPv6Ref   = 5 // shape byte p<<4|t, t tail bytes: p bytes of the previous IPv6 address, zeros, tail
	formMDNS      = 6 // 16 bytes of the UUID
	formHostname  = 7 // length byte n, n bytes
)

var (
	netC = netip.MustParsePrefix("192.168.0.0/16")
	netA = netip.MustParsePrefix("10.0.0.0/8")
)

// appendCandidateV2 appends one version-2 candidate record. ref6 is the
// last IPv6 address written before it (nil if none); it returns the one
// after it.
func appendCandidateV2(b []byte, c Candidate, samePort bool, ref6 []byte) (_, _ []byte, err error) {
	if c.Type < CandidateHost || c.Type > CandidateRelay {
		return nil, nil, fmt.Errorf("unknown type %d", int(c.Type))
	}
	if c.Port == 0 {
		return nil, nil, errors.New("port 0")
	}
	kind, addr, ok := classifyAddress(c.Address)
	if !ok {
		return nil, nil, fmt.Errorf("address %q is neither an IP address nor a hostname", c.Address)
	}
	var form byte
	var body []byte
	switch kind {
	case addrIPv4:
		ip := netip.AddrFrom4([4]byte(addr))
		switch {
		case netC.Contains(ip):
			form, body = formIPv4C, addr[2:]
		case netA.Contains(ip):
			form, body = formIPv4A, addr[1:]
		default:
			form, body = formIPv4, addr
		}
	case addrIPv6:
		form, body = compactIPv6(addr, ref6)
		ref6 = addr
	case addrMDNS:
		form, body = formMDNS, addr
	case addrHostname:
		form = formHostname
		body = append([]byte{byte(len(c.Address))}, c.Address...)
	}
	flags := byte(c.Type) | form<<v2FormShift
	if samePort {
		flags |= v2SamePort
	}
	b = append(b, flags)
	b = append(b, body...)
	if !samePort {
		b = binary.BigEndian.AppendUint16(b, c.Port)
	}
	return b, ref6, nil
}

// compactIPv6 returns the shortest version-2 form of the 16-byte address a
// and the bytes that follow the flags byte; ref is the previous IPv6
// address in the code, or nil. Of forms that are equally short, the one
// with the lower number is taken.
func compactIPv6(a, ref []byte) (form byte, body []byte) {
	form, body = formIPv6, a
	// The longest run of zero bytes (the first of equally long ones).
	start, run := 0, 0
	for i := 0; i < 16; {
		j := i
		for j < 16 && a[j] == 0 {
			j++
		}
		if j-i > run {
			start, run = i, j-i
		}
		i = j + 1
	}
	if run >= 2 && 1+16-run < len(body) {
		h, t := start, 16-start-run
		form = formIPv6Zeros
		body = append([]byte{byte(h<<4 | t)}, a[:h]...)
		body = append(body, a[16-t:]...)
	}
	if ref != nil {
		p := 0
		for p < 15 && a[p] == ref[p] {
			p++
		}
		if p >= 1 {
			z := 0
			for p+z < 16 && a[p+z] == 0 {
				z++
			}
			t := 16 - p - z
			if 1+t < len(body) {
				form = formIPv6Ref
				body = append([]byte{byte(p<<4 | t)}, a[16-t:]...)
			}
		}
	}
	return form, body
}

// parsePayloadV2 reads a payload of version 2 or 3 without its checksum.
func parsePayloadV2(b []byte, version int) (*Code, error) {
	c := &Code{Version: version}
	head := b[0] & 0x0f
	known := byte(v2KindKnown)
	if version >= 3 {
		known |= v3ZeroByte
	}
	if head&^known != 0 {
		return nil, invalid("reserved bit set in byte 0: %#02x", b[0])
	}
	c.Kind = KindInvite
	if head&v2Reply != 0 {
		c.Kind = KindReply
	}
	if c.Kind == KindInvite && head&v2SetupPassive != 0 {
		return nil, invalid("an invite cannot choose a DTLS role")
	}
	c.SetupPassive = head&v2SetupPassive != 0
	p := 2
	p, err := readIdentity(c, b, p, head&v2Credentials != 0, head&v3ZeroByte != 0)
	if err != nil {
		return nil, err
	}
	var prevPort uint16
	if version >= 3 {
		prevPort = HostPort(c.Fingerprint)
	}
	var ref6 []byte
	for i := 1; p < len(b); i++ {
		f := b[p]
		p++
		if f&^v2RecordBits != 0 {
			return nil, invalid("candidate %d: reserved bits set", i)
		}
		cand := Candidate{Type: CandidateType(f & candTypeMask)}
		// take returns the next n bytes, or nil when the record is cut off.
		take := func(n int) []byte {
			if len(b)-p < n {
				return nil
			}
			p += n
			return b[p-n : p]
		}
		cut := invalid("candidate %d: address cut off", i)
		switch f >> v2FormShift & v2FormMask {
		case formIPv4, formIPv4C, formIPv4A:
			a, n := [4]byte{}, 4
			switch f >> v2FormShift & v2FormMask {
			case formIPv4C:
				a[0], a[1], n = 192, 168, 2
			case formIPv4A:
				a[0], n = 10, 3
			}
			v := take(n)
			if v == nil {
				return nil, cut
			}
			copy(a[4-n:], v)
			cand.Address = netip.AddrFrom4(a).String()
		case formIPv6, formIPv6Zeros, formIPv6Ref:
			a, err := readIPv6(f>>v2FormShift&v2FormMask, take, ref6)
			if err != nil {
				return nil, invalid("candidate %d: %v", i, err)
			}
			ref6 = a[:]
			cand.Address = netip.AddrFrom16(a).String()
		case formMDNS:
			v := take(16)
			if v == nil {
				return nil, cut
			}
			cand.Address = formatMDNSName(v)
		case formHostname:
			var ok bool
			if cand.Address, p, ok = readString(b, p); !ok || !validHostname(cand.Address) {
				return nil, invalid("candidate %d: bad hostname", i)
			}
		}
		if f&v2SamePort != 0 {
			if i == 1 && version < 3 {
				return nil, invalid("first candidate cannot repeat a port")
			}
			cand.Port = prevPort
		} else {
			v := take(2)
			if v == nil {
				return nil, invalid("candidate %d: port cut off", i)
			}
			cand.Port = binary.BigEndian.Uint16(v)
			if cand.Port == 0 {
				return nil, invalid("candidate %d: port 0", i)
			}
		}
		prevPort = cand.Port
		c.Candidates = append(c.Candidates, cand)
	}
	return c, nil
}

// readIPv6 reads the address of an IPv6 form with take; ref is the previous
// IPv6 address in the code, or nil.
func readIPv6(form byte, take func(int) []byte, ref []byte) (a [16]byte, err error) {
	cut := errors.New("address cut off")
	if form == formIPv6 {
		v := take(16)
		if v == nil {
			return a, cut
		}
		return [16]byte(v), nil
	}
	shape := take(1)
	if shape == nil {
		return a, cut
	}
	x, t := int(shape[0]>>4), int(shape[0]&15)
	if form == formIPv6Zeros {
		if x+t > 14 {
			return a, fmt.Errorf("%d head and %d tail bytes leave fewer than 2 zero bytes", x, t)
		}
		head := take(x)
		if head == nil && x > 0 {
			return a, cut
		}
		copy(a[:], head)
	} else {
		if ref == nil {
			return a, errors.New("no IPv6 address before it to share bytes with")
		}
		if x == 0 || x+t > 16 {
			return a, fmt.Errorf("%d shared and %d tail bytes", x, t)
		}
		copy(a[:x], ref)
	}
	tail := take(t)
	if tail == nil && t > 0 {
		return a, cut
	}
	copy(a[16-t:], tail)
	return a, nil
}
