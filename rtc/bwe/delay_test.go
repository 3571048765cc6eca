package bwe

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// delayRun feeds the detector a call's packets — a frame of four packets
// every 33 ms, back to back, and an audio packet every 20 ms — whose
// one-way delay is delay(i, sent) (false: lost), in 50 ms feedback
// batches read in arrival order, as the estimator reads them. It returns
// the times (since the start) at which over-uses were declared.
func delayRun(seconds int, delay func(i int, sent time.Duration) (time.Duration, bool)) []time.Duration {
	d := newDelayDetector()
	start := time.Unix(1_000_000, 0)
	type pkt struct {
		sent, arrival time.Duration
	}
	var pkts []pkt
	for f := time.Duration(0); f < time.Duration(seconds)*time.Second; f += time.Second / 30 {
		for k := range 4 {
			pkts = append(pkts, pkt{sent: f + time.Duration(k)*100*time.Microsecond})
		}
	}
	for a := 7 * time.Millisecond; a < time.Duration(seconds)*time.Second; a += 20 * time.Millisecond {
		pkts = append(pkts, pkt{sent: a})
	}
	slices.SortFunc(pkts, func(a, b pkt) int { return cmp.Compare(a.sent, b.sent) })
	var kept []pkt
	for i, p := range pkts {
		if dl, ok := delay(i, p.sent); ok {
			p.arrival = p.sent + dl
			kept = append(kept, p)
		}
	}
	// Feedback every 50 ms reports what has arrived; each batch is read
	// in arrival order.
	slices.SortFunc(kept, func(a, b pkt) int { return cmp.Compare(a.arrival, b.arrival) })
	var overuses []time.Duration
	for _, p := range kept {
		if d.add(result{sent: start.Add(p.sent), arrival: p.arrival, size: 1000}) {
			overuses = append(overuses, p.arrival)
		}
	}
	return overuses
}

// Jitter is not a queue: every packet delayed by its own random amount
// (40 ms ± 5 or ± 10 ms, so that packets overtake one another, as
// netem's jitter does) over ten minutes never reads as an over-use.
func TestDelayJitterIsNotOveruse(t *testing.T) {
	for _, jitter := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 7))
			over := delayRun(600, func(int, time.Duration) (time.Duration, bool) {
				return 40*time.Millisecond + time.Duration(rng.Int64N(int64(2*jitter)+1)) - jitter, rng.Float64() >= 0.05
			})
			if len(over) > 0 {
				t.Errorf("jitter ±%v, seed %d: %d over-uses in 10 minutes, first at %v", jitter, seed, len(over), over[0])
			}
		}
	}
}

// A resent packet arrives a round trip late under its original number;
// it says nothing of the queue, and is left out because packets sent
// after it arrived first.
func TestDelayLateResendIsNotOveruse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	over := delayRun(120, func(i int, _ time.Duration) (time.Duration, bool) {
		if rng.Float64() < 0.05 {
			return 40*time.Millisecond + 90*time.Millisecond, true // lost, then resent
		}
		return 40 * time.Millisecond, true
	})
	if len(over) > 0 {
		t.Errorf("%d over-uses from late resends, first at %v", len(over), over[0])
	}
}

// A queue that builds is an over-use: the sender sends 20 % more than
// the bottleneck drains from 10 s on; the over-use is declared within a
// second, while the queue holds under 200 ms.
func TestDelayQueueIsOveruse(t *testing.T) {
	const onset = 10 * time.Second
	over := delayRun(20, func(_ int, sent time.Duration) (time.Duration, bool) {
		q := time.Duration(0)
		if sent > onset {
			q = (sent - onset) / 5 // 20 % more than drains: the queue grows by 0.2 s a second
		}
		return 40*time.Millisecond + q, true
	})
	if len(over) == 0 {
		t.Fatal("no over-use while the queue grew for 10 s")
	}
	t.Logf("first over-use %v after the queue began", over[0]-40*time.Millisecond-onset)
	if first := over[0] - 40*time.Millisecond; first < onset || first > onset+time.Second {
		t.Errorf("first over-use at %v, want within a second after the queue began at %v", first, onset)
	}
}
