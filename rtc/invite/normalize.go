package invite

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxRawInput bounds the bytes of pasted text that Decode looks at at all;
// maxInput bounds the characters left after normalization. The longest
// possible code has 353 characters.
const (
	maxRawInput = 8000
	maxInput    = 2000
)

// invisible reports whether r is dropped from pasted text wherever it is:
// Unicode white space (space, tab, line breaks, no-break spaces, ...) and
// invisible formatting characters that chat apps insert.
func invisible(r rune) bool {
	switch r {
	case '\u200b', // zero width space
		'\u200c', // zero width non-joiner
		'\u200d', // zero width joiner
		'\u2060', // word joiner
		'\ufeff', // zero width no-break space / byte order mark
		'\u00ad', // soft hyphen
		'\u180e': // Mongolian vowel separator
		return true
	}
	return unicode.IsSpace(r)
}

// wrapper reports whether r is trimmed from both ends of pasted text: quotes,
// backticks, guillemets, angle brackets and brackets.
func wrapper(r rune) bool {
	return strings.ContainsRune("\"'`“”„‟‘’‚‛«»‹›「」<>()[]{}", r)
}

// trailing reports whether r is trimmed from the end of pasted text:
// sentence punctuation, an ellipsis that a chat app adds, and the slash of
// a URL.
func trailing(r rune) bool {
	return strings.ContainsRune(".,;:!?…/", r)
}

// normalize applies the tolerant-input rules documented in docs/CODES.md.
func normalize(s string) string {
	if strings.IndexFunc(s, invisible) >= 0 {
		s = strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, s)
	}
	for {
		before := s
		s = strings.TrimFunc(s, wrapper)
		s = strings.TrimRightFunc(s, trailing)
		s = trimScheme(s)
		if s == before {
			return s
		}
	}
}

// trimScheme removes a leading "peercall://" or "peercall:" in any case.
func trimScheme(s string) string {
	const scheme = "peercall:"
	if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
		s = s[len(scheme):]
		s = strings.TrimPrefix(s, "//")
	}
	return s
}

// firstBadChar returns the 1-based character position and the rune of the
// first character of s that is not a base58 digit, or 0.
func firstBadChar(s string) (pos int, r rune) {
	for _, c := range s {
		pos++
		if c >= utf8.RuneSelf || digitValue[byte(c)] < 0 {
			return pos, c
		}
	}
	return 0, 0
}
