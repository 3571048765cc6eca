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

// findCode looks for codes inside text (docs/CODES.md, section 6): every
// "PC" that starts a word, followed by base58 characters, which may be
// split by white space or invisible characters, up to the length its
// first block announces, and not run on into further letters or digits.
// It returns the one valid code found, ErrSeveralCodes when different
// valid codes are found, or, when none is valid, the error of the first
// that was tried (nil when there was none).
func findCode(text string) (*Code, error) {
	var (
		found    *Code
		foundAt  string
		firstErr error
	)
	prev := ' '
	for i, r := range text {
		word := !unicode.IsLetter(prev) && !unicode.IsDigit(prev)
		prev = r
		if !word || !strings.HasPrefix(text[i:], Prefix) {
			continue
		}
		s, header, ok := codeAt(text[i+len(Prefix):])
		if !ok {
			continue
		}
		c, err := decodeWhole(Prefix + s)
		switch {
		case err != nil:
			// Only what starts like a code counts: "PCs" in a sentence
			// is a word.
			if firstErr == nil && header {
				firstErr = err
			}
		case found == nil:
			found, foundAt = c, s
		case s != foundAt:
			return nil, ErrSeveralCodes
		}
	}
	if found != nil {
		return found, nil
	}
	return nil, firstErr
}

// codeAt collects the base58 characters of a code's body from the start
// of rest, skipping white space and invisible characters, up to the
// length the first block announces (all of them when it does not decode).
// header reports whether the first block reads as a code's header (a
// format this package knows and a plausible length); ok is false when the
// body runs on into a letter or digit.
func codeAt(rest string) (body string, header, ok bool) {
	var b strings.Builder
	want := -1
	for _, r := range rest {
		if want >= 0 && b.Len() == want {
			return b.String(), true, !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}
		if invisible(r) {
			continue
		}
		if r >= utf8.RuneSelf || digitValue[byte(r)] < 0 {
			break
		}
		b.WriteRune(r)
		if b.Len() == 11 && want < 0 {
			if p, ok := decodeBlock(nil, b.String(), 8); ok && p[0]>>4 >= 1 && int(p[0]>>4) <= CurrentVersion && int(p[1]) >= minPayloadFor(int(p[0]>>4)) {
				want = textLen(int(p[1]))
			}
		}
		if b.Len() > MaxCodeLength {
			break
		}
	}
	return b.String(), want >= 0, true
}
