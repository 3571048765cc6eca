package aec3

import (
	"errors"
	"testing"
)

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{SampleRate: 44100},
		{SampleRate: 8000},
		{FrameSamples: 960},
		{SampleRate: 16000, FrameSamples: 480},
		{DelayMs: -1},
		{DelayMs: 501},
	} {
		if c, err := New(cfg); !errors.Is(err, ErrConfig) {
			if c != nil {
				c.Close()
			}
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}
