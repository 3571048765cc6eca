package invite

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Fixed parts of the session every code stands for.
const (
	dataMid        = "0"
	sctpPort       = "5000"
	maxMessageSize = "262144"
)

// FromDescription turns a complete (gathered) session description into a
// code: an offer into an invite (answers must be nil), an answer into a reply
// to the invite answers (its SessionID is set from answers.Fingerprint).
//
// The description must be data-channel-only: one m=application section
// "UDP/DTLS/SCTP webrtc-datachannel" with mid "0", SCTP port 5000 (or no
// sctp-port attribute), ICE credentials, exactly one distinct SHA-256
// fingerprint, a=setup:actpass in an offer and active or passive in an
// answer, and no ICE lite. Otherwise the error wraps ErrUnsupported.
//
// Candidates are selected: only component 1 over UDP; TCP candidates,
// unknown types, unspecified and link-local IPv6 addresses are dropped;
// loopback candidates are dropped when a non-loopback host candidate exists;
// the rest are sorted by their SDP priority, highest first; duplicates, a
// host candidate in the same IPv6 /64 as a host candidate before it, and a
// srflx candidate on the address of a host candidate are dropped; and the
// lowest are dropped if the payload would exceed MaxPayload.
// Credentials equal to DeriveCredentials(fingerprint) are left out of the
// code's text; others are carried literally.
func FromDescription(sd webrtc.SessionDescription, answers *Code) (*Code, error) {
	unsupported := func(format string, args ...any) error {
		return fmt.Errorf("%w ("+format+")", append([]any{ErrUnsupported}, args...)...)
	}
	c := &Code{Version: CurrentVersion}
	switch sd.Type {
	case webrtc.SDPTypeOffer:
		if answers != nil {
			return nil, errors.New("invite: an offer answers no invite; pass nil")
		}
		c.Kind = KindInvite
	case webrtc.SDPTypeAnswer:
		if answers == nil || answers.Kind != KindInvite {
			return nil, errors.New("invite: an answer needs the invite it answers")
		}
		c.Kind = KindReply
		c.SessionID = SessionIDFor(answers.Fingerprint)
	default:
		return nil, unsupported("type %q; only offers and answers", sd.Type)
	}
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(sd.SDP); err != nil {
		return nil, unsupported("SDP does not parse: %v", err)
	}
	if len(desc.MediaDescriptions) != 1 {
		return nil, unsupported("%d media sections; a code stands for exactly one m=application section", len(desc.MediaDescriptions))
	}
	md := desc.MediaDescriptions[0]
	if md.MediaName.Media != "application" || strings.Join(md.MediaName.Protos, "/") != "UDP/DTLS/SCTP" ||
		len(md.MediaName.Formats) != 1 || md.MediaName.Formats[0] != "webrtc-datachannel" {
		return nil, unsupported("media section is not UDP/DTLS/SCTP webrtc-datachannel")
	}
	if mid, _ := md.Attribute("mid"); mid != dataMid {
		return nil, unsupported("mid %q; a code stands for mid %q", mid, dataMid)
	}
	if port, ok := md.Attribute("sctp-port"); ok && port != sctpPort {
		return nil, unsupported("sctp-port %s; a code stands for %s", port, sctpPort)
	}
	if hasAttribute(&desc, md, "ice-lite") {
		return nil, unsupported("ICE lite")
	}
	fp, err := descriptionFingerprint(&desc, md)
	if err != nil {
		return nil, unsupported("%v", err)
	}
	c.Fingerprint = fp
	if c.Kind == KindInvite {
		c.SessionID = SessionIDFor(fp)
	}
	c.Ufrag = attribute(&desc, md, "ice-ufrag")
	c.Pwd = attribute(&desc, md, "ice-pwd")
	if !validICEString(c.Ufrag, minUfrag) || !validICEString(c.Pwd, minPwd) {
		return nil, unsupported("ICE credentials missing or not %d+/%d+ ice-chars", minUfrag, minPwd)
	}
	switch setup := attribute(&desc, md, "setup"); {
	case c.Kind == KindInvite && setup == "actpass":
	case c.Kind == KindReply && setup == "active":
	case c.Kind == KindReply && setup == "passive":
		c.SetupPassive = true
	default:
		return nil, unsupported("a=setup:%s in an %s", setup, sd.Type)
	}
	var found []sdpCandidate
	for _, a := range md.Attributes {
		if a.Key == "candidate" {
			if cand, ok := parseCandidate(a.Value); ok {
				found = append(found, cand)
			}
		}
	}
	c.Candidates = selectCandidates(found)
	for {
		_, err := appendPayload(nil, c)
		if err == nil {
			return c, nil
		}
		if len(c.Candidates) == 0 {
			return nil, err
		}
		c.Candidates = c.Candidates[:len(c.Candidates)-1]
	}
}

// attribute returns a media-level attribute, else the session-level one.
func attribute(desc *sdp.SessionDescription, md *sdp.MediaDescription, key string) string {
	if v, ok := md.Attribute(key); ok {
		return v
	}
	v, _ := desc.Attribute(key)
	return v
}

func hasAttribute(desc *sdp.SessionDescription, md *sdp.MediaDescription, key string) bool {
	_, inMedia := md.Attribute(key)
	_, inSession := desc.Attribute(key)
	return inMedia || inSession
}

// descriptionFingerprint returns the one distinct SHA-256 fingerprint of the
// description, from the session or the media level.
func descriptionFingerprint(desc *sdp.SessionDescription, md *sdp.MediaDescription) (fp [32]byte, err error) {
	var found []sdp.Attribute
	found = append(found, desc.Attributes...)
	found = append(found, md.Attributes...)
	n := 0
	for _, a := range found {
		if a.Key != "fingerprint" {
			continue
		}
		algo, value, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
		if !strings.EqualFold(algo, "sha-256") {
			continue
		}
		v, ok := parseFingerprint(strings.TrimSpace(value))
		if !ok {
			return fp, fmt.Errorf("bad sha-256 fingerprint %q", value)
		}
		if n > 0 && v != fp {
			return fp, errors.New("more than one sha-256 fingerprint")
		}
		fp = v
		n++
	}
	if n == 0 {
		return fp, errors.New("no sha-256 fingerprint")
	}
	return fp, nil
}

// parseFingerprint parses 32 colon-separated hex pairs, either case.
func parseFingerprint(s string) (fp [32]byte, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 32 {
		return fp, false
	}
	for i, p := range parts {
		if len(p) != 2 {
			return fp, false
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return fp, false
		}
		fp[i] = byte(v)
	}
	return fp, true
}

// FormatFingerprint writes fp as in an SDP a=fingerprint line and in
// webrtc.DTLSFingerprint.Value: 32 colon-separated upper-case hex pairs.
func FormatFingerprint(fp [32]byte) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, 32*3-1)
	for i, b := range fp {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hex[b>>4], hex[b&15])
	}
	return string(out)
}

// FingerprintOf returns the SHA-256 fingerprint of a certificate, as a code
// carries it.
func FingerprintOf(cert webrtc.Certificate) ([32]byte, error) {
	fps, err := cert.GetFingerprints()
	if err != nil {
		return [32]byte{}, err
	}
	for _, f := range fps {
		if strings.EqualFold(f.Algorithm, "sha-256") {
			if fp, ok := parseFingerprint(f.Value); ok {
				return fp, nil
			}
		}
	}
	return [32]byte{}, errors.New("invite: certificate has no sha-256 fingerprint")
}

// sdpCandidate is a candidate read from SDP with its original priority.
type sdpCandidate struct {
	Candidate
	priority uint32
}

// parseCandidate reads the value of an a=candidate attribute (RFC 8839
// grammar, with or without the "candidate:" prefix). ok is false for
// anything a code does not carry: other components, TCP, unknown types,
// bad addresses or port 0.
func parseCandidate(v string) (c sdpCandidate, ok bool) {
	v = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(v), "a="), "candidate:")
	f := strings.Fields(v)
	if len(f) < 8 || f[1] != "1" || !strings.EqualFold(f[2], "udp") || f[6] != "typ" {
		return c, false
	}
	prio, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil {
		return c, false
	}
	port, err := strconv.ParseUint(f[5], 10, 16)
	if err != nil || port == 0 {
		return c, false
	}
	switch f[7] {
	case "host":
		c.Type = CandidateHost
	case "srflx":
		c.Type = CandidateSrflx
	case "prflx":
		c.Type = CandidatePrflx
	case "relay":
		c.Type = CandidateRelay
	default:
		return c, false
	}
	c.Address = f[4]
	if ip, err := netip.ParseAddr(c.Address); err == nil {
		ip = ip.WithZone("")
		if ip.IsUnspecified() || ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
			return c, false
		}
		c.Address = ip.String()
	} else if _, ok := parseMDNSName(c.Address); !ok && !validHostname(c.Address) {
		return c, false
	}
	c.Port = uint16(port)
	c.priority = uint32(prio)
	return c, true
}

// isLoopback reports whether a candidate address is a loopback address.
func isLoopback(addr string) bool {
	if ip, err := netip.ParseAddr(addr); err == nil {
		return ip.Unmap().IsLoopback()
	}
	return strings.EqualFold(addr, "localhost")
}

// selectCandidates applies the selection rules of FromDescription, except
// the size limit.
func selectCandidates(found []sdpCandidate) []Candidate {
	nonLoopbackHost := false
	for _, c := range found {
		if c.Type == CandidateHost && !isLoopback(c.Address) {
			nonLoopbackHost = true
		}
	}
	slices.SortStableFunc(found, func(a, b sdpCandidate) int { return cmp.Compare(b.priority, a.priority) })
	var out []Candidate
	for _, c := range found {
		if nonLoopbackHost && isLoopback(c.Address) {
			continue
		}
		if slices.Contains(out, c.Candidate) {
			continue
		}
		if c.Type == CandidateHost && slices.ContainsFunc(out, func(o Candidate) bool { return o.Type == CandidateHost && sameSubnet64(o.Address, c.Address) }) {
			// A second address in a /64 that a host candidate already
			// names (a temporary address next to the stable one): any
			// machine that reaches one reaches the other.
			continue
		}
		out = append(out, c.Candidate)
	}
	// A server-reflexive address that is the machine's own (no NAT in
	// between) is reached through the host candidate on it.
	return slices.DeleteFunc(out, func(c Candidate) bool {
		return c.Type == CandidateSrflx && slices.ContainsFunc(out, func(o Candidate) bool { return o.Type == CandidateHost && o.Address == c.Address })
	})
}

// sameSubnet64 reports whether a and b are IPv6 addresses (not
// IPv4-mapped) in one /64.
func sameSubnet64(a, b string) bool {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	if err1 != nil || err2 != nil || !x.Is6() || !y.Is6() || x.Is4In6() || y.Is4In6() {
		return false
	}
	p, _ := x.Prefix(64)
	return p.Contains(y)
}

// priority returns the ICE priority Description gives the candidate at
// index i of a code: type preference (host 126, prflx 110, srflx 100,
// relay 0) << 24 | (65535 - i) << 8 | 255.
func priority(t CandidateType, i int) uint32 {
	local := uint32(65535 - min(max(i, 0), 65535))
	return t.typePreference()<<24 | local<<8 | (256 - 1)
}

// Description returns the session description the code stands for: an
// offer for an invite, an answer for a reply, as documented in
// docs/CODES.md. It can be passed to SetRemoteDescription of a pion or
// browser RTCPeerConnection. For a Code of unknown kind it returns the zero
// value; candidates that Encode would reject are left out, and credentials
// that Encode would reject are replaced by the derived ones.
func (c *Code) Description() webrtc.SessionDescription {
	var typ webrtc.SDPType
	var setup string
	switch {
	case c.Kind == KindInvite:
		typ, setup = webrtc.SDPTypeOffer, "actpass"
	case c.Kind == KindReply && c.SetupPassive:
		typ, setup = webrtc.SDPTypeAnswer, "passive"
	case c.Kind == KindReply:
		typ, setup = webrtc.SDPTypeAnswer, "active"
	default:
		return webrtc.SessionDescription{}
	}
	ufrag, pwd := c.Ufrag, c.Pwd
	if !validICEString(ufrag, minUfrag) || !validICEString(pwd, minPwd) {
		ufrag, pwd = DeriveCredentials(c.Fingerprint)
	}
	sid := SessionIDFor(c.Fingerprint)
	var b strings.Builder
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=- ", strconv.FormatUint(uint64(binary.BigEndian.Uint32(sid[:])), 10), " 2 IN IP4 127.0.0.1")
	line("s=-")
	line("t=0 0")
	line("a=group:BUNDLE ", dataMid)
	line("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	line("c=IN IP4 0.0.0.0")
	line("a=ice-ufrag:", ufrag)
	line("a=ice-pwd:", pwd)
	line("a=fingerprint:sha-256 ", FormatFingerprint(c.Fingerprint))
	line("a=setup:", setup)
	line("a=mid:", dataMid)
	line("a=sctp-port:", sctpPort)
	line("a=max-message-size:", maxMessageSize)
	n := 0
	for _, cand := range c.Candidates {
		if _, _, ok := classifyAddress(cand.Address); !ok || cand.Port == 0 || cand.Type < CandidateHost || cand.Type > CandidateRelay {
			continue
		}
		if ip, err := netip.ParseAddr(cand.Address); err == nil {
			cand.Address = ip.WithZone("").String()
		}
		line("a=", candidateLine(cand, n))
		n++
	}
	line("a=end-of-candidates")
	return webrtc.SessionDescription{Type: typ, SDP: b.String()}
}

// candidateLine returns the SDP attribute value ("candidate:...") that
// Description writes for the candidate at index i of a code: foundation
// i+1, component 1, udp, priority(type, i), address, port, type, and
// "raddr 0.0.0.0 rport 0" for non-host types.
func candidateLine(c Candidate, i int) string {
	s := "candidate:" + strconv.Itoa(i+1) + " 1 udp " + strconv.FormatUint(uint64(priority(c.Type, i)), 10) +
		" " + c.Address + " " + strconv.Itoa(int(c.Port)) + " typ " + c.Type.String()
	if c.Type != CandidateHost {
		s += " raddr 0.0.0.0 rport 0"
	}
	return s
}
