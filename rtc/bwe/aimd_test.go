package bwe

import (
	"math"
	"testing"
	"time"
)

// The delay-based estimate: it grows by 8 % a second while the delay is
// steady, drops to 0.85 of the acknowledged rate on an over-use (once per
// round trip, however many over-uses), and near the rate of past
// over-uses grows by about a packet per round trip instead.
func TestRateControl(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newRateControl(800_000, 60_000, 6_000_000)
	step := func(u usage, overuse bool, acked float64) {
		now = now.Add(50 * time.Millisecond)
		c.update(u, overuse, acked, acked > 0, 80*time.Millisecond, now)
	}
	for range 21 { // the first update starts the clock; then a second
		step(usageNormal, false, 0)
	}
	if want := 800_000 * 1.08; math.Abs(c.estimate-want) > 2000 {
		t.Errorf("after a steady second %.0f, want %.0f", c.estimate, want)
	}
	step(usageOver, true, 600_000)
	if want := 0.85 * 600_000; c.estimate != want {
		t.Errorf("after an over-use at 600 kbit/s acknowledged: %.0f, want %.0f", c.estimate, want)
	}
	step(usageOver, true, 500_000) // 50 ms later: the same queue
	if c.estimate != 0.85*600_000 || c.decreases != 1 {
		t.Errorf("a second over-use within a round trip cut again: %.0f, %d decreases", c.estimate, c.decreases)
	}
	// Near the capacity learnt (510 kbit/s against 600 acknowledged):
	// additive, a packet per round trip and 100 ms.
	step(usageNormal, false, 500_000) // hold → increase
	before := c.estimate
	for range 20 {
		step(usageNormal, false, 500_000)
	}
	if grown := c.estimate - before; grown < 20_000 || grown > 80_000 {
		t.Errorf("grew %.0f bit/s in a second near the capacity, want about a packet per 180 ms", grown)
	}
	// The path carrying much more than at the over-use: the capacity
	// learnt goes, and growth is multiplicative again.
	for range 20 {
		step(usageNormal, false, 1_200_000)
	}
	if c.haveCap {
		t.Error("the capacity learnt stayed while the path carried twice as much")
	}
}
