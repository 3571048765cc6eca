package rtc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// SafetyCode derives the words both sides show so people can compare them
// by voice: twelve digits from both DTLS certificate fingerprints, the same
// on both sides whatever their order. Someone in the middle would hold other
// certificates, so the two screens would show different codes; twelve
// digits (40 bits) leave no time to search for a certificate that matches
// while a call is being set up.
func SafetyCode(a, b [32]byte) string {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	h := sha256.New()
	h.Write([]byte("peercall safety code"))
	h.Write(a[:])
	h.Write(b[:])
	sum := h.Sum(nil)
	n := binary.BigEndian.Uint64(sum[:8]) % 1_000_000_000_000
	return fmt.Sprintf("%03d %03d %03d %03d", n/1_000_000_000, n/1_000_000%1000, n/1000%1000, n%1000)
}

// SafetyCode returns the call's safety code, or "" before both codes are in.
func (s *Session) SafetyCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peerFP == nil {
		return ""
	}
	return SafetyCode(s.fp, *s.peerFP)
}
