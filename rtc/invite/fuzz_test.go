package invite

import (
	"encoding/binary"
	"hash/crc32"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary text to Decode and Parse. Neither may panic;
// whatever decodes must encode again, and that text must decode to an equal
// code and be stable under a further round trip.
func FuzzDecode(f *testing.F) {
	for _, tc := range cases {
		text := tc.text
		if text == "" && tc.code != nil {
			text = mustEncode(tc.code)
		}
		f.Add(text)
	}
	f.Fuzz(checkDecode)
}

// FuzzPayload reaches the structure parsers more often than
// FuzzDecode: it takes payload bytes, sets a valid version (1, 2 or 3),
// length and checksum, and checks the text of that payload like
// FuzzDecode.
func FuzzPayload(f *testing.F) {
	for _, tc := range cases {
		text := tc.text
		if text == "" && tc.code != nil {
			text = mustEncode(tc.code)
		}
		if c, err := Decode(text); err == nil {
			b := rawPayload(mustEncode(c))
			f.Add(b[:len(b)-checksumLen(c.Version)])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < minPayloadV3-crcLenV3 || len(b) > MaxPayload-crcLen {
			return
		}
		b = append([]byte{}, b...)
		// The version from the high nibble: 1, 2 or 3 (the seeds of
		// each version keep theirs).
		v := 1 + (int(b[0]>>4)+2)%3
		b[0] = byte(v)<<4 | b[0]&15
		k := checksumLen(v)
		b[1] = byte(len(b) + k)
		sum := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b))
		b = append(b, sum[:k]...)
		checkDecode(t, Prefix+string(appendBlocks(nil, b)))
	})
}

// checkDecode asserts the fuzz properties for one input.
func checkDecode(t *testing.T, text string) {
	_, _ = Parse(text, KindReply, inviteTypical)
	c, err := Decode(text)
	if err != nil {
		if c != nil {
			t.Fatalf("Decode returned a code and an error")
		}
		return
	}
	s, err := Encode(c)
	if err != nil {
		t.Fatalf("decoded code does not encode: %v\n%+v", err, *c)
	}
	c2, err := Decode(s)
	if err != nil {
		t.Fatalf("re-encoded code does not decode: %v\n%s", err, s)
	}
	if !reflect.DeepEqual(c, c2) {
		t.Fatalf("round trip changed the code:\n%+v\n%+v", *c, *c2)
	}
	if s2 := mustEncode(c2); s2 != s {
		t.Fatalf("encoding not stable:\n%s\n%s", s, s2)
	}
	_ = c.Description()
}
