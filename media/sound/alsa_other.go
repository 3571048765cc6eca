//go:build !linux

package sound

// quietALSA does nothing where there is no ALSA.
func quietALSA() {}
