package playout

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// clickLimit is the largest sample step allowed in the output: 1.5 times the
// tone's own largest step.
func clickLimit() int { return naturalStep() * 3 / 2 }

func checkContinuous(t *testing.T, r result) {
	t.Helper()
	if r.longestGap > maxQuietRun {
		t.Errorf("output went silent for %v at %v", r.longestGap, r.gapAt)
	}
}

func checkTone(t *testing.T, r result) {
	t.Helper()
	if math.Abs(r.freq-440) > 2 {
		t.Errorf("dominant frequency %.2f Hz, want 440", r.freq)
	}
}

func checkNoClicks(t *testing.T, r result) {
	t.Helper()
	if r.maxStep > clickLimit() {
		t.Errorf("step of %d at %v, limit %d", r.maxStep, r.maxStepAt, clickLimit())
	}
}

func TestCleanNetwork(t *testing.T) {
	r := simulate(t, network{seconds: 20, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, seed: 1})
	r.log(t, 5*time.Second, 20*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
	_, maxB, _, _, _ := summarize(r.over(2*time.Second, 20*time.Second))
	if maxB > 40*time.Millisecond {
		t.Errorf("buffered delay reached %v after settling, want <= 40 ms", maxB)
	}
	if s := r.stats; s.PacketsLost != 0 || s.PacketsLate != 0 || s.Underruns != 0 {
		t.Errorf("lost %d, late %d, %d underruns on a clean network", s.PacketsLost, s.PacketsLate, s.Underruns)
	}
}

func TestRandomLoss(t *testing.T) {
	for _, c := range []struct {
		name     string
		sig      signal
		minShare float64
	}{
		// A steady tone soon carries no FEC (see syllables), so there
		// the loss is concealed.
		{"pure tone", pureTone, 0},
		{"syllables", syllables, 0.6},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := simulate(t, network{seconds: 60, signal: c.sig, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, loss: 0.05, seed: 2})
			r.log(t, 5*time.Second, 60*time.Second)
			checkContinuous(t, r)
			checkTone(t, r)
			checkNoClicks(t, r)
			s := r.stats
			share := float64(s.FECRecovered) / float64(s.PacketsLost)
			t.Logf("FEC recovered %.0f %% of %d lost packets; %d had FEC in the packet after them", 100*share, s.PacketsLost, r.recoverable)
			if s.PacketsLost == 0 || share < c.minShare || float64(s.FECRecovered) < 0.95*float64(r.recoverable) {
				t.Errorf("FEC recovered %d of %d lost packets, %d recoverable", s.FECRecovered, s.PacketsLost, r.recoverable)
			}
		})
	}
}

func TestReorderAndDuplicates(t *testing.T) {
	r := simulate(t, network{seconds: 30, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
		reorder: 0.05, reorderBy: 30 * time.Millisecond, dup: 0.05, seed: 3})
	r.log(t, 5*time.Second, 30*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
	s := r.stats
	if s.PacketsReordered == 0 {
		t.Error("no reordered packet counted")
	}
	if got := s.PacketsDuplicate + s.PacketsLate; int(got) < r.dups {
		t.Errorf("counted %d duplicates and %d late, %d duplicates sent", s.PacketsDuplicate, s.PacketsLate, r.dups)
	}
}

func TestJitterBurst(t *testing.T) {
	const stallAt, stallFor = 10 * time.Second, 150 * time.Millisecond
	r := simulate(t, network{seconds: 30, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
		stallAt: stallAt, stallFor: stallFor, seed: 4},
		[2]time.Duration{stallAt, stallAt + stallFor + 50*time.Millisecond})
	r.log(t, 2*time.Second, 30*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
	_, _, _, _, before := summarize(r.over(5*time.Second, stallAt))
	_, _, _, _, peak := summarize(r.over(stallAt, stallAt+time.Second))
	t.Logf("target before %v, peak %v", before, peak)
	if peak < 100*time.Millisecond {
		t.Errorf("target peaked at %v after a %v stall", peak, stallFor)
	}
	back := time.Duration(-1)
	for _, tp := range r.over(stallAt+stallFor, 30*time.Second) {
		if tp.target <= 25*time.Millisecond && tp.buffer <= 40*time.Millisecond {
			back = tp.at - stallAt - stallFor
			break
		}
	}
	t.Logf("back to a low delay %v after the burst", back)
	if back < 0 || back > 10*time.Second {
		t.Errorf("delay did not come back down within 10 s")
	}
	_, maxB, _, _, maxT := summarize(r.over(stallAt+12*time.Second, 30*time.Second))
	if maxB > 40*time.Millisecond || maxT > 30*time.Millisecond {
		t.Errorf("long after the burst: buffered up to %v, target up to %v", maxB, maxT)
	}
}

// TestLongStall: a stall longer than MaxDelay; the backlog it leaves is
// discarded rather than played a second late.
func TestLongStall(t *testing.T) {
	const stallAt, stallFor = 5 * time.Second, time.Second
	r := simulate(t, network{seconds: 15, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
		stallAt: stallAt, stallFor: stallFor, seed: 15},
		[2]time.Duration{stallAt, stallAt + stallFor + 50*time.Millisecond})
	r.log(t, 2*time.Second, 15*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
	if r.stats.PacketsDiscarded == 0 {
		t.Error("nothing discarded")
	}
	_, maxB, _, _, _ := summarize(r.over(stallAt+stallFor+100*time.Millisecond, 15*time.Second))
	if maxB > 320*time.Millisecond {
		t.Errorf("buffered delay reached %v after the stall, MaxDelay is 300 ms", maxB)
	}
}

func TestClockDrift(t *testing.T) {
	for _, c := range []struct {
		name  string
		drift float64
	}{{"sender fast", +0.001}, {"sender slow", -0.001}} {
		t.Run(c.name, func(t *testing.T) {
			seconds := 600.0 // ten minutes
			if testing.Short() {
				seconds = 120
			}
			r := simulate(t, network{seconds: seconds, drift: c.drift, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, seed: 5})
			r.log(t, 2*time.Second, time.Duration(seconds)*time.Second)
			checkContinuous(t, r)
			checkTone(t, r)
			checkNoClicks(t, r)
			worst := time.Duration(0)
			for _, tp := range r.over(2*time.Second, time.Duration(seconds)*time.Second) {
				worst = max(worst, (tp.buffer - tp.target).Abs())
			}
			t.Logf("buffered delay within target ± %v", ms(worst))
			if worst > 30*time.Millisecond {
				t.Errorf("buffered delay strayed %v from the target", worst)
			}
		})
	}
}

// TestNoClicks drives every kind of adaptation on the pure tone — slices
// dropped and inserted for drift, underruns stretched by concealment, the
// delay raised by a stall and brought down again, gaps concealed — and
// checks that no sample step exceeds 1.5 times the tone's own largest step.
func TestNoClicks(t *testing.T) {
	var dropped, inserted float64
	var underruns uint64
	for _, c := range []struct {
		name string
		net  network
	}{
		{"fast sender, stalls", network{seconds: 90, drift: +0.001, base: 30 * time.Millisecond, jitter: 20 * time.Millisecond,
			stallAt: 20 * time.Second, stallFor: 200 * time.Millisecond, seed: 6}},
		{"slow sender, reordering", network{seconds: 90, drift: -0.001, base: 30 * time.Millisecond, jitter: 20 * time.Millisecond,
			reorder: 0.02, reorderBy: 40 * time.Millisecond, stallAt: 50 * time.Second, stallFor: 80 * time.Millisecond, seed: 7}},
		{"loss", network{seconds: 60, base: 30 * time.Millisecond, jitter: 15 * time.Millisecond, loss: 0.05, dup: 0.02, seed: 8}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := simulate(t, c.net, [2]time.Duration{c.net.stallAt, c.net.stallAt + c.net.stallFor + 50*time.Millisecond})
			r.log(t, 2*time.Second, time.Duration(c.net.seconds)*time.Second)
			checkNoClicks(t, r)
			checkContinuous(t, r)
			checkTone(t, r)
			dropped += r.stats.DroppedMs
			inserted += r.stats.InsertedMs
			underruns += r.stats.Underruns
		})
	}
	if dropped == 0 || inserted == 0 || underruns == 0 {
		t.Errorf("not every adaptation happened: dropped %.1f ms, inserted %.1f ms, %d underruns", dropped, inserted, underruns)
	}
}

// TestSenderPause: the sender stops for a second without sending anything
// (as with DTX when nothing is transmitted); when it resumes, the gap in
// timestamps must not turn into a second of extra delay.
func TestSenderPause(t *testing.T) {
	const pauseAt, pauseFor = 5 * time.Second, time.Second
	r := simulate(t, network{seconds: 12, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
		pauseAt: pauseAt, pauseFor: pauseFor, seed: 9},
		[2]time.Duration{pauseAt, pauseAt + pauseFor + 100*time.Millisecond})
	r.log(t, 2*time.Second, 12*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
	_, maxB, _, _, _ := summarize(r.over(pauseAt+pauseFor+500*time.Millisecond, 12*time.Second))
	if maxB > 40*time.Millisecond {
		t.Errorf("buffered delay %v after the pause", maxB)
	}
}

// TestStreamRestart: the remote restarts its stream (new SSRC, sequence
// numbers and timestamps) in the middle of the call.
func TestStreamRestart(t *testing.T) {
	r := simulate(t, network{seconds: 10, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
		restartAt: 5 * time.Second, seed: 10})
	r.log(t, 2*time.Second, 10*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
	_, maxB, _, _, _ := summarize(r.over(6*time.Second, 10*time.Second))
	if maxB > 40*time.Millisecond {
		t.Errorf("buffered delay %v after the restart", maxB)
	}
}

// TestTimestampJump: the sender's timestamps jump by an hour, forwards or
// backwards, with sequence numbers running on.
func TestTimestampJump(t *testing.T) {
	for _, by := range []int64{3600 * sampleRate, -3600 * sampleRate} {
		r := simulate(t, network{seconds: 10, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
			jumpAt: 5 * time.Second, jumpBy: by, seed: 17})
		r.log(t, 2*time.Second, 10*time.Second)
		checkContinuous(t, r)
		checkTone(t, r)
		checkNoClicks(t, r)
		_, maxB, _, _, maxT := summarize(r.over(5500*time.Millisecond, 10*time.Second))
		if maxB > 40*time.Millisecond || maxT > 30*time.Millisecond {
			t.Errorf("jump by %d: buffered delay up to %v, target up to %v after it", by, maxB, maxT)
		}
	}
}

func TestStereo(t *testing.T) {
	r := simulate(t, network{seconds: 5, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, loss: 0.02, channels: 2, seed: 11})
	if !r.stereoEqual {
		t.Error("left and right differ")
	}
	checkContinuous(t, r)
	checkTone(t, r)
}

func TestDeviceReadSizes(t *testing.T) {
	for _, every := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 1024 * time.Second / sampleRate} {
		t.Run(every.String(), func(t *testing.T) {
			r := simulate(t, network{seconds: 20, drift: 0.001, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, readEvery: every, seed: 12})
			r.log(t, 2*time.Second, 20*time.Second)
			checkContinuous(t, r)
			checkTone(t, r)
			checkNoClicks(t, r)
			_, maxB, _, _, _ := summarize(r.over(2*time.Second, 20*time.Second))
			if maxB > 50*time.Millisecond {
				t.Errorf("buffered delay reached %v", maxB)
			}
		})
	}
}

// TestBurstyDevice: the device takes 40 ms at a time, as four 10 ms reads
// back to back.
func TestBurstyDevice(t *testing.T) {
	r := simulate(t, network{seconds: 60, drift: 0.001, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, readBurst: 4, seed: 16})
	r.log(t, 2*time.Second, 60*time.Second)
	checkContinuous(t, r)
	checkTone(t, r)
	checkNoClicks(t, r)
}

func TestSilenceBeforeFirstPacket(t *testing.T) {
	p, err := New(Config{Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pcm := make([]int16, 960)
	for i := range pcm {
		pcm[i] = 1234
	}
	p.Read(pcm)
	for i, v := range pcm {
		if v != 0 {
			t.Fatalf("sample %d = %d before any packet", i, v)
		}
	}
	if st := p.Stats(); st.PacketsReceived != 0 || st.BufferedDelay != 0 || st.LevelDBFS != minLevel {
		t.Errorf("stats before any packet: %+v", st)
	}
}

func TestConfig(t *testing.T) {
	bad := []Config{
		{Channels: 3},
		{Channels: -1},
		{MinDelay: -time.Millisecond},
		{MinDelay: 200 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		{MaxDelay: 2 * time.Second},
	}
	for _, c := range bad {
		if p, err := New(c); err == nil {
			p.Close()
			t.Errorf("New(%+v) accepted", c)
		}
	}
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if st := p.Stats(); st.TargetDelay != 20*time.Millisecond {
		t.Errorf("default target %v, want the 20 ms minimum", st.TargetDelay)
	}
	q, err := New(Config{MinDelay: 80 * time.Millisecond, MaxDelay: 80 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if st := q.Stats(); st.TargetDelay != 80*time.Millisecond {
		t.Errorf("target %v with both bounds at 80 ms", st.TargetDelay)
	}
}

func TestClose(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	pkts := encoded(t, pureTone, 10)
	epoch := time.Unix(1_700_000_000, 0)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}}
	pcm := make([]int16, 480)
	for k, b := range pkts[:5] {
		pkt.SequenceNumber, pkt.Timestamp, pkt.Payload = uint16(k), uint32(k*960), b
		p.Push(&pkt, epoch.Add(time.Duration(k)*packetDur))
		p.Read(pcm)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p.Push(&pkt, epoch.Add(time.Second))
	p.Push(nil, epoch)
	pcm[0] = 1
	p.Read(pcm)
	for i, v := range pcm {
		if v != 0 {
			t.Fatalf("sample %d = %d after Close", i, v)
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestConcurrentUse runs Push, Read and Stats on their own goroutines, for
// the race detector.
func TestConcurrentUse(t *testing.T) {
	p, err := New(Config{Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pkts := encoded(t, pureTone, 500)
	var wg sync.WaitGroup
	wg.Go(func() {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7}}
		start := time.Now()
		for k, b := range pkts {
			pkt.SequenceNumber, pkt.Timestamp, pkt.Payload = uint16(k), uint32(k*960), b
			p.Push(&pkt, start.Add(time.Duration(k)*packetDur))
		}
	})
	wg.Go(func() {
		pcm := make([]int16, 960)
		for range 1000 {
			p.Read(pcm)
		}
	})
	wg.Go(func() {
		for range 200 {
			_ = p.Stats()
		}
	})
	wg.Wait()
	if st := p.Stats(); st.PacketsReceived != uint64(len(pkts)) {
		t.Errorf("received %d of %d", st.PacketsReceived, len(pkts))
	}
}

// schedule is a prepared run for allocation tests and benchmarks: packets
// and their arrival times.
type schedule struct {
	pkts  []rtp.Packet
	at    []time.Time
	next  int
	now   time.Time
	every time.Duration
}

func newSchedule(t testing.TB, n network) *schedule {
	count := int(n.seconds * float64(time.Second/packetDur))
	payloads := encoded(t, n.signal, count)
	rng := rand.New(rand.NewPCG(n.seed, 1))
	epoch := time.Unix(1_700_000_000, 0)
	type item struct {
		at time.Duration
		k  int
	}
	var items []item
	for k := range count {
		if rng.Float64() < n.loss {
			continue
		}
		at := time.Duration(float64(time.Duration(k)*packetDur)/(1+n.drift)) + n.base
		if n.jitter > 0 {
			at += time.Duration(rng.Int64N(int64(n.jitter)))
		}
		if n.stallFor > 0 && at >= n.stallAt && at < n.stallAt+n.stallFor {
			at = n.stallAt + n.stallFor
		}
		items = append(items, item{at, k})
	}
	slices.SortStableFunc(items, func(a, b item) int { return int(a.at - b.at) })
	s := &schedule{now: epoch, every: 10 * time.Millisecond}
	for _, it := range items {
		s.pkts = append(s.pkts, rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 111, SSRC: 1, SequenceNumber: uint16(seqStart + it.k), Timestamp: uint32(tsStart + uint32(it.k)*960)},
			Payload: payloads[it.k],
		})
		s.at = append(s.at, epoch.Add(it.at))
	}
	return s
}

// step advances the virtual clock by one read: pushes what has arrived,
// then reads 10 ms.
func (s *schedule) step(p *Playout, pcm []int16) {
	s.now = s.now.Add(s.every)
	for s.next < len(s.pkts) && !s.at[s.next].After(s.now) {
		p.Push(&s.pkts[s.next], s.at[s.next])
		s.next++
	}
	p.Read(pcm)
}

// TestNoAllocations checks that Push and Read allocate nothing, neither in
// steady state nor through loss, FEC, underruns, stalls and adaptations.
func TestNoAllocations(t *testing.T) {
	p, err := New(Config{Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := newSchedule(t, network{seconds: 45, signal: syllables, drift: 0.001, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond,
		loss: 0.05, stallAt: 25 * time.Second, stallFor: 150 * time.Millisecond, seed: 13})
	pcm := make([]int16, 960)
	for range 200 { // 2 s to settle
		s.step(p, pcm)
	}

	if n := testing.AllocsPerRun(100, func() { s.step(p, pcm) }); n != 0 {
		t.Errorf("steady state: %v allocations per Push and Read", n)
	}
	pkt := s.pkts[s.next]
	if n := testing.AllocsPerRun(100, func() { p.Push(&pkt, s.now) }); n != 0 {
		t.Errorf("Push: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { p.Read(pcm) }); n != 0 {
		t.Errorf("Read: %v allocations", n)
	}

	before := p.Stats()
	// The rest of the run, in two halves (AllocsPerRun warms up once).
	if n := testing.AllocsPerRun(1, func() {
		for range 2000 {
			s.step(p, pcm)
		}
	}); n > 5 {
		// Per-frame allocation would show thousands here; a handful can
		// come from the runtime or the race detector during 4,000 calls.
		t.Errorf("%v allocations over 40 s of a lossy, drifting, stalling call", n)
	}
	st := p.Stats()
	t.Logf("during the measured run: lost %d, FEC %d, underruns %d, concealed %.0f ms, dropped %.1f ms, inserted %.1f ms",
		st.PacketsLost-before.PacketsLost, st.FECRecovered-before.FECRecovered, st.Underruns-before.Underruns,
		st.ConcealedMs-before.ConcealedMs, st.DroppedMs-before.DroppedMs, st.InsertedMs-before.InsertedMs)
	if st.FECRecovered == before.FECRecovered || st.Underruns == before.Underruns ||
		st.DroppedMs == before.DroppedMs || st.InsertedMs == before.InsertedMs {
		t.Error("the measured run did not exercise FEC, underruns, drops and inserts")
	}
}

func BenchmarkRead10ms(b *testing.B) {
	p, err := New(Config{Channels: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	s := newSchedule(b, network{seconds: 60, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, seed: 14})
	pcm := make([]int16, 960)
	for range 100 {
		s.step(p, pcm)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if s.next == len(s.pkts) {
			b.StopTimer()
			p.Close()
			p, _ = New(Config{Channels: 2})
			s = newSchedule(b, network{seconds: 60, base: 30 * time.Millisecond, jitter: 10 * time.Millisecond, seed: 14})
			b.StartTimer()
		}
		s.step(p, pcm)
	}
}

// TestRepeatedDropouts: the sender keeps going quiet for longer than an
// underrun is concealed, so the playout fades to silence and back in again
// and again, at every position in its buffer.
func TestRepeatedDropouts(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pkts := encoded(t, pureTone, 3000)
	epoch := time.Unix(1_700_000_000, 0)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 3}}
	pcm := make([]int16, 480)
	var out []int16
	now, seq := time.Duration(0), uint16(0)
	for k := 0; k < len(pkts); k++ {
		// Every 40 packets the sender is silent for 400 ms (20 packets).
		if k%60 >= 40 {
			now += packetDur
			for range 2 {
				p.Read(pcm)
				out = append(out, pcm...)
			}
			continue
		}
		pkt.SequenceNumber, pkt.Timestamp, pkt.Payload = seq, uint32(k*960), pkts[k]
		seq++
		p.Push(&pkt, epoch.Add(now))
		now += packetDur
		for range 2 {
			p.Read(pcm)
			out = append(out, pcm...)
		}
	}
	if s := maxStep(out[sampleRate/5:]); s > clickLimit() {
		t.Errorf("step of %d, limit %d", s, clickLimit())
	}
	st := p.Stats()
	if st.Underruns < 40 {
		t.Errorf("%d underruns, want one per silence", st.Underruns)
	}
	t.Logf("%d underruns, concealed %.0f ms, buffered delay %v, target %v", st.Underruns, st.ConcealedMs, st.BufferedDelay, st.TargetDelay)
}
