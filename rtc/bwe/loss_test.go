package bwe

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// lossLoop runs the loss controller alone in a closed loop for the given
// time: every 50 ms a feedback reports the packets (1000 bytes each) sent
// over the last 50 ms at the rate the bound allows — capped by what the
// content needs and a delay-based estimate of 3 Mbit/s — each lost with
// probability lossAt(rate). It returns the controller and the rate sent
// in each second.
func lossLoop(seconds int, seed uint64, needBps float64, lossAt func(rateBps float64) float64) (*lossControl, []float64) {
	const delayBased = 3_000_000
	rng := rand.New(rand.NewPCG(seed, 11))
	now := time.Unix(1_000_000, 0)
	l := newLossControl(now)
	var perSecond []float64
	second := 0.0
	carry := 0.0
	for step := 1; step <= seconds*20; step++ {
		now = now.Add(50 * time.Millisecond)
		rate := min(delayBased, l.bound, needBps)
		carry += rate * 0.05 / 8000 // packets of 1000 bytes
		n := int(carry)
		carry -= float64(n)
		p := lossAt(rate)
		rs := make([]result, n)
		for i := range rs {
			rs[i] = result{size: 1000, lost: rng.Float64() < p}
		}
		l.add(rs, now)
		l.update(delayBased, 0, 80*time.Millisecond, now)
		second += rate * 0.05
		if step%20 == 0 {
			perSecond = append(perSecond, second)
			second = 0
		}
	}
	return &l, perSecond
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Random loss up to 10 % never cuts: 5 % over ten minutes, at 120 and
// at 300 packets a second.
func TestLossRandomFivePercentNeverCuts(t *testing.T) {
	for _, need := range []float64{960_000, 2_400_000} {
		for seed := uint64(1); seed <= 5; seed++ {
			l, _ := lossLoop(600, seed, need, func(float64) float64 { return 0.05 })
			if l.cuts > 0 {
				t.Errorf("%.0f kbit/s, seed %d: %d cuts on 5 %% random loss", need/1000, seed, l.cuts)
			}
			if l.random < 0.04 || l.random > 0.06 {
				t.Errorf("%.0f kbit/s, seed %d: random loss learnt as %.3f, want 0.05", need/1000, seed, l.random)
			}
		}
	}
}

// Random loss above 10 % cuts the rate at first, but the loss does not
// go when the rate does: it is learnt as the link's, the cuts are undone
// and do not come back.
func TestLossRandomHighIsLearnt(t *testing.T) {
	for _, p := range []float64{0.12, 0.2, 0.3} {
		for seed := uint64(1); seed <= 5; seed++ {
			l, rates := lossLoop(120, seed, 2_400_000, func(float64) float64 { return p })
			if l.undone == 0 || math.Abs(l.random-p) > 0.03 {
				t.Errorf("%.0f %% loss, seed %d: %d verdicts of random loss, learnt %.3f", p*100, seed, l.undone, l.random)
			}
			if last := mean(rates[60:]); last < 2_350_000 {
				t.Errorf("%.0f %% loss, seed %d: sent %.0f kbit/s over the last minute, want the full 2400 (cuts %d, undone %d, congestion %d)",
					p*100, seed, last/1000, l.cuts, l.undone, l.congestions)
			}
		}
	}
}

// A policer (a rate limit that drops what exceeds it, with no queue to
// show in the delay) loses more the faster one sends: the loss goes when
// the rate goes, so the cuts stand, the rate stays near the limit, and
// the policer's loss is never learnt as the link's.
func TestLossPolicerIsCongestion(t *testing.T) {
	const limit = 1_000_000
	for _, random := range []float64{0, 0.03} {
		for seed := uint64(1); seed <= 5; seed++ {
			l, rates := lossLoop(120, seed, 2_400_000, func(rate float64) float64 {
				return random + (1-random)*max(0, 1-limit/rate)
			})
			last := mean(rates[60:])
			t.Logf("random %.0f %%, seed %d: %.0f kbit/s over the last minute; cuts %d, undone %d, congestion %d, random learnt %.3f",
				random*100, seed, last/1000, l.cuts, l.undone, l.congestions, l.random)
			if l.undone > 0 || l.random > random+0.03 {
				t.Errorf("random %.0f %%, seed %d: cuts undone %d times, random loss learnt %.3f", random*100, seed, l.undone, l.random)
			}
			if last < 0.6*limit || last > 1.15*limit {
				t.Errorf("random %.0f %%, seed %d: sent %.0f kbit/s over the last minute into a %d kbit/s policer", random*100, seed, last/1000, limit/1000)
			}
		}
	}
}
