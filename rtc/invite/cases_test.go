package invite

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"strings"
)

// testCase is one row of the table that drives the encode, decode, parse,
// fuzz-seed and benchmark tests.
//
// A row with code set is a valid code: Encode(code) must give text (when
// text is set; else the text is computed), and Decode(text) must give the
// code with its derived fields filled in (see complete). A row with err set
// is an input that Decode (or Parse, with want and ours) must reject with
// that error.
type testCase struct {
	name string
	enc  bool   // a row for the encode tests: code, and its golden text
	code *Code  // valid code, as given to Encode
	text string // input text; golden encoding for valid rows when set
	want Kind   // for Parse
	ours *Code  // for Parse
	err  error  // expected error (errors.Is)
}

func fingerprint(seed string) [32]byte { return sha256.Sum256([]byte(seed)) }

var (
	fpA = fingerprint("peercall test A")
	fpB = fingerprint("peercall test B")
	fpC = fingerprint("peercall test C")
)

// typical4 is the size target: four IPv4 host candidates and one srflx.
var typical4 = []Candidate{
	{CandidateHost, "192.168.1.23", 50001},
	{CandidateHost, "10.8.0.5", 50002},
	{CandidateHost, "172.17.0.1", 50003},
	{CandidateHost, "100.64.12.7", 50004},
	{CandidateSrflx, "203.0.113.45", 61234},
}

// The codes of format version 1 (vectors A, B and C of docs/CODES.md):
// Peercall still reads them, and writes them when asked for version 1.
var (
	inviteTypical = &Code{Version: 1, Kind: KindInvite, Fingerprint: fpA, Candidates: typical4}
	replyTypical  = &Code{Version: 1, Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpB, Candidates: []Candidate{
		{CandidateHost, "192.168.1.40", 40001},
		{CandidateHost, "10.8.0.9", 40002},
		{CandidateHost, "172.18.0.1", 40003},
		{CandidateHost, "100.64.3.3", 40004},
		{CandidateSrflx, "198.51.100.7", 40001},
	}}
	// A Chromium-style reply: random credentials, mDNS host candidate,
	// srflx on the same port.
	replyBrowser = &Code{Version: 1, Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpC,
		Ufrag: "Xk3o", Pwd: "zwe9+Lq3nT4D7r2kP0sQ1vYb", SetupPassive: true,
		Candidates: []Candidate{
			{CandidateHost, "0c4ec2b7-3dd8-4ab5-a8b3-5f1b4b2b3c4d.local", 54321},
			{CandidateSrflx, "203.0.113.7", 54321},
		}}
	inviteBare  = &Code{Version: 1, Kind: KindInvite, Fingerprint: fpB}
	inviteMixed = &Code{Version: 1, Kind: KindInvite, Fingerprint: fpC, Ufrag: "9f3a0c1e", Pwd: "4c2d9e0b7a1f5e3d6c8b0a2f4e6d8c0b",
		Candidates: []Candidate{
			{CandidateHost, "2001:db8::1234", 60000},
			{CandidateHost, "::ffff:192.0.2.1", 60000},
			{CandidateHost, "turn-less.example.org", 3478},
			{CandidatePrflx, "192.0.2.200", 1},
			{CandidateRelay, "198.51.100.99", 65535},
		}}
	inviteLoopback = &Code{Version: 1, Kind: KindInvite, Fingerprint: fpA, Candidates: []Candidate{{CandidateHost, "127.0.0.1", 5000}}}
)

// The codes of format version 2, the one Peercall writes (vectors D to G
// of docs/CODES.md). Version 0 means the current version.
var (
	// A machine with an IPv4 and an IPv6 address, behind a NAT, with STUN:
	// host candidates on one port and the IPv4 NAT's address.
	invite2 = &Code{Version: 2, Kind: KindInvite, Fingerprint: fpA, Candidates: []Candidate{
		{CandidateHost, "192.168.1.23", 50001},
		{CandidateHost, "2001:db8:41:7::23", 50001},
		{CandidateSrflx, "203.0.113.45", 61234},
	}}
	// Its reply from a machine with a SLAAC IPv6 address, behind a NAT
	// that keeps ports, with a TURN relay.
	reply2 = &Code{Version: 2, Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpB, Candidates: []Candidate{
		{CandidateHost, "10.8.0.9", 40001},
		{CandidateHost, "2001:db8:77:1:2c3:4dff:fe5e:6f70", 40001},
		{CandidateSrflx, "198.51.100.7", 40001},
		{CandidateRelay, "2001:db8:f00d::9", 50123},
	}}
	// A browser's reply: random credentials, mDNS host candidate, srflx
	// on the same port, DTLS passive.
	replyBrowser2 = &Code{Version: 2, Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpC,
		Ufrag: "Xk3o", Pwd: "zwe9+Lq3nT4D7r2kP0sQ1vYb", SetupPassive: true,
		Candidates: []Candidate{
			{CandidateHost, "0c4ec2b7-3dd8-4ab5-a8b3-5f1b4b2b3c4d.local", 54321},
			{CandidateSrflx, "203.0.113.7", 54321},
		}}
	// Every other address form: literal credentials, an IPv4-mapped IPv6
	// address, a hostname, an IPv4 address outside the private ranges,
	// prflx and relay.
	inviteMixed2 = &Code{Version: 2, Kind: KindInvite, Fingerprint: fpC, Ufrag: "9f3a0c1e", Pwd: "4c2d9e0b7a1f5e3d6c8b0a2f4e6d8c0b",
		Candidates: []Candidate{
			{CandidateHost, "::ffff:192.0.2.1", 60000},
			{CandidateHost, "turn-less.example.org", 3478},
			{CandidatePrflx, "192.0.2.200", 1},
			{CandidateRelay, "2001:db8:ffff::9", 65535},
			{CandidateRelay, "2001:db8:ffff::a", 65535},
			{CandidateRelay, "198.51.100.99", 65535},
		}}
	inviteBare2 = &Code{Version: 2, Kind: KindInvite, Fingerprint: fpB}
)

// The codes of format version 3, the one Peercall writes (vectors H to K
// of docs/CODES.md). Version 0 means the current version. fpH and fpI
// start with a zero byte, as the fingerprints Peercall picks for itself do.
var (
	fpH = fingerprint("peercall test 32")
	fpI = fingerprint("peercall test 395")

	// A typical machine: a home network's IPv4 address and a SLAAC IPv6
	// address, host candidates on the port its fingerprint stands for.
	invite3 = &Code{Kind: KindInvite, Fingerprint: fpH, Candidates: []Candidate{
		{CandidateHost, "192.168.1.23", HostPort(fpH)},
		{CandidateHost, "2001:db8:41:7:a4c1:3bff:fe8e:5d21", HostPort(fpH)},
	}}
	// Its reply from another such machine.
	reply3 = &Code{Kind: KindReply, SessionID: SessionIDFor(fpH), Fingerprint: fpI, Candidates: []Candidate{
		{CandidateHost, "192.168.178.31", HostPort(fpI)},
		{CandidateHost, "2001:db8:9c40:1a00:8d3e:21ff:fe07:b4c2", HostPort(fpI)},
	}}
	// A fingerprint that does not start with a zero byte, a port the
	// system picked, and a NAT's address from STUN.
	invite3NAT = &Code{Kind: KindInvite, Fingerprint: fpA, Candidates: []Candidate{
		{CandidateHost, "10.8.0.9", 40001},
		{CandidateHost, "2001:db8:77:1:2c3:4dff:fe5e:6f70", 40001},
		{CandidateSrflx, "203.0.113.45", 61234},
	}}
	// A browser's reply to invite3: random credentials, an mDNS host
	// candidate, srflx on the same port, DTLS passive.
	replyBrowser3 = &Code{Kind: KindReply, SessionID: SessionIDFor(fpH), Fingerprint: fpC,
		Ufrag: "Xk3o", Pwd: "zwe9+Lq3nT4D7r2kP0sQ1vYb", SetupPassive: true,
		Candidates: []Candidate{
			{CandidateHost, "0c4ec2b7-3dd8-4ab5-a8b3-5f1b4b2b3c4d.local", 54321},
			{CandidateSrflx, "203.0.113.7", 54321},
		}}
)

// bigInvite fills the payload to exactly MaxPayload bytes.
func bigInvite() *Code {
	c := &Code{Version: 1, Kind: KindInvite, Fingerprint: fpB}
	// 39 bytes of frame; 30 IPv4 candidates of 7 bytes = 210; 6 bytes left:
	// one hostname candidate of 1+1+2+2 = 6.
	for i := range 30 {
		c.Candidates = append(c.Candidates, Candidate{CandidateHost, "10.0.0." + itoa(i+1), uint16(40000 + i)})
	}
	c.Candidates = append(c.Candidates, Candidate{CandidateRelay, "ab", 9})
	return c
}

// bigInvite2 fills a version-2 payload to exactly MaxPayload bytes.
func bigInvite2() *Code {
	c := &Code{Version: 2, Kind: KindInvite, Fingerprint: fpB}
	// 38 bytes of frame; 35 candidates in 10.0.0.0/8 of 1+3+2 = 6 bytes =
	// 210; 7 bytes left: one hostname candidate of 1+1+3+2 = 7.
	for i := range 35 {
		c.Candidates = append(c.Candidates, Candidate{CandidateHost, "10.0.0." + itoa(i+1), uint16(40000 + i)})
	}
	c.Candidates = append(c.Candidates, Candidate{CandidateRelay, "abc", 9})
	return c
}

// bigInvite3 fills a version-3 payload to exactly MaxPayload bytes: 36
// bytes of frame, 35 candidates of 6 bytes, one hostname candidate of
// 1+1+5+2.
func bigInvite3() *Code {
	c := &Code{Kind: KindInvite, Fingerprint: fpB}
	for i := range 35 {
		c.Candidates = append(c.Candidates, Candidate{CandidateHost, "10.0.0." + itoa(i+1), uint16(40000 + i)})
	}
	c.Candidates = append(c.Candidates, Candidate{CandidateRelay, "abcde", 9})
	return c
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// complete returns c as Decode returns it: version set, invite session id
// derived, credentials filled.
func complete(c *Code) *Code {
	d := *c
	if d.Version == 0 {
		d.Version = CurrentVersion
	}
	if d.Kind == KindInvite {
		d.SessionID = SessionIDFor(d.Fingerprint)
	}
	if d.Kind == KindReply && d.Version >= 3 {
		d.SessionID = [4]byte{d.SessionID[0]} // a version-3 reply carries the first byte
	}
	if d.Ufrag == "" && d.Pwd == "" {
		d.Ufrag, d.Pwd = DeriveCredentials(d.Fingerprint)
	}
	if len(d.Candidates) == 0 {
		d.Candidates = nil
	}
	return &d
}

// mustEncode encodes a code known to be valid.
func mustEncode(c *Code) string {
	s, err := Encode(c)
	if err != nil {
		panic(err)
	}
	return s
}

// rawPayload decodes the blocks of a code's text without any checks.
func rawPayload(text string) []byte {
	body := strings.TrimPrefix(text, Prefix)
	var b []byte
	for i := 0; i < len(body); i += 11 {
		end := min(i+11, len(body))
		n := 8
		for k, chars := range blockChars {
			if chars == end-i {
				n = k
			}
		}
		var v uint64
		for j := i; j < end; j++ {
			v = v*58 + uint64(digitValue[body[j]])
		}
		for k := n - 1; k >= 0; k-- {
			b = append(b, byte(v>>(8*uint(k))))
		}
	}
	return b
}

// rewrite decodes the payload of text, lets f change it, then (if fix)
// recomputes the length byte and the checksum, and encodes it again.
func rewrite(text string, fix bool, f func([]byte) []byte) string {
	b := f(rawPayload(text))
	if fix {
		b = b[:len(b)-crcLen]
		b[1] = byte(len(b) + crcLen)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	return Prefix + string(appendBlocks(nil, b))
}

// rewrite3 changes the payload of a version-3 code with f and writes it
// again with its checksum as f left it.
func rewrite3(text string, f func([]byte) []byte) string {
	return Prefix + string(appendBlocks(nil, f(rawPayload(text))))
}

// insertCandidateBytes puts raw candidate bytes just before the checksum.
func insertCandidateBytes(extra ...byte) func([]byte) []byte {
	return func(b []byte) []byte {
		n := len(b) - crcLen
		out := append([]byte{}, b[:n]...)
		out = append(out, extra...)
		return append(out, b[n:]...)
	}
}

var cases = buildCases()

func buildCases() []testCase {
	inv := mustEncode(inviteTypical)
	rep := mustEncode(replyTypical)
	inv2, rep2, bare2 := mustEncode(invite2), mustEncode(reply2), mustEncode(inviteBare2)
	inv3, rep3 := mustEncode(invite3), mustEncode(reply3)
	// other3 is an invite whose session id shares nothing with invite3's.
	other3 := &Code{Kind: KindInvite, Fingerprint: fpA}
	cs := []testCase{
		// Valid codes. The golden texts pin the format: change them only
		// with a new version number.
		{name: "invite typical", enc: true, code: inviteTypical,
			text: "PC3j2R1uGmVdH1pwqUM7a5MU9gzo9uxeCuyexcxUmEChZeDrZ7MQSjhqQZfpCf3BH1iSEiXdpsGpAWv14oLwrpTc7SaxNXBkSRM5kCET"},
		{name: "reply typical", enc: true, code: replyTypical,
			text: "PC3tssqoAxAKBR6DtmbTcNHfFXx2tuT3Sw6e92XzvqTNLEBARfhQPYvJTZE1QyfjVJe52LcTu2cRBr1114YJ526w6r1c2UsPizskA2Lp1kU8LC"},
		{name: "reply browser", enc: true, code: replyBrowser,
			text: "PC3ubfTyot3pxQhoTwbnTAi4fgvd62aHFBiVJ9JzhrNDjddp5tyquqtjMFnmpFhE3dKaAZcWXGFqfr3CQncF2oUwKGEagCcEEDZbBZZzFS6bB4rWGuetjEhEVRi3ycd19w5fMi4B"},
		{name: "invite no candidates", enc: true, code: inviteBare,
			text: "PC3hhV7GiyFmAGNXPA6A5AoERU7EQzgmwCRMPpdbpSxrnX69wk4PE4Fu"},
		{name: "invite mixed", enc: true, code: inviteMixed,
			text: "PC3n8evjhPa6QAHDNhNxxQwPg3NDghCyrksN8T5bHcW37fiJeMCuMLYaL96RJqZ3h3v9HmJRAuPMxAkJ6YyHNnbdkjHRZFq9vc8R3HmGChGZ5qSQ3J6AbdvRXhh111111TzYx74M2TH9NsAMM1111VtAhzi51BAETvHpD16K8adXYaXmGkKJhRKArBjtr3GoTdULZf831Aqy9uxFRsk18raXb"},
		{name: "invite loopback", enc: true, code: inviteLoopback,
			text: "PC3hxsZXqdqLB1pwqUM7a5MU9gzo9uxeCuyexcxUmEChZeDrZ7MNmQ5Xn1Aj81vaXN"},
		{name: "invite max size", enc: true, code: bigInvite()},
		{name: "v2 invite", enc: true, code: invite2},
		{name: "v2 reply", enc: true, code: reply2},
		{name: "v2 reply browser", enc: true, code: replyBrowser2},
		{name: "v2 invite mixed", enc: true, code: inviteMixed2},
		{name: "v2 invite no candidates", enc: true, code: inviteBare2},
		{name: "v2 invite max size", enc: true, code: bigInvite2()},
		{name: "v3 invite", enc: true, code: invite3},
		{name: "v3 reply", enc: true, code: reply3},
		{name: "v3 invite behind a NAT", enc: true, code: invite3NAT},
		{name: "v3 reply browser", enc: true, code: replyBrowser3},
		{name: "v3 invite no candidates", enc: true, code: &Code{Kind: KindInvite, Fingerprint: fpH}},
		{name: "v3 invite max size", enc: true, code: bigInvite3()},
		{name: "v3 invite loopback", enc: true, code: &Code{Kind: KindInvite, Fingerprint: fpA, Candidates: []Candidate{{CandidateHost, "127.0.0.1", 5000}}}},
		{name: "v3 IPv6 forms", enc: true, code: &Code{Kind: KindInvite, Fingerprint: fpA, Candidates: []Candidate{
			{CandidateRelay, "::2:3:4:5", 1},            // zeros, no head
			{CandidateRelay, "fd00::", 1},               // zeros, no tail
			{CandidateRelay, "fd00::", 2},               // the same address again
			{CandidateRelay, "fd00:0:0:1::2", 3},        // the previous address's head
			{CandidateRelay, "2001:db8:1:2:3:4:5:6", 4}, // no run of zeros
			{CandidateRelay, "2001:db8:1:2:3:4:5:7", 5}, // 15 bytes of the previous one
			{CandidateRelay, "2001:db8:1:2:3:4::", 6},   // zeros to the end
			{CandidateRelay, "2001:db8:1:0:3:4:5:6", 7}, // a single zero byte pair
			{CandidateRelay, "2001:db8:1:2:3:4:5:6", 7}, // back again
			{CandidateRelay, "10.255.255.255", 8},       // 10/8
			{CandidateRelay, "192.168.0.0", 9},          // 192.168/16
			{CandidateRelay, "172.16.0.1", 10},          // other private IPv4
		}}},

		// Tolerated wrapping.
		{name: "wrapped quotes", text: "“" + inv + "”", code: inviteTypical},
		{name: "wrapped guillemets", text: "« " + inv + " »", code: inviteTypical},
		{name: "wrapped backticks", text: "```\n" + inv + "\n```", code: inviteTypical},
		{name: "wrapped angle", text: "<peercall:" + inv + ">", code: inviteTypical},
		{name: "scheme url", text: "PeerCall://" + rep + "/", code: replyTypical},
		{name: "sentence end", text: "'" + rep + "'.", code: replyTypical},
		{name: "broken lines", text: rep[:40] + "\r\n" + rep[40:80] + "\n\t" + rep[80:], code: replyTypical},
		{name: "nbsp and zero width", text: "\u00a0" + inv[:30] + "\u200b" + inv[30:60] + "\u00ad\u2060" + inv[60:] + "\ufeff", code: inviteTypical},

		// A code inside other text.
		{name: "chat line", text: "[10:42] Alice: here is the code " + inv + " (edited)", code: inviteTypical},
		{name: "chat line, code first", text: rep + " <- paste this, thanks!", code: replyTypical},
		{name: "quoted in a sentence", text: "She said «" + inv + "» and left.", code: inviteTypical},
		{name: "url", text: "https://example.org/" + inv, code: inviteTypical},
		{name: "words with PC", text: "My PCs: " + inv + ", from my PC", code: inviteTypical},
		{name: "code wrapped in a chat line", text: "Bob, 10:43\n" + rep[:50] + "\n" + rep[50:] + "\nsent from my phone", code: replyTypical},
		{name: "same code twice", text: "code: " + inv + "\n> code: " + inv, code: inviteTypical},
		{name: "two codes in a chat", text: "invite " + inv + " and reply " + rep, err: ErrSeveralCodes},
		{name: "cut short in a chat line", text: "[10:42] Alice: here is the code " + inv[:60] + "…", err: ErrTruncated},
		{name: "damaged in a chat line", text: "Alice: " + inv[:60] + flip(inv[60]) + inv[61:] + " ok?", err: ErrDamaged},
		{name: "prose about PCs", text: "my PCs are fast, aren't they", err: ErrNotCode},

		// Errors, in the order of the checks.
		{name: "empty", text: "", err: ErrEmpty},
		{name: "only blanks", text: " \t\r\n\u00a0\u200b", err: ErrEmpty},
		{name: "only quotes", text: "“ ” ``", err: ErrEmpty},
		{name: "no prefix", text: "hello there", err: ErrNotCode},
		{name: "lower-case prefix", text: "pc" + inv[2:], err: ErrNotCode},
		{name: "too long", text: Prefix + strings.Repeat("2", 2100), err: ErrNotCode},
		{name: "far too long", text: strings.Repeat(" ", 9000), err: ErrNotCode},
		{name: "bad character", text: inv[:50] + "0" + inv[51:], err: ErrDamaged},
		{name: "non-ascii character", text: inv[:50] + "é" + inv[51:], err: ErrDamaged},
		{name: "prefix only", text: "PC", err: ErrTruncated},
		{name: "shorter than a block", text: inv[:12], err: ErrTruncated},
		{name: "newer version", text: rewrite(inv, true, func(b []byte) []byte { b[0] = 4<<4 | b[0]&15; return b }), err: ErrNewerVersion},
		{name: "newer version, cut short", text: rewrite(inv, true, func(b []byte) []byte { b[0] = 15 << 4; return b })[:30], err: ErrNewerVersion},
		{name: "newer version, other layout", text: rewrite(inv, false, func(b []byte) []byte { b[0] = 4<<4 | 9; b[1] = 200; return b }), err: ErrNewerVersion},
		{name: "cut at block boundary", text: inv[:2+44], err: ErrTruncated},
		{name: "cut inside block", text: inv[:len(inv)-1], err: ErrTruncated},
		{name: "cut one block", text: inv[:len(inv)-3], err: ErrTruncated},
		{name: "extra characters", text: inv + "2222", err: ErrDamaged},
		{name: "two codes", text: inv + rep, err: ErrDamaged},
		{name: "first block overflow", text: "PCzzzzzzzzzzz" + inv[13:], err: ErrDamaged},
		{name: "version zero", text: rewrite(inv, true, func(b []byte) []byte { b[0] &= 15; return b }), err: ErrDamaged},
		{name: "length too small", text: rewrite(inv, false, func(b []byte) []byte { b[1] = 20; return b }), err: ErrDamaged},
		{name: "flipped character", text: inv[:60] + flip(inv[60]) + inv[61:], err: ErrDamaged},
		{name: "flipped last character", text: inv[:len(inv)-1] + flip(inv[len(inv)-1]), err: ErrDamaged},
		{name: "checksum", text: rewrite(inv, false, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), err: ErrDamaged},
		{name: "unknown kind", text: rewrite(inv, true, func(b []byte) []byte { b[0] = 1<<4 | 2; return b }), err: ErrInvalid},
		{name: "reserved flag", text: rewrite(inv, true, func(b []byte) []byte { b[2] |= 0x80; return b }), err: ErrInvalid},
		{name: "invite with setup", text: rewrite(inv, true, func(b []byte) []byte { b[2] |= flagSetupPassive; return b }), err: ErrInvalid},
		{name: "reply too short", text: rewrite(inv, true, func(b []byte) []byte { b[0] = 1<<4 | 1; return append(b[:36], b[len(b)-4:]...) }), err: ErrInvalid},
		{name: "candidate reserved bits", text: rewrite(inv, true, insertCandidateBytes(0x20, 1, 2, 3, 4, 0, 9)), err: ErrInvalid},
		{name: "candidate cut off", text: rewrite(inv, true, insertCandidateBytes(0x04, 1, 2, 3)), err: ErrInvalid},
		{name: "candidate port zero", text: rewrite(inv, true, insertCandidateBytes(0x00, 1, 2, 3, 4, 0, 0)), err: ErrInvalid},
		{name: "candidate bad hostname", text: rewrite(inv, true, insertCandidateBytes(0x0c, 3, 'a', ' ', 'b', 0, 9)), err: ErrInvalid},
		{name: "candidate empty hostname", text: rewrite(inv, true, insertCandidateBytes(0x0c, 0, 0, 9)), err: ErrInvalid},
		{name: "first candidate same port", text: rewrite(mustEncode(inviteBare), true, insertCandidateBytes(0x10, 1, 2, 3, 4)), err: ErrInvalid},
		{name: "credentials flag without credentials", text: rewrite(mustEncode(inviteBare), true, func(b []byte) []byte { b[2] |= flagCredentials; return b }), err: ErrInvalid},
		{name: "short ufrag", text: rewrite(mustEncode(inviteBare), true, func(b []byte) []byte {
			b[2] |= flagCredentials
			return insertCandidateBytes(append([]byte{3, 'a', 'b', 'c', 22}, strings.Repeat("p", 22)...)...)(b)
		}), err: ErrInvalid},

		// Version 2: read in chat lines and checked like version 1.
		{name: "v2 chat line", text: "[10:42] Alice: here is the code " + inv2 + " (edited)", code: invite2},
		{name: "v2 broken lines", text: rep2[:30] + "\n" + rep2[30:], code: reply2},
		{name: "v2 and v1 codes in a chat", text: "old " + inv + " new " + inv2, err: ErrSeveralCodes},
		{name: "v2 cut short in a chat line", text: "Alice: " + inv2[:40] + "…", err: ErrTruncated},
		{name: "v2 damaged", text: inv2[:40] + flip(inv2[40]) + inv2[41:], err: ErrDamaged},
		{name: "v2 length too small", text: rewrite(inv2, false, func(b []byte) []byte { b[1] = minPayloadV2 - 1; return b }), err: ErrDamaged},
		{name: "v2 reserved bit", text: rewrite(inv2, true, func(b []byte) []byte { b[0] |= 0x08; return b }), err: ErrInvalid},
		{name: "v2 invite with setup", text: rewrite(inv2, true, func(b []byte) []byte { b[0] |= v2SetupPassive; return b }), err: ErrInvalid},
		{name: "v2 reply too short", text: rewrite(bare2, true, func(b []byte) []byte { b[0] |= v2Reply; return append(b[:35], b[len(b)-4:]...) }), err: ErrInvalid},
		{name: "v2 credentials flag without credentials", text: rewrite(bare2, true, func(b []byte) []byte { b[0] |= v2Credentials; return b }), err: ErrInvalid},
		{name: "v2 candidate reserved bits", text: rewrite(bare2, true, insertCandidateBytes(0x40, 1, 2, 3, 4, 0, 9)), err: ErrInvalid},
		{name: "v2 IPv4 cut off", text: rewrite(bare2, true, insertCandidateBytes(formIPv4A<<v2FormShift, 1, 2)), err: ErrInvalid},
		{name: "v2 port cut off", text: rewrite(bare2, true, insertCandidateBytes(formIPv4C<<v2FormShift, 1, 2, 3)), err: ErrInvalid},
		{name: "v2 port zero", text: rewrite(bare2, true, insertCandidateBytes(formIPv4C<<v2FormShift, 1, 2, 0, 0)), err: ErrInvalid},
		{name: "v2 first candidate same port", text: rewrite(bare2, true, insertCandidateBytes(v2SamePort, 1, 2, 3, 4)), err: ErrInvalid},
		{name: "v2 IPv6 cut off", text: rewrite(bare2, true, insertCandidateBytes(formIPv6<<v2FormShift, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)), err: ErrInvalid},
		{name: "v2 IPv6 without zeros", text: rewrite(bare2, true, insertCandidateBytes(append([]byte{formIPv6Zeros << v2FormShift, 0x78}, make([]byte, 15+2)...)...)), err: ErrInvalid},
		{name: "v2 IPv6 shape cut off", text: rewrite(bare2, true, insertCandidateBytes(formIPv6Zeros<<v2FormShift)), err: ErrInvalid},
		{name: "v2 IPv6 head cut off", text: rewrite(bare2, true, insertCandidateBytes(formIPv6Zeros<<v2FormShift, 0x40, 0x20, 0x01)), err: ErrInvalid},
		{name: "v2 IPv6 shared without a previous one", text: rewrite(bare2, true, insertCandidateBytes(formIPv6Ref<<v2FormShift, 0x81, 1, 0, 9)), err: ErrInvalid},
		{name: "v2 IPv6 shares nothing", text: rewrite(bare2, true, insertCandidateBytes(formIPv6Zeros<<v2FormShift, 0x01, 1, 0, 9, formIPv6Ref<<v2FormShift|v2SamePort, 0x01, 2)), err: ErrInvalid},
		{name: "v2 IPv6 shares too much", text: rewrite(bare2, true, insertCandidateBytes(formIPv6Zeros<<v2FormShift, 0x01, 1, 0, 9, formIPv6Ref<<v2FormShift|v2SamePort, 0xf2, 2, 3)), err: ErrInvalid},
		{name: "v2 IPv6 tail cut off", text: rewrite(bare2, true, insertCandidateBytes(formIPv6Zeros<<v2FormShift, 0x01, 1, 0, 9, formIPv6Ref<<v2FormShift, 0x83, 2)), err: ErrInvalid},
		{name: "v2 mDNS cut off", text: rewrite(bare2, true, insertCandidateBytes(formMDNS<<v2FormShift, 1, 2, 3)), err: ErrInvalid},
		{name: "v2 bad hostname", text: rewrite(bare2, true, insertCandidateBytes(formHostname<<v2FormShift, 3, 'a', ' ', 'b', 0, 9)), err: ErrInvalid},
		{name: "v2 parse reply ok", text: rep2, want: KindReply, ours: invite2, code: reply2},
		{name: "v2 reply to another invite", text: rep2, want: KindReply, ours: inviteMixed2, err: ErrOtherInvite},
		{name: "v2 own invite pasted back", text: inv2, want: KindReply, ours: invite2, err: ErrOwnCode},
		{name: "v2 reply to a v1 invite", text: mustEncode(&Code{Version: 2, Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpB}), want: KindReply, ours: inviteTypical,
			code: &Code{Version: 2, Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpB}},

		// Version 3: read like version 2; a reply is told from a reply to
		// another invite by the first byte of the session id.
		{name: "v3 chat line", text: "[10:42] Alice: here is the code " + inv3 + " (edited)", code: invite3},
		{name: "v3 broken lines", text: rep3[:30] + "\n" + rep3[30:], code: reply3},
		{name: "v3 and v2 codes in a chat", text: "old " + inv2 + " new " + inv3, err: ErrSeveralCodes},
		{name: "v3 cut short", text: inv3[:len(inv3)-1], err: ErrTruncated},
		{name: "v3 cut short in a chat line", text: "Alice: " + inv3[:40] + "…", err: ErrTruncated},
		{name: "v3 damaged", text: inv3[:40] + flip(inv3[40]) + inv3[41:], err: ErrDamaged},
		{name: "v3 checksum", text: rewrite3(inv3, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), err: ErrDamaged},
		{name: "v3 length too small", text: rewrite3(inv3, func(b []byte) []byte { b[1] = minPayloadV3 - 1; return b }), err: ErrDamaged},
		{name: "v3 parse reply ok", text: rep3, want: KindReply, ours: invite3, code: reply3},
		{name: "v3 reply to another invite", text: rep3, want: KindReply, ours: other3, err: ErrOtherInvite},
		{name: "v3 own invite pasted back", text: inv3, want: KindReply, ours: invite3, err: ErrOwnCode},
		{name: "v3 reply to a v2 invite", text: mustEncode(&Code{Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpB}), want: KindReply, ours: invite2,
			code: &Code{Kind: KindReply, SessionID: SessionIDFor(fpA), Fingerprint: fpB}},

		// Parse: kind, own code, other invite.
		{name: "parse reply ok", text: rep, want: KindReply, ours: inviteTypical, code: replyTypical},
		{name: "parse invite ok", text: inv, want: KindInvite, code: inviteTypical},
		{name: "parse any kind", text: rep, want: KindUnknown, code: replyTypical},
		{name: "invite where reply expected", text: mustEncode(inviteMixed), want: KindReply, ours: inviteTypical, err: ErrUnexpectedInvite},
		{name: "reply where invite expected", text: rep, want: KindInvite, err: ErrUnexpectedReply},
		{name: "reply to another invite", text: rep, want: KindReply, ours: inviteMixed, err: ErrOtherInvite},
		{name: "own invite pasted back", text: inv, want: KindReply, ours: inviteTypical, err: ErrOwnCode},
		{name: "own reply pasted back", text: rep, want: KindInvite, ours: replyTypical, err: ErrOwnCode},
	}
	return cs
}

// flip returns a different base58 character.
func flip(c byte) string {
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[(i+17)%len(alphabet)])
}

// encodeCases returns the rows marked enc.
func encodeCases() []testCase {
	var out []testCase
	for _, tc := range cases {
		if tc.enc {
			out = append(out, tc)
		}
	}
	return out
}
