//go:build !aec3 || !cgo

package aec3

import (
	"errors"
	"testing"
)

func TestNotBuilt(t *testing.T) {
	c, err := New(Config{})
	if c != nil || !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("New = %v, %v; want nil, ErrNotBuilt", c, err)
	}
}
