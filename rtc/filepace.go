package rtc

import (
	"context"
	"sync"
	"time"
)

// How a file transfer yields to the call's audio and video.
//
// Only media carries transport-wide sequence numbers, so the bandwidth
// estimator (rtc/bwe) sees the path through the media's packets alone —
// but file chunks queue in the same network buffers, so a transfer that
// sends too fast shows up as the media's one-way delay growing (a delay
// over-use) or as loss, and the estimator cuts its estimate. The pacer
// reads the estimator every filePaceEvery and lets the transfer send at
//
//	max(spare, probe)
//
// where spare is fileSpareShare of what the estimate leaves after the
// media actually sent (the estimator's acknowledged rate), and probe is
// the transfer's own additive-free, multiplicative search for more:
// it grows by fileProbeGrowth each step while the estimator sees no
// congestion, and halves at every congestion signal (a new delay or loss
// cut, or the delay over-using now), after which it holds for
// fileProbeHold. The estimator's ceiling (6 Mbit/s) is what the media
// may use, not what the path carries: the probe is how a transfer on a
// fast path goes faster than that ceiling while the media's delay stays
// flat.
const (
	filePaceEvery   = 100 * time.Millisecond
	fileSpareShare  = 0.9
	fileProbeStart  = 1_000_000   // bit/s
	fileProbeMin    = 64_000      // bit/s
	fileProbeMax    = 800_000_000 // bit/s
	fileProbeGrowth = 1.15        // per filePaceEvery: about 4× a second
	fileProbeHold   = time.Second
	// fileBurst is how much the pacer lets go at once: the rate over
	// this long, at least a few chunks.
	fileBurst    = 20 * time.Millisecond
	fileBurstMin = 4 * (fileChunkHeader + fileChunkData)
)

// estimateReading is what the pacer reads of the bandwidth estimator.
type estimateReading struct {
	known       bool
	targetBps   float64 // the estimate
	ackedBps    float64 // what the media sent and the other side received
	overusing   bool    // the media's delay grows now
	congestions int     // cuts made so far, for delay or loss
}

// filePacer is a token bucket shared by the transfers of one session,
// refilled at the rate the estimator's readings allow.
type filePacer struct {
	read func() estimateReading

	mu        sync.Mutex
	now       func() time.Time
	rateBps   float64
	probe     float64
	tokens    float64 // bytes
	last      time.Time
	lastRead  time.Time
	lastCuts  int
	holdUntil time.Time
}

func newFilePacer(read func() estimateReading) *filePacer {
	return &filePacer{read: read, now: time.Now, probe: fileProbeStart, rateBps: fileProbeStart}
}

// Rate is the pace now, bit/s.
func (p *filePacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rateBps
}

// update reads the estimator, at most once a filePaceEvery. p.mu is held.
func (p *filePacer) update(now time.Time) {
	if !p.lastRead.IsZero() && now.Sub(p.lastRead) < filePaceEvery {
		return
	}
	p.lastRead = now
	r := p.read()
	spare := 0.0
	congested := false
	if r.known {
		spare = max(r.targetBps-r.ackedBps, 0) * fileSpareShare
		congested = r.overusing || r.congestions > p.lastCuts
		p.lastCuts = r.congestions
	}
	switch {
	case congested:
		p.probe = max(p.probe/2, fileProbeMin)
		p.holdUntil = now.Add(fileProbeHold)
	case now.After(p.holdUntil):
		p.probe = min(p.probe*fileProbeGrowth, fileProbeMax)
	}
	p.rateBps = max(spare, p.probe)
}

// wait takes n bytes from the bucket, waiting until they are there or ctx
// ends.
func (p *filePacer) wait(ctx context.Context, n int) error {
	for {
		p.mu.Lock()
		now := p.now()
		p.update(now)
		burst := max(p.rateBps/8*fileBurst.Seconds(), fileBurstMin)
		if !p.last.IsZero() {
			p.tokens = min(p.tokens+p.rateBps/8*now.Sub(p.last).Seconds(), burst)
		}
		p.last = now
		if p.tokens >= float64(n) {
			p.tokens -= float64(n)
			p.mu.Unlock()
			return nil
		}
		need := (float64(n) - p.tokens) / (p.rateBps / 8)
		p.mu.Unlock()
		d := min(time.Duration(need*float64(time.Second)), filePaceEvery)
		t := time.NewTimer(max(d, time.Millisecond))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// fileEstimate reads the session's bandwidth estimator for the pacer.
func (s *Session) fileEstimate() estimateReading {
	s.mu.Lock()
	e := s.estimator
	s.mu.Unlock()
	if e == nil {
		return estimateReading{}
	}
	st := e.GetStats()
	return estimateReading{
		known:       true,
		targetBps:   number(st["target"]),
		ackedBps:    number(st["acknowledged"]),
		overusing:   st["usage"] == "over",
		congestions: int(number(st["delayDecreases"]) + number(st["lossCuts"])),
	}
}

// number reads a figure of the estimator's statistics, whatever its type.
func number(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}
