//go:build !windows

package dshow

// friendlyNames knows none: only Windows has DirectShow.
func friendlyNames() map[string]string { return nil }
