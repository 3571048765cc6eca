package rtc

import (
	"regexp"
	"testing"
)

func TestSafetyCodeIsSymmetricAndSpreads(t *testing.T) {
	var a, b, c [32]byte
	a[0], b[0], c[0] = 1, 2, 3
	if SafetyCode(a, b) != SafetyCode(b, a) {
		t.Error("the two sides would see different codes")
	}
	if SafetyCode(a, b) == SafetyCode(a, c) {
		t.Error("another certificate gives the same code")
	}
	if !regexp.MustCompile(`^\d{3} \d{3} \d{3} \d{3}$`).MatchString(SafetyCode(a, b)) {
		t.Errorf("code %q is not four groups of three digits", SafetyCode(a, b))
	}
}
