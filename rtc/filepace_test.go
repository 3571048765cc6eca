package rtc

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
)

// stepPacer drives a pacer on a simulated clock: each step moves the clock
// by filePaceEvery, reads r and returns the pace.
type stepPacer struct {
	p   *filePacer
	now time.Time
	r   estimateReading
}

func newStepPacer() *stepPacer {
	sp := &stepPacer{now: time.Unix(1_000_000, 0)}
	sp.p = newFilePacer(func() estimateReading { return sp.r })
	sp.p.now = func() time.Time { return sp.now }
	return sp
}

func (sp *stepPacer) step() float64 {
	sp.now = sp.now.Add(filePaceEvery)
	sp.p.mu.Lock()
	defer sp.p.mu.Unlock()
	sp.p.update(sp.now)
	return sp.p.rateBps
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(math.Abs(a), math.Abs(b), 1) }

// While the video has less than it wants, a transfer takes only what the
// estimate leaves after the media's targets; once the video has all it
// wants, the transfer probes from there, halves at congestion and holds,
// does not grow while the delay trend rises, and takes a round trip
// grown by a queue for congestion.
func TestFilePacerYieldsToTheVideo(t *testing.T) {
	sp := newStepPacer()
	sp.r = estimateReading{known: true, targetBps: 1_000_000, mediaBps: 840_000, rtt: 40 * time.Millisecond}
	// It doubles at most each step, from the floor.
	if got := sp.step(); got != 2*fileFloor {
		t.Errorf("first step: pace %.0f, want twice the floor", got)
	}
	sp.step()
	if got, want := sp.step(), 1_000_000*fileSpareShare-840_000; !near(got, want) {
		t.Fatalf("video wanting more: pace %.0f, want the spare %.0f", got, want)
	}
	sp.r.mediaBps = 990_000 // nothing spare: the floor
	if got := sp.step(); got != fileFloor {
		t.Errorf("nothing spare: pace %.0f, want the floor %d", got, fileFloor)
	}
	// A congestion cut while the video wants more: the spare follows the
	// estimate down, nothing more.
	sp.r = estimateReading{known: true, targetBps: 600_000, mediaBps: 400_000, congestions: 1, rtt: 40 * time.Millisecond}
	for range 5 {
		if got, spare := sp.step(), 600_000*fileSpareShare-400_000; got > spare+1 {
			t.Fatalf("after a cut: pace %.0f, more than the spare %.0f", got, spare)
		}
	}

	// The video content from the start: probing from the spare.
	sp = newStepPacer()
	sp.r = estimateReading{known: true, targetBps: 3_000_000, mediaBps: 1_740_000, rtt: 40 * time.Millisecond, videoContent: true}
	spare := 3_000_000*fileSpareShare - 1_740_000
	if got, want := sp.step(), spare*fileProbeGrowth; !near(got, want) {
		t.Fatalf("first probing step: %.0f, want %.0f", got, want)
	}
	for range 9 {
		sp.step()
	}
	grown := sp.p.Rate()
	if want := spare * math.Pow(fileProbeGrowth, 10); !near(grown, want) {
		t.Errorf("a second of probing: %.0f, want %.0f (×%.2f a step)", grown, want, fileProbeGrowth)
	}
	// A delay trend on its way up: no growth.
	sp.r.trendShare = 0.5
	if got := sp.step(); got != grown {
		t.Errorf("trend at half the threshold: %.0f, want it held at %.0f", got, grown)
	}
	// A delay cut: halved, then held for fileProbeHold however long the
	// congestion lasts.
	sp.r.trendShare, sp.r.congestions = 0, 1
	if got := sp.step(); !near(got, grown/2) {
		t.Errorf("a delay cut: %.0f, want half of %.0f", got, grown)
	}
	sp.r.overusing = true
	for range int(fileProbeHold/filePaceEvery) - 1 {
		if got := sp.step(); !near(got, grown/2) {
			t.Fatalf("within the hold: %.0f, want %.0f", got, grown/2)
		}
	}
	sp.r.overusing = false
	sp.step()
	sp.step()
	if got, want := sp.p.Rate(), grown/2*fileProbeSlow; !near(got, want) {
		t.Errorf("after the hold: %.0f, want slow growth to %.0f", got, want)
	}
	// A round trip 30 ms over its lowest now and then is a feedback that
	// came late, on a busy machine: no congestion.
	for i := range 20 {
		sp.r.rtt = 40 * time.Millisecond
		if i%3 == 0 {
			sp.r.rtt += fileQueueDelay + 20*time.Millisecond
		}
		before := sp.p.Rate()
		if got := sp.step(); got < before {
			t.Fatalf("step %d, round trip %v: %.0f, down from %.0f", i, sp.r.rtt, got, before)
		}
	}
	// The round trip 30 ms over its lowest for fileQueueWindow: a queue,
	// halved.
	before := sp.p.Rate()
	sp.r.rtt = 40*time.Millisecond + fileQueueDelay + time.Millisecond
	for range int(fileQueueWindow / filePaceEvery) {
		if got := sp.step(); got < before {
			t.Fatalf("a round trip over its lowest for less than %v: %.0f, down from %.0f", fileQueueWindow, got, before)
		}
	}
	before = sp.p.Rate()
	if got := sp.step(); !near(got, before/2) {
		t.Errorf("a queue in the round trip: %.0f, want half of %.0f", got, before)
	}
	// The estimate falling by more than 3 %, after the hold: halved.
	sp.r.rtt = 40 * time.Millisecond
	for range int(fileProbeHold / filePaceEvery) {
		sp.step()
	}
	before = sp.p.Rate()
	sp.r.targetBps *= 0.9
	if got := sp.step(); !near(got, before/2) {
		t.Errorf("the estimate falling: %.0f, want half of %.0f", got, before)
	}
	// Never under the floor, whatever happens.
	for i := range 50 {
		sp.r.congestions += 1
		sp.now = sp.now.Add(fileProbeHold)
		if got := sp.step(); got < fileFloor {
			t.Fatalf("step %d: %.0f under the floor", i, got)
		}
	}
}

func TestFileChunksFollowThePace(t *testing.T) {
	p := newFilePacer(func() estimateReading { return estimateReading{} })
	for _, c := range []struct {
		bps  float64
		want int
	}{{fileFloor, fileChunkMin}, {2_000_000, 2_500}, {80_000_000, fileChunkData}} {
		p.rateBps = c.bps
		if got := p.chunkSize(); got != c.want {
			t.Errorf("at %.0f bit/s: chunks of %d bytes, want %d", c.bps, got, c.want)
		}
	}
	for _, c := range []struct {
		bps  float64
		want uint64
	}{{fileFloor, fileMinBuffered}, {20_000_000, 250_000}, {800_000_000, fileMaxBuffered}} {
		if got := bufferBound(c.bps); got != c.want {
			t.Errorf("at %.0f bit/s: %d bytes left in the channel, want %d", c.bps, got, c.want)
		}
	}
}

// The bucket lets a burst go at once and makes the rest wait; a transfer
// that ends stops waiting.
func TestFilePacerWaits(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	p := newFilePacer(func() estimateReading { return estimateReading{} })
	p.now = func() time.Time { return now }
	ctx := context.Background()
	burst := 2 * (fileChunkHeader + 1000)
	for range 2 { // a full bucket to start with
		if err := p.wait(ctx, 1000); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Second) // a second's worth, up to the burst
	if err := p.wait(ctx, burst/2); err != nil {
		t.Fatalf("within the burst: %v", err)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.wait(stopped, 1<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("a megabyte at the floor, transfer stopped: %v", err)
	}
}

// A cut by the estimator while the file's chunks flowed tells the pacer
// what the path carries; for fileRTTMemory the probe then grows quickly
// only to fileFillShare of it less the media's acknowledged rate, and
// slowly beyond, instead of filling the queue again at 1.6× a second.
func TestFilePacerStaysUnderThePathAfterACut(t *testing.T) {
	sp := newStepPacer()
	sp.r = estimateReading{known: true, targetBps: 4_000_000, mediaBps: 1_700_000, rtt: 40 * time.Millisecond,
		videoContent: true, ackedBps: 500_000, fileBps: 1_300_000}
	for range 10 {
		sp.step()
	}
	// A cut with the file's share smaller than the media's teaches
	// nothing: after the hold the probe grows as after any congestion.
	sp.r.fileBps, sp.r.congestions = 400_000, 1
	sp.step()
	if sp.p.pathBps != 0 {
		t.Fatalf("a cut with the file at 400 kbit/s beside the media's 500 taken for the path's rate")
	}
	sp.now = sp.now.Add(fileProbeHold)
	sp.step()
	before := sp.p.Rate()
	if got := sp.step(); !near(got, before*fileProbeSlow) {
		t.Errorf("after a cut that taught nothing: pace %.0f, want %.0f", got, before*fileProbeSlow)
	}
	// The cut: the path carried 1.8 Mbit/s, the media 500 kbit/s of it.
	sp.r.fileBps, sp.r.congestions = 1_300_000, 2
	halved := sp.step()
	ceiling := fileFillShare*1_800_000 - 500_000
	// Back to probing after the hold, the media's share unchanged.
	sp.now = sp.now.Add(fileProbeHold)
	for range 100 {
		sp.step()
	}
	got := sp.p.Rate()
	// 100 steps at fileProbeSlow would be 7× the halved pace: 1.02^100.
	if most := max(ceiling, halved) * math.Pow(fileProbeNear, 100); got > most+1 {
		t.Errorf("ten seconds after the cut: pace %.0f, want at most %.0f (%.0f the path leaves, then ×%.3f a step)", got, most, ceiling, fileProbeNear)
	}
	if got < ceiling {
		t.Errorf("ten seconds after the cut: pace %.0f, want the %.0f the path leaves at least", got, ceiling)
	}
	// Forgotten after fileRTTMemory: quick growth again.
	sp.now = sp.now.Add(fileRTTMemory)
	before = sp.p.Rate()
	if got := sp.step(); !near(got, before*fileProbeSlow) {
		t.Errorf("after fileRTTMemory: pace %.0f, want %.0f", got, before*fileProbeSlow)
	}
}

// On a path that a cut leaves wide enough for the video (here 5 Mbit/s,
// of which a cut leaves the video 3.6; loopback's are wider still), the
// pace after a cut grows as after any congestion, past 80 % of the path
// less the media: holding it under that would only slow the file.
func TestFilePacerGrowsOnAfterACutOnAWidePath(t *testing.T) {
	sp := newStepPacer()
	sp.r = estimateReading{known: true, targetBps: 6_000_000, mediaBps: 1_740_000, rtt: 2 * time.Millisecond,
		videoContent: true, ackedBps: 1_700_000, fileBps: 3_300_000}
	for range 10 {
		sp.step()
	}
	sp.r.congestions = 1
	sp.step()
	sp.now = sp.now.Add(fileProbeHold)
	sp.step()
	before := sp.p.Rate()
	for range 10 {
		sp.step()
	}
	if got, want := sp.p.Rate(), before*math.Pow(fileProbeSlow, 10); !near(got, want) {
		t.Errorf("a second after a cut on a 5 Mbit/s path: pace %.0f, want %.0f (×%.2f a step)", got, want, fileProbeSlow)
	}
}

// The rate a transfer's chunks are acknowledged at, as the estimator is
// told it, on a real connection: while a file crosses it the meter sees
// it flow, and at the end every byte given to the channel is acknowledged.
func TestFileDeliveryMeasuresTheAcknowledgedChunks(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	inviter, joiner := h.fileCallPair()
	src, dst := t.TempDir(), t.TempDir()
	path, _ := randomFile(t, src, "meter.bin", 700_000)
	out, err := inviter.SendFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := nextOffer(t, joiner).AcceptInto(dst); err != nil {
		t.Fatal(err)
	}
	var most float64
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case <-out.Done():
			break wait
		case <-tick.C:
			most = max(most, inviter.files.delivery.rate())
		case <-deadline:
			t.Fatalf("the transfer did not finish within a minute (%d of 700000 bytes)", out.Progress())
		}
	}
	if err := out.Err(); err != nil {
		t.Fatal(err)
	}
	if most <= 0 {
		t.Errorf("the meter saw no chunk acknowledged while 700 kB crossed")
	}
	d := &inviter.files.delivery
	counts := func() (given, buffered uint64) {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.given, d.dc.BufferedAmount()
	}
	// All acknowledged soon after the receiver said it saved the file.
	eventually(t, 5*time.Second, "the channel's buffer empties", func() bool { _, b := counts(); return b == 0 })
	// The data and a 12-byte header a chunk.
	if given, _ := counts(); given < 700_000 || (given-700_000)%fileChunkHeader != 0 {
		t.Errorf("the meter counts %d bytes given, want 700000 and 12 a chunk", given)
	}
	t.Logf("acknowledged at up to %.0f kbit/s over half a second", most/1000)
}
