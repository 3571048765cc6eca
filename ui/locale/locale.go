// Package locale makes a C or POSIX locale (LANG=C, LANG=C.UTF-8: common
// on servers, in scripts and in containers) read as English to the window
// toolkit, which otherwise logs "Error parsing user locale C" on every
// start. It works in its init, which runs before the toolkit reads the
// locale in its own: a package is initialised before the packages that
// import it, and among packages ready at the same time, in the order of
// their import paths — this package needs nothing but os, and its path
// sorts before text/template, which the toolkit's language package needs.
// The window package imports it for its side effect alone.
package locale

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") == "" && isPlainC(current()) {
		// Read only by message-catalogue lookups, which have nothing
		// but English here anyway.
		os.Setenv("LANGUAGE", "en")
	}
}

// current is the locale messages are shown in, as the C library decides
// it: the first of LC_ALL, LC_MESSAGES and LANG that is set.
func current() string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// isPlainC reports whether loc is the C or POSIX locale, with or without a
// character set (C.UTF-8, C.utf8, POSIX).
func isPlainC(loc string) bool {
	lang, _, _ := strings.Cut(loc, ".")
	return lang == "C" || lang == "POSIX"
}
