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
// FuzzDecode: it takes payload bytes, sets a valid version (1 or 2),
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
			f.Add(b[:len(b)-crcLen])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < minPayload-crcLen || len(b) > MaxPayload-crcLen {
			return
		}
		b = append([]byte{}, b...)
		// Version 1 when the high nibble is odd (the seeds of version 1
		// start 0x1_), else version 2.
		b[0] = byte(2-b[0]>>4&1)<<4 | b[0]&15
		b[1] = byte(len(b) + crcLen)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
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
