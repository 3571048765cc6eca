package playout

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"peercall/media/opus"
	"peercall/media/tone"
)

// A simulated call: a sender encoding a 440 Hz tone into 20 ms Opus packets
// as Peercall does, a network with a virtual clock, and a speaker reading
// 10 ms every 10 ms of that clock. Nothing sleeps.

const (
	packetDur   = 20 * time.Millisecond
	toneAmp     = 0.3
	seqStart    = 65000      // wraps early in every run
	tsStart     = 0xFFFF0000 // so does the timestamp
	testSSRC    = 0x5eed
	warmup      = 200 * time.Millisecond
	quietLevel  = 64                   // |sample| below this counts as silence (20 dB less for syllables)
	maxQuietRun = 5 * time.Millisecond // longest silence allowed in the output
	traceEvery  = 100 * time.Millisecond
)

// signal is what the sender sends.
type signal int

const (
	// pureTone is the steady 440 Hz tone of Peercall's headless calls.
	pureTone signal = iota
	// syllables is the same tone shaped like speech: 400 ms at full level,
	// then 100 ms 20 dB down, with 10 ms ramps. libopus's voice activity
	// detector soon takes a steady tone for background noise and then
	// stops sending FEC; the syllables keep it sending FEC as for speech.
	syllables
	signals
)

type encodedStream struct {
	pkts [][]byte
	enc  *opus.Encoder
	gen  *tone.Generator
}

var (
	streamMu sync.Mutex
	streams  [signals]encodedStream
)

// syllableGain is the envelope of the syllables signal at sample i.
func syllableGain(i int) float64 {
	const on, off, ramp, floor = 400 * samplesPerMs, 100 * samplesPerMs, 10 * samplesPerMs, 0.1
	switch p := i % (on + off); {
	case p < ramp:
		return floor + (1-floor)*float64(p)/ramp
	case p < on:
		return 1
	case p < on+ramp:
		return 1 - (1-floor)*float64(p-on)/ramp
	default:
		return floor
	}
}

// encoded returns the first n packets of a signal, encoding as needed. The
// packets are shared and must not be modified.
func encoded(t testing.TB, sig signal, n int) [][]byte {
	t.Helper()
	streamMu.Lock()
	defer streamMu.Unlock()
	st := &streams[sig]
	if st.enc == nil {
		enc, err := opus.NewEncoder(opus.EncoderConfig{Channels: 1, FEC: true, DTX: true, ExpectedLossPct: 10})
		if err != nil {
			t.Fatal(err)
		}
		st.enc, st.gen = enc, tone.NewGenerator(440, toneAmp, 1)
	}
	pcm := make([]int16, 960)
	buf := make([]byte, 1500)
	for len(st.pkts) < n {
		st.gen.Fill(pcm)
		if sig == syllables {
			for i := range pcm {
				pcm[i] = int16(float64(pcm[i]) * syllableGain(len(st.pkts)*960+i))
			}
		}
		m, err := st.enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		st.pkts = append(st.pkts, slices.Clone(buf[:m]))
	}
	return st.pkts[:n]
}

// naturalStep is the largest sample-to-sample step of the undisturbed tone.
func naturalStep() int {
	pcm := make([]int16, 48000)
	tone.NewGenerator(440, toneAmp, 1).Fill(pcm)
	return maxStep(pcm)
}

func maxStep(pcm []int16) int {
	m := 0
	for i := 1; i < len(pcm); i++ {
		m = max(m, abs(int(pcm[i])-int(pcm[i-1])))
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// network describes one simulated run.
type network struct {
	seconds   float64 // how long the sender sends
	signal    signal
	drift     float64       // sender clock rate error: +0.001 is 0.1 % fast
	base      time.Duration // fixed network delay
	jitter    time.Duration // extra delay, uniform in [0, jitter)
	loss      float64       // probability a packet is lost
	dup       float64       // probability a packet is also delivered again later
	reorder   float64       // probability a packet is held back by reorderBy
	reorderBy time.Duration
	stallAt   time.Duration // the network holds every packet from stallAt
	stallFor  time.Duration // for this long, then delivers them at once
	pauseAt   time.Duration // the sender sends nothing from pauseAt (sequence
	pauseFor  time.Duration // numbers stay consecutive, timestamps jump)
	restartAt time.Duration // from then on: new SSRC, sequence numbers and timestamps
	jumpAt    time.Duration // from then on, timestamps are off by jumpBy samples
	jumpBy    int64
	seed      uint64
	channels  int
	readEvery time.Duration // 10 ms if zero
	readBurst int           // the device reads this many at once (at the last one's time)
}

type tracePoint struct {
	at     time.Duration
	target time.Duration
	buffer time.Duration
}

type result struct {
	stats       Stats
	sent, dups  int
	recoverable int // packets lost whose successor arrived carrying FEC
	maxStep     int
	maxStepAt   time.Duration
	longestGap  time.Duration // longest run of near silence after warm-up, outside excluded spans
	gapAt       time.Duration
	freq        float64 // dominant frequency of the last second
	trace       []tracePoint
	lastSecond  []int16
	stereoEqual bool
}

type delivery struct {
	at   time.Duration
	k    int // packet of the signal
	seq  uint16
	ts   uint32
	ssrc uint32
}

// simulate runs the call. Output inside any of the excluded spans is not
// checked for silence.
func simulate(t testing.TB, n network, exclude ...[2]time.Duration) result {
	t.Helper()
	count := int(n.seconds * float64(time.Second/packetDur))
	pkts := encoded(t, n.signal, count)
	rng := rand.New(rand.NewPCG(n.seed, 0x9e3779b97f4a7c15))

	var res result
	var arr []delivery
	lost := make([]bool, count)
	seq, ssrc, tsBase := uint16(seqStart), uint32(testSSRC), uint32(tsStart)
	for k := range count {
		senderTime := time.Duration(k) * packetDur
		send := time.Duration(float64(senderTime) / (1 + n.drift))
		if n.pauseFor > 0 && senderTime >= n.pauseAt && senderTime < n.pauseAt+n.pauseFor {
			continue
		}
		if n.restartAt > 0 && senderTime == n.restartAt {
			seq, ssrc, tsBase = 1000, testSSRC+1, 12345-uint32(k)*960
		}
		d := delivery{k: k, seq: seq, ts: tsBase + uint32(k)*960, ssrc: ssrc}
		if n.jumpBy != 0 && senderTime >= n.jumpAt {
			d.ts += uint32(n.jumpBy)
		}
		seq++
		res.sent++
		if rng.Float64() < n.loss {
			lost[k] = true
			continue
		}
		at := send + n.base
		if n.jitter > 0 {
			at += time.Duration(rng.Int64N(int64(n.jitter)))
		}
		if rng.Float64() < n.reorder {
			at += n.reorderBy
		}
		if n.stallFor > 0 && at >= n.stallAt && at < n.stallAt+n.stallFor {
			at = n.stallAt + n.stallFor + time.Duration(k)*time.Microsecond
		}
		d.at = at
		arr = append(arr, d)
		if rng.Float64() < n.dup {
			res.dups++
			d.at += time.Duration(rng.Int64N(int64(60 * time.Millisecond)))
			arr = append(arr, d)
		}
	}
	slices.SortStableFunc(arr, func(a, b delivery) int { return int(a.at - b.at) })
	for k := 1; k < count; k++ {
		if lost[k-1] && !lost[k] && hasFEC(pkts[k]) {
			res.recoverable++
		}
	}

	channels := max(n.channels, 1)
	p, err := New(Config{Channels: channels})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	every := n.readEvery
	if every == 0 {
		every = 10 * time.Millisecond
	}
	frames := int(every.Seconds() * sampleRate)
	buf := make([]int16, frames*channels)
	mono := make([]int16, frames)
	epoch := time.Unix(1_700_000_000, 0)
	end := time.Duration(n.seconds*float64(time.Second)/(1+n.drift)) + n.base // the sender's last packet is due
	var pkt rtp.Packet
	pkt.Version, pkt.PayloadType = 2, 111

	res.stereoEqual = true
	var last []int16 // the last second
	var prev int16
	quiet := quietLevel
	if n.signal == syllables {
		quiet /= 10
	}
	var quietRun int
	var quietStart time.Duration
	next := 0
	nextTrace := time.Duration(0)
	burst := max(n.readBurst, 1)
	for i, now := 0, 3*time.Millisecond; now < end; i, now = i+1, now+every {
		// A bursty device makes all the reads of a burst at its first one's time.
		wall := now - time.Duration(i%burst)*every
		for next < len(arr) && arr[next].at <= wall {
			d := arr[next]
			pkt.SequenceNumber, pkt.Timestamp, pkt.SSRC = d.seq, d.ts, d.ssrc
			pkt.Payload = pkts[d.k]
			p.Push(&pkt, epoch.Add(d.at))
			next++
		}
		p.Read(buf)
		for i := range frames {
			mono[i] = buf[i*channels]
			if channels == 2 && buf[2*i] != buf[2*i+1] {
				res.stereoEqual = false
			}
		}
		if now < n.base {
			continue // nothing can have arrived yet
		}
		if now >= warmup {
			spanned := false
			for _, e := range exclude {
				spanned = spanned || now+every > e[0] && now < e[1]
			}
			at := func(i int) time.Duration { return now + time.Duration(i)*time.Second/sampleRate }
			for i, v := range mono {
				if s := abs(int(v) - int(prev)); s > res.maxStep {
					res.maxStep, res.maxStepAt = s, at(i)
				}
				prev = v
				if abs(int(v)) >= quiet || spanned && excluded(at(i), exclude) {
					quietRun = 0
					continue
				}
				if quietRun == 0 {
					quietStart = at(i)
				}
				quietRun++
				if d := time.Duration(quietRun) * time.Second / sampleRate; d > res.longestGap {
					res.longestGap, res.gapAt = d, quietStart
				}
			}
		} else {
			prev = mono[frames-1]
		}
		if now+every > end-time.Second {
			last = append(last, mono...)
		}
		if now >= nextTrace {
			st := p.Stats()
			res.trace = append(res.trace, tracePoint{now, st.TargetDelay, st.BufferedDelay})
			nextTrace += traceEvery
		}
	}
	res.stats = p.Stats()
	res.lastSecond = last
	res.freq = tone.DominantFrequency(last, sampleRate)
	return res
}

func excluded(at time.Duration, spans [][2]time.Duration) bool {
	for _, s := range spans {
		if at >= s[0] && at < s[1] {
			return true
		}
	}
	return false
}

// over returns the trace points at or after from and before to.
func (r result) over(from, to time.Duration) []tracePoint {
	var out []tracePoint
	for _, tp := range r.trace {
		if tp.at >= from && tp.at < to {
			out = append(out, tp)
		}
	}
	return out
}

func summarize(tps []tracePoint) (minB, maxB, meanB, minT, maxT time.Duration) {
	if len(tps) == 0 {
		return
	}
	minB, minT = time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	var sum time.Duration
	for _, tp := range tps {
		minB, maxB = min(minB, tp.buffer), max(maxB, tp.buffer)
		minT, maxT = min(minT, tp.target), max(maxT, tp.target)
		sum += tp.buffer
	}
	return minB, maxB, sum / time.Duration(len(tps)), minT, maxT
}

func (r result) log(t *testing.T, from, to time.Duration) {
	t.Helper()
	s := r.stats
	minB, maxB, meanB, minT, maxT := summarize(r.over(from, to))
	t.Logf("buffered %v..%v (mean %v), target %v..%v over [%v, %v)", ms(minB), ms(maxB), ms(meanB), ms(minT), ms(maxT), from, to)
	t.Logf("received %d (sent %d, dup %d): lost %d, FEC %d, late %d, dup %d, reordered %d, discarded %d, underruns %d",
		s.PacketsReceived, r.sent, r.dups, s.PacketsLost, s.FECRecovered, s.PacketsLate, s.PacketsDuplicate, s.PacketsReordered, s.PacketsDiscarded, s.Underruns)
	t.Logf("concealed %.1f ms, dropped %.1f ms, inserted %.1f ms; jitter %v, level %.1f dBFS, frequency %.2f Hz",
		s.ConcealedMs, s.DroppedMs, s.InsertedMs, ms(s.Jitter), s.LevelDBFS, r.freq)
	t.Logf("largest step %d at %v (natural %d), longest near-silence %v at %v", r.maxStep, r.maxStepAt, naturalStep(), r.longestGap, r.gapAt)
}

// ms rounds a duration to 0.1 ms for logs.
func ms(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
