package invite

import "math/bits"

// alphabet is the Bitcoin base58 alphabet: digits and letters without
// 0, O, I and l. The digit value of a character is its index here.
const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// blockChars[n] is the number of characters that encode a block of n bytes:
// the smallest k with 58^k >= 256^n.
var blockChars = [9]int{0, 2, 3, 5, 6, 7, 9, 10, 11}

// digitValue maps a byte to its base58 digit value, or -1.
var digitValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// textLen is the number of characters that encode n payload bytes.
func textLen(n int) int {
	return n/8*11 + blockChars[n%8]
}

// appendBlocks appends the block-wise base58 encoding of src to dst. Each
// 8-byte block, read as a big-endian unsigned integer, becomes exactly 11
// digits, most significant first; a final block of n < 8 bytes becomes
// blockChars[n] digits.
func appendBlocks(dst, src []byte) []byte {
	for len(src) > 0 {
		n := min(len(src), 8)
		var v uint64
		for _, b := range src[:n] {
			v = v<<8 | uint64(b)
		}
		k := blockChars[n]
		start := len(dst)
		for range k {
			dst = append(dst, 0)
		}
		for i := start + k - 1; i >= start; i-- {
			dst[i] = alphabet[v%58]
			v /= 58
		}
		src = src[n:]
	}
	return dst
}

// decodeBlock decodes one block of characters (its length must be one of
// blockChars) into n bytes appended to dst. ok is false when the value does
// not fit in n bytes or a character is not a base58 digit.
func decodeBlock(dst []byte, s string, n int) (_ []byte, ok bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := digitValue[s[i]]
		if d < 0 {
			return dst, false
		}
		hi, lo := bits.Mul64(v, 58)
		lo, carry := bits.Add64(lo, uint64(d), 0)
		if hi != 0 || carry != 0 {
			return dst, false
		}
		v = lo
	}
	if n < 8 && v>>(8*uint(n)) != 0 {
		return dst, false
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst, true
}
