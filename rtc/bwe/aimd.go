package bwe

import (
	"math"
	"time"
)

const (
	// On an over-use the estimate drops to decreaseFactor of the rate
	// the receiver acknowledged: what the path carried while its queue
	// grew.
	decreaseFactor = 0.85
	// Far from the rate of the last over-use the estimate grows by
	// increasePerSecond a second; near it, by about a packet per round
	// trip (additiveMinBps a second at least).
	increasePerSecond = 1.08
	additiveMinBps    = 4000
	additivePacket    = 1200 * 8 // bits
	// capacityAlpha weighs each new over-use's acknowledged rate in the
	// capacity estimate; its deviation is kept within capacityDevMin..Max
	// (normalised by the estimate, kbit/s).
	capacityAlpha  = 0.05
	capacityDevMin = 0.4
	capacityDevMax = 2.5
)

type rateState int

const (
	rateIncrease rateState = iota
	rateHold
	rateDecrease
)

func (s rateState) String() string {
	switch s {
	case rateHold:
		return "hold"
	case rateDecrease:
		return "decrease"
	}
	return "increase"
}

// rateControl is the delay-based estimate: additive-increase,
// multiplicative-decrease driven by the delay detector, as GCC's.
type rateControl struct {
	estimate        float64 // bit/s
	minBps, maxBps  float64
	state           rateState
	last            time.Time // last update
	lastDecrease    time.Time
	haveCap         bool
	capKbps, capDev float64 // acknowledged rate at over-uses, and its spread
	decreases       int
}

func newRateControl(initial, minBps, maxBps float64) rateControl {
	return rateControl{estimate: initial, minBps: minBps, maxBps: maxBps, capDev: capacityDevMin}
}

// capUpper is the top of the capacity estimate's likely range, bit/s.
func (c *rateControl) capUpper() float64 {
	return (c.capKbps + 3*math.Sqrt(c.capDev*c.capKbps)) * 1000
}

func (c *rateControl) learnCapacity(ackedBps float64) {
	kbps := ackedBps / 1000
	if !c.haveCap {
		c.capKbps, c.haveCap = kbps, true
	} else {
		c.capKbps = (1-capacityAlpha)*c.capKbps + capacityAlpha*kbps
	}
	e := c.capKbps - kbps
	c.capDev = (1-capacityAlpha)*c.capDev + capacityAlpha*e*e/max(c.capKbps, 1)
	c.capDev = min(max(c.capDev, capacityDevMin), capacityDevMax)
}

// update moves the estimate on one feedback: signal is the detector's
// state, overuse whether it declared an over-use while reading the
// feedback, acked the acknowledged rate (ackedOK false while unknown).
func (c *rateControl) update(signal usage, overuse bool, acked float64, ackedOK bool, rtt time.Duration, now time.Time) {
	if c.last.IsZero() {
		c.last = now
	}
	if overuse {
		signal = usageOver
	}
	switch signal {
	case usageOver:
		c.state = rateDecrease
	case usageUnder:
		c.state = rateHold
	default:
		if c.state == rateHold {
			c.state = rateIncrease
		}
	}
	if ackedOK && c.haveCap && acked > c.capUpper() {
		// The path carries more than it did at the last over-uses: what
		// was learnt of its capacity no longer holds.
		c.haveCap = false
	}
	dt := min(now.Sub(c.last), time.Second)
	switch c.state {
	case rateIncrease:
		if c.haveCap && c.estimate <= c.capUpper() {
			c.estimate += c.additiveRate(rtt) * dt.Seconds()
		} else {
			c.estimate *= math.Pow(increasePerSecond, dt.Seconds())
		}
	case rateDecrease:
		interval := min(max(rtt, 10*time.Millisecond), 200*time.Millisecond)
		if c.lastDecrease.IsZero() || now.Sub(c.lastDecrease) >= interval {
			base := c.estimate
			if ackedOK && acked > 0 {
				base = acked
				c.learnCapacity(acked)
			}
			c.estimate = min(c.estimate, decreaseFactor*base)
			c.lastDecrease = now
			c.decreases++
		}
		c.state = rateHold
	}
	c.estimate = min(max(c.estimate, c.minBps), c.maxBps)
	c.last = now
}

// additiveRate is the additive increase, bit/s a second: one packet of
// the size the estimate makes, each round trip and 100 ms.
func (c *rateControl) additiveRate(rtt time.Duration) float64 {
	response := (rtt + 100*time.Millisecond).Seconds()
	perFrame := c.estimate / 30
	packets := math.Ceil(perFrame / additivePacket)
	return max(perFrame/packets/response, additiveMinBps)
}
