// Package playout is the receive side of a Peercall call's audio: it sits
// between the network, which hands over Opus RTP packets whenever they
// arrive (late, lost, duplicated or out of order), and the speaker, whose
// audio callback pulls a few milliseconds of PCM at a time on its own thread
// and by its own clock.
//
// Packets wait in a jitter buffer ordered by sequence number. When the
// speaker needs audio, the next packet is decoded; a packet missing at that
// moment is rebuilt from the in-band FEC of the packet after it if that one
// is already there and carries FEC, and concealed by the Opus decoder
// otherwise. If nothing at all is buffered, concealment stretches the audio
// until packets come back (fading to silence after 200 ms), so the sound
// never stops abruptly. Wherever audio does not follow on from what came
// before, the new audio is cross-faded in from the decoder's continuation of
// the old.
//
// The buffer's delay adapts. Packet arrival times give the fastest transit
// through the network and how much later than that recent packets came. The
// target delay covers that lateness (rising at once, held for two seconds,
// then decaying), half a read of the speaker, underruns the arrival times do
// not explain (a device reading in bursts), and, while packets are being
// lost and the stream carries FEC, one more packet so that FEC has something
// to work with. The delay in use is measured against the same fastest
// transit. When it strays from the target (network changes, or the two
// machines' clocks drifting apart by up to a millisecond a second), a 5 to
// 15 ms slice is dropped or repeated, cut at a pitch period and cross-faded,
// so that even a pure tone shows no step; a slice goes preferably where the
// audio is quiet. Gaps are concealed only as far as the delay needs them,
// and beyond MaxDelay whole packets are discarded.
//
// Push and Read may be called from different goroutines; a mutex serialises
// them, and Read holds it while decoding, which takes some tens of
// microseconds per packet. Neither allocates.
package playout

import (
	"errors"
	"math"
	"sync"
	"time"

	"github.com/pion/rtp"

	"peercall/media/opus"
)

// Config configures a Playout.
type Config struct {
	// Channels is the output's channel count, 1 or 2 (0 means 1). The call's
	// mono audio is duplicated into both channels of a stereo output.
	Channels int
	// MinDelay and MaxDelay bound the adaptive target delay; zero selects
	// 20 ms and 300 ms. MaxDelay may not exceed 1 s.
	MinDelay, MaxDelay time.Duration
}

// Stats is what the playout has seen and done so far.
type Stats struct {
	// PacketsReceived counts every packet handed to Push.
	PacketsReceived uint64
	// PacketsLate counts packets that arrived after their turn to play had
	// passed (they had been concealed or recovered by then); they are dropped.
	PacketsLate uint64
	// PacketsLost counts packets missing when their turn came, whether
	// concealed, recovered from FEC or skipped.
	PacketsLost uint64
	// FECRecovered counts lost packets rebuilt from the FEC of the next one.
	FECRecovered uint64
	// PacketsDuplicate counts copies of packets already buffered or played.
	PacketsDuplicate uint64
	// PacketsReordered counts packets that came after a later one but still
	// in time to be played.
	PacketsReordered uint64
	// PacketsDiscarded counts packets thrown away unplayed to bring the
	// delay back under MaxDelay.
	PacketsDiscarded uint64
	// Underruns counts the times the buffer ran dry and playout had to
	// stretch the audio until packets came back.
	Underruns uint64
	// ConcealedMs is how much audio the decoder's loss concealment produced.
	ConcealedMs float64
	// DroppedMs and InsertedMs are how much audio the delay adaptation
	// removed and added by dropping or repeating slices.
	DroppedMs, InsertedMs float64
	// TargetDelay is the delay the buffer aims at.
	TargetDelay time.Duration
	// BufferedDelay is the delay the buffer currently adds: how long the
	// fastest recent packets wait between arriving and being played. It
	// grows while the buffer is dry, as playout falls behind.
	BufferedDelay time.Duration
	// Jitter is the RFC 3550 interarrival jitter.
	Jitter time.Duration
	// LevelDBFS is the level of the last 100 ms played, in dBFS (a
	// full-scale sine reads about -3); -120 for silence.
	LevelDBFS float64
}

// All lengths below are in samples at 48 kHz.
//
// plcStep is the granularity of concealment. The decoder conceals smoothly
// from one call to the next only in whole 10 ms steps: asked for less, its
// SILK layer synthesises 10 ms and throws the rest away, and the next call
// jumps.
const (
	sampleRate   = opus.SampleRate
	samplesPerMs = sampleRate / 1000
	quantum      = 120 // 2.5 ms, the shortest Opus frame
	plcStep      = 10 * samplesPerMs

	maxPacketSamples = opus.MaxFrameSamples
	defaultFrame     = 20 * samplesPerMs

	slotCount   = 128             // packets the buffer can hold, a power of two
	maxPayload  = 1500            // largest payload accepted
	playedCount = 256             // recently played sequence numbers remembered, a power of two
	restartGap  = 3000            // sequence jump taken for a restarted stream
	jumpLimit   = 10 * sampleRate // timestamp jump taken for a restarted stream

	maxChunk     = 40 * samplesPerMs  // Read works in pieces of at most this
	maxConceal   = 20 * samplesPerMs  // largest single concealment
	muteAfter    = 200 * samplesPerMs // an underrun turns to silence after this
	safetyMargin = quantum            // added to the target

	adaptHigh     = 10 * samplesPerMs  // drop a slice above target+adaptHigh
	adaptLow      = 5 * samplesPerMs   // insert a slice below target-adaptLow
	adaptUrgent   = 60 * samplesPerMs  // further away than this, adapt faster
	slowEvery     = 100 * samplesPerMs // least audio between two adaptations
	fastEvery     = 30 * samplesPerMs  // the same when urgent
	quietPatience = 500 * samplesPerMs // longest wait for quiet audio to adapt in
	latencySlack  = 20 * samplesPerMs  // over MaxDelay before packets are discarded
	lateStep      = 5 * samplesPerMs   // target added by an underrun
	lateMax       = 30 * samplesPerMs  // at most
	lateDecay     = 20 * sampleRate    // time constant of its decay

	offsetGain = 1.0 / 16 // smoothing of the measured delay, per packet
	lossGain   = 1.0 / 64 // smoothing of the loss rate, per packet
	lossOn     = 0.02     // loss rate above which the target makes room for FEC
	lossOff    = 0.005    // and below which it stops
	fecUseful  = 0.3      // share of packets with FEC that makes room for it worthwhile
	levelSpan  = 100 * samplesPerMs
)

// slot is one buffered packet.
type slot struct {
	seq     int64 // extended sequence number; 0 when empty
	ts      int64 // extended timestamp
	frame   int   // duration from the packet's TOC, 0 if unknown
	fec     bool  // carries FEC for the packet before it
	odd     bool  // came later than the jitter estimate allowed for
	n       int
	payload [maxPayload]byte
}

// Playout is an adaptive jitter buffer and Opus decoder for one call's
// incoming audio. Create it with New; release it with Close.
type Playout struct {
	mu       sync.Mutex
	channels int
	minDelay float64
	maxDelay float64
	dec      *opus.Decoder
	closed   bool

	// The incoming stream. Sequence numbers and timestamps are extended to
	// 64 bits; decTS is the timestamp of the next sample to decode.
	started    bool
	ssrc       uint32
	nextSeq    int64
	highest    int64
	highestTS  int64
	decTS      int64
	slots      [slotCount]slot
	buffered   int
	played     [playedCount]int64
	leadIn     bool // silence before the stream's first packet
	decodedAny bool
	lastFrame  int
	fecFor     int64 // a gap is being filled before this packet, ending with its FEC

	// Decoded audio and the state of its continuity.
	fifo      fifo
	discont   bool // what is decoded next must be faded in from tail
	tailReady bool // tail holds what to fade from
	silent    bool // the audio so far ends in silence
	expandRun int  // samples of the current underrun
	tail      [xfade]int16

	// Timing, in samples. readPos is the timestamp the speaker has read up
	// to; offset is the smoothed arrival time minus readPos, so offset minus
	// the fastest transit is the delay the buffer adds.
	baseArrival time.Time
	baseTS      int64
	readPos     int64
	offset      float64
	haveOffset  bool
	est         delayEstimator
	lastTransit float64
	haveTransit bool
	jitter      float64 // RFC 3550
	lossRate    float64
	lossMargin  bool
	fecRate     float64 // share of recent packets carrying FEC
	lateMargin  float64 // added to the target after underruns
	readFrames  int

	// Adaptation.
	sinceAdapt int     // samples played since the last drop or insert
	waited     int     // samples an adaptation has waited for quiet audio
	energy     float64 // running mean square of the output

	levelSum float64
	levelN   int
	level    float64

	stats Stats
}

// New creates a Playout.
func New(cfg Config) (*Playout, error) {
	ch := cfg.Channels
	if ch == 0 {
		ch = 1
	}
	if ch != 1 && ch != 2 {
		return nil, errors.New("playout: channels must be 1 or 2")
	}
	minD, maxD := cfg.MinDelay, cfg.MaxDelay
	if minD == 0 {
		minD = 20 * time.Millisecond
	}
	if maxD == 0 {
		maxD = 300 * time.Millisecond
	}
	switch {
	case minD < 0 || maxD < 0:
		return nil, errors.New("playout: negative delay bound")
	case minD > maxD:
		return nil, errors.New("playout: MinDelay above MaxDelay")
	case maxD > time.Second:
		return nil, errors.New("playout: MaxDelay above 1 s")
	}
	dec, err := opus.NewDecoder(1)
	if err != nil {
		return nil, err
	}
	return &Playout{
		channels:  ch,
		minDelay:  minD.Seconds() * sampleRate,
		maxDelay:  maxD.Seconds() * sampleRate,
		dec:       dec,
		fifo:      newFIFO(),
		lastFrame: defaultFrame,
		level:     minLevel,
	}, nil
}

const minLevel = -120.0

// Push takes one RTP packet of the call's Opus stream, which arrived at
// arrival. It copies what it keeps, so pkt may be reused at once. Safe to
// call concurrently with Read.
func (p *Playout) Push(pkt *rtp.Packet, arrival time.Time) {
	if pkt == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.stats.PacketsReceived++
	payload := pkt.Payload
	if len(payload) == 0 || len(payload) > maxPayload {
		return
	}
	if !p.started || pkt.SSRC != p.ssrc {
		p.ssrc = pkt.SSRC
		p.restart(int64(pkt.SequenceNumber)+1<<32, int64(pkt.Timestamp)+1<<32, arrival)
	}
	seq := p.highest + int64(int16(pkt.SequenceNumber-uint16(p.highest)))
	ts := p.highestTS + int64(int32(pkt.Timestamp-uint32(p.highestTS)))

	// A timestamp that no network delay can explain means the sender's
	// clock jumped: start over from this packet.
	jumped := p.est.primed && math.Abs(p.transit(arrival, ts)-p.est.minTransit) > jumpLimit
	if seq < p.nextSeq {
		if p.played[seq&(playedCount-1)] == seq {
			p.stats.PacketsDuplicate++
			return
		}
		if p.nextSeq-seq <= restartGap {
			p.stats.PacketsLate++
			if !jumped {
				p.observe(arrival, ts)
			}
			return
		}
		p.restart(seq, ts, arrival) // the sender started over
	} else if seq-p.nextSeq >= slotCount || jumped {
		p.restart(seq, ts, arrival) // too far ahead to wait for the gap, or a new timeline
	}

	s := &p.slots[seq&(slotCount-1)]
	if s.seq == seq {
		p.stats.PacketsDuplicate++
		return
	}
	if s.seq == 0 {
		p.buffered++
	}
	s.seq, s.ts = seq, ts
	s.n = copy(s.payload[:], payload)
	s.frame = packetSamples(payload)
	s.fec = hasFEC(payload)
	p.fecRate += (b2f(s.fec) - p.fecRate) * lossGain
	if seq < p.highest {
		p.stats.PacketsReordered++
	} else {
		p.highest, p.highestTS = seq, ts
	}
	s.odd = p.observe(arrival, ts)
}

// restart begins a new stream (or picks up one that jumped) at the packet
// seq, ts: the buffer is emptied and, so that the delay starts at the
// target, a lead of silence (first stream) or concealment is scheduled
// before the packet.
func (p *Playout) restart(seq, ts int64, arrival time.Time) {
	for i := range p.slots {
		p.slots[i].seq = 0
	}
	p.buffered = 0
	p.fecFor = 0
	p.started = true
	p.nextSeq, p.highest, p.highestTS = seq, seq, ts
	p.est.reset()
	p.haveOffset, p.haveTransit = false, false
	p.baseArrival, p.baseTS = arrival, ts
	pending := int64(p.fifo.pending())
	lead := max(int64(p.target())-pending, 0) / plcStep * plcStep
	p.decTS = ts - lead
	p.readPos = p.decTS - pending
	p.leadIn = !p.decodedAny || p.silent
	p.discont = true
}

// observe feeds a packet's arrival into the delay measurements. It tells
// whether the packet was later than the jitter estimate allowed for.
func (p *Playout) observe(arrival time.Time, ts int64) (odd bool) {
	at := p.arrivalSamples(arrival)
	transit := at - float64(ts-p.baseTS)
	odd = p.est.primed && transit-p.est.minTransit > p.est.jitter+safetyMargin
	p.est.add(at, transit)
	if p.haveTransit {
		p.jitter += (math.Abs(transit-p.lastTransit) - p.jitter) / 16
	}
	p.lastTransit, p.haveTransit = transit, true

	p.sync()
	m := at - float64(p.readPos-p.baseTS)
	if !p.haveOffset {
		p.offset, p.haveOffset = m, true
	} else {
		p.offset += (m - p.offset) * offsetGain
	}
	return odd
}

// arrivalSamples returns an arrival time in samples since the stream began.
func (p *Playout) arrivalSamples(arrival time.Time) float64 {
	return float64(arrival.Sub(p.baseArrival)) * sampleRate / float64(time.Second)
}

// transit returns arrival time minus timestamp, in samples.
func (p *Playout) transit(arrival time.Time, ts int64) float64 {
	return p.arrivalSamples(arrival) - float64(ts-p.baseTS)
}

// sync accounts for changes of the read position in the stream's timeline
// that did not come from reading (concealment stretching the audio, slices
// dropped or inserted, gaps skipped): they change the delay by as much.
func (p *Playout) sync() {
	cur := p.decTS - int64(p.fifo.pending())
	if d := cur - p.readPos; d != 0 {
		p.offset -= float64(d)
		p.readPos = cur
	}
}

// delay returns the delay the buffer currently adds, in samples.
func (p *Playout) delay() float64 {
	p.sync()
	if !p.haveOffset {
		return p.target()
	}
	return p.offset - p.est.minTransit
}

// target returns the delay to aim at, in samples.
func (p *Playout) target() float64 {
	half := float64(p.readFrames) / 2
	if p.readFrames == 0 {
		half = 5 * samplesPerMs
	}
	// The delay may sag by adaptLow before a slice is inserted; even then
	// it must cover the lateness and half a read (a packet arriving just
	// after a read waits for the next one).
	t := p.est.jitter + half + safetyMargin + adaptLow
	if p.lossMargin && p.fecRate > fecUseful {
		t += float64(p.lastFrame)
	}
	t += p.lateMargin
	return min(max(t, p.minDelay), p.maxDelay)
}

func (p *Playout) excess() float64 { return p.delay() - p.target() }

// Read fills pcm, interleaved with the configured channel count, with the
// next audio to play. It is meant for the audio device's thread: it never
// waits for the network, and gives silence until the first packet.
func (p *Playout) Read(pcm []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	frames := len(pcm) / p.channels
	if p.closed || !p.started || frames == 0 {
		clear(pcm)
		return
	}
	clear(pcm[frames*p.channels:])
	p.readFrames = min(frames, maxChunk)
	for done := 0; done < frames; {
		n := min(frames-done, maxChunk)
		p.readChunk(pcm[done*p.channels:(done+n)*p.channels], n)
		done += n
	}
}

func (p *Playout) readChunk(out []int16, n int) {
	p.adapt(n)
	for p.fifo.pending() < n {
		p.produce(n - p.fifo.pending())
	}
	f := &p.fifo
	src := f.buf[f.r : f.r+n]
	if p.channels == 1 {
		copy(out, src)
	} else {
		for i, v := range src {
			out[2*i], out[2*i+1] = v, v
		}
	}
	var sq float64
	for _, v := range src {
		sq += float64(v) * float64(v)
	}
	f.r += n
	p.readPos += int64(n)
	p.sinceAdapt += n
	p.sync()

	p.levelSum += sq
	p.levelN += n
	if p.levelN >= levelSpan {
		p.level = dbfs(p.levelSum / float64(p.levelN))
		p.levelSum, p.levelN = 0, 0
	}
	p.energy += (sq/float64(n) - p.energy) * float64(n) / sampleRate
	if p.lateMargin > 0 {
		p.lateMargin *= math.Exp(-float64(n) / lateDecay)
	}
}

func dbfs(meanSquare float64) float64 {
	if meanSquare <= 0 {
		return minLevel
	}
	return max(10*math.Log10(meanSquare/(32768*32768)), minLevel)
}

// produce adds at least one sample of audio to the FIFO.
func (p *Playout) produce(need int) {
	p.discardIfTooLate()
	s := p.nextAvailable()
	if s == nil {
		p.expand(need)
		return
	}
	missing := s.seq - p.nextSeq
	gap := s.ts - p.decTS
	if missing == 0 && gap < quantum {
		p.decode(s)
		return
	}
	p.fillGap(s, missing, gap)
}

// nextAvailable returns the earliest buffered packet not yet played.
func (p *Playout) nextAvailable() *slot {
	for seq := p.nextSeq; seq <= p.highest; seq++ {
		if s := &p.slots[seq&(slotCount-1)]; s.seq == seq {
			return s
		}
	}
	return nil
}

func (p *Playout) release(s *slot) {
	s.seq = 0
	p.buffered--
}

// fillGap fills the stretch of timeline before the buffered packet s, which
// is missing packets (lost, or not yet arrived while s did) or lies after a
// timestamp gap (the sender paused), one piece per call. The packet just
// before s comes from s's FEC when it has some; the rest is concealed, or
// skipped as far as the delay is above its target anyway.
func (p *Playout) fillGap(s *slot, missing, gap int64) {
	p.expandRun = 0 // an underrun, if any, ends here: not waiting any longer
	if missing > 0 {
		p.stats.PacketsLost += uint64(missing)
		for range min(missing, slotCount) {
			p.noteLoss(true)
		}
		p.nextSeq = s.seq
		p.fecFor = 0
		if s.fec && s.frame > 0 && gap >= int64(s.frame) {
			p.fecFor = s.seq
		}
	}
	fec := int64(0)
	if p.fecFor == s.seq {
		fec = int64(s.frame)
	}
	fill := max(gap-fec, 0)
	// Conceal whole steps, as few as the excess delay allows; skip the
	// rest of the gap.
	spare := min(max(int64(p.excess()), 0), fill)
	conc := (fill - spare + plcStep - 1) / plcStep * plcStep
	if conc > fill {
		conc = fill / plcStep * plcStep
	}
	if skip := fill - conc; skip > 0 {
		p.decTS += skip
		fill = conc
		p.discont = true
	}
	if fill > 0 {
		c := int(min(fill, maxConceal))
		if p.leadIn || p.silent {
			p.silence(c)
		} else {
			p.conceal(c)
		}
		p.decTS += int64(c)
		return
	}
	if fec > 0 {
		p.fecFor = 0
		p.decodeFEC(s, int(fec))
		p.decTS += fec
	}
}

// expand stretches the audio by concealment when nothing is buffered,
// without moving on in the stream: the packet awaited may still come.
func (p *Playout) expand(need int) {
	c := min((need+plcStep-1)/plcStep*plcStep, maxConceal)
	if p.expandRun == 0 {
		p.stats.Underruns++
	}
	switch {
	case p.silent || p.leadIn:
		p.silence(c)
	case p.expandRun >= muteAfter:
		// Long enough: fade the concealment out and stay silent.
		p.conceal(c)
		out := p.fifo.buf[p.fifo.w-c : p.fifo.w]
		for i := range out {
			if i < xfade {
				out[i] = clamp16(float32(out[i]) * (1 - fadeIn[i]))
			} else {
				out[i] = 0
			}
		}
		p.silent = true
	default:
		p.conceal(c)
	}
	p.expandRun += c
}

// discardIfTooLate throws buffered packets away while the delay is beyond
// MaxDelay, keeping the last one.
func (p *Playout) discardIfTooLate() {
	if p.buffered < 2 || p.delay() <= p.maxDelay+latencySlack {
		return
	}
	for p.buffered > 1 && p.excess() > adaptHigh {
		s := p.nextAvailable()
		if missing := s.seq - p.nextSeq; missing > 0 {
			p.stats.PacketsLost += uint64(missing)
		}
		dur := int64(s.frame)
		if dur == 0 {
			dur = defaultFrame
		}
		p.decTS = max(p.decTS, s.ts+dur)
		p.nextSeq = s.seq + 1
		p.release(s)
		p.stats.PacketsDiscarded++
		p.discont = true
	}
}

// prepareTail, before audio that does not follow on from what was produced
// last, makes the 5 ms the decoder would have concealed next (or silence)
// for finishTail to fade from.
func (p *Playout) prepareTail() {
	if !p.discont || p.tailReady {
		return
	}
	p.tailReady = true
	if p.silent || p.leadIn || !p.decodedAny {
		clear(p.tail[:])
		return
	}
	if _, err := p.dec.Decode(nil, p.tail[:]); err != nil {
		clear(p.tail[:])
	}
}

// finishTail fades the start of out in from the prepared tail, if any.
func (p *Playout) finishTail(out []int16) {
	if p.tailReady {
		crossfade(out, p.tail[:], out)
		p.tailReady = false
	}
}

// decode decodes the buffered packet s, which is next in the stream.
func (p *Playout) decode(s *slot) {
	seq, ts, odd := s.seq, s.ts, s.odd
	p.prepareTail()
	out := p.fifo.reserve(maxPacketSamples)
	n, err := p.dec.Decode(s.payload[:s.n], out)
	dur := s.frame
	p.release(s)
	p.nextSeq = seq + 1
	if err != nil || n <= 0 {
		// Undecodable: as good as lost.
		p.stats.PacketsLost++
		p.noteLoss(true)
		if dur == 0 {
			dur = defaultFrame
		}
		dur = (dur + plcStep - 1) / plcStep * plcStep
		if p.leadIn || p.silent {
			p.silence(dur)
		} else {
			p.conceal(dur)
		}
		p.decTS = ts + int64(dur)
		return
	}
	p.finishTail(out[:n])
	p.discont = false
	p.fifo.w += n
	p.decTS = ts + int64(n)
	p.played[seq&(playedCount-1)] = seq
	p.noteLoss(false)
	if p.expandRun > 0 && !p.silent && !odd {
		// The buffer ran dry waiting for this very packet, though it came
		// no later than expected: something the arrival times do not show
		// (a device reading in bursts, say) needs more delay.
		p.lateMargin = min(p.lateMargin+lateStep, lateMax)
	}
	p.expandRun = 0
	p.silent, p.leadIn, p.decodedAny = false, false, true
	if dur > 0 {
		p.lastFrame = dur
	}
}

// decodeFEC rebuilds the dur samples before packet s from its FEC.
func (p *Playout) decodeFEC(s *slot, dur int) {
	p.prepareTail()
	out := p.fifo.reserve(dur)
	n, err := p.dec.DecodeFEC(s.payload[:s.n], out)
	if err != nil || n != dur {
		p.conceal(dur)
		return
	}
	p.finishTail(out)
	p.discont = false
	p.fifo.w += n
	p.stats.FECRecovered++
	p.silent = false
}

// conceal adds c samples (a multiple of plcStep) of loss concealment.
func (p *Playout) conceal(c int) {
	out := p.fifo.reserve(c)
	if _, err := p.dec.Decode(nil, out); err != nil {
		clear(out)
	}
	p.finishTail(out) // after a tail was made for audio that failed to decode
	p.fifo.w += c
	p.stats.ConcealedMs += float64(c) / samplesPerMs
	p.discont = true
}

// silence adds c samples of silence.
func (p *Playout) silence(c int) {
	out := p.fifo.reserve(c)
	clear(out)
	p.finishTail(out)
	p.fifo.w += c
	p.discont = true
	p.silent = true
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (p *Playout) noteLoss(lost bool) {
	p.lossRate += (b2f(lost) - p.lossRate) * lossGain
	if p.lossRate > lossOn {
		p.lossMargin = true
	} else if p.lossRate < lossOff {
		p.lossMargin = false
	}
}

// decodeAhead decodes packets that are next in line, without treating a
// missing one as lost, until k samples are pending or none is ready.
func (p *Playout) decodeAhead(k int) {
	for p.fifo.pending() < k && !p.leadIn {
		s := &p.slots[p.nextSeq&(slotCount-1)]
		if s.seq != p.nextSeq || s.ts-p.decTS >= quantum {
			return
		}
		p.decode(s)
	}
}

// adapt drops or repeats a slice at the read position when the delay is
// away from the target: at most one slice every 100 ms (30 ms when far
// off), waiting up to half a second for quiet audio when only a little off.
// A slice never overshoots the target by more than the other threshold.
func (p *Playout) adapt(n int) {
	if !p.haveOffset || p.leadIn || p.expandRun > 0 {
		p.waited = 0
		return
	}
	ex := p.excess()
	f := &p.fifo
	every := slowEvery
	if math.Abs(ex) > adaptUrgent {
		every = fastEvery
	}
	switch {
	case ex > adaptHigh:
		if p.sinceAdapt < every {
			return
		}
		hi := min(maxSplice, int(ex))
		p.decodeAhead(hi + xfade)
		hi = min(hi, f.pending()-xfade)
		if hi < minSplice {
			return
		}
		if ex < 2*adaptHigh && p.waitForQuiet(f.r, f.r+hi+xfade, n) {
			return
		}
		l := f.bestSplice(minSplice, hi, true)
		f.drop(l)
		p.stats.DroppedMs += float64(l) / samplesPerMs
	case -ex > adaptLow:
		if p.sinceAdapt < every {
			return
		}
		hi := min(maxSplice, int(-ex)+adaptLow, f.history())
		p.decodeAhead(xfade)
		if hi < minSplice || f.pending() < xfade {
			return
		}
		if -ex < 2*adaptLow && p.waitForQuiet(f.r-hi, f.r+xfade, n) {
			return
		}
		l := f.bestSplice(minSplice, hi, false)
		f.insert(l)
		p.stats.InsertedMs += float64(l) / samplesPerMs
	default:
		p.waited = 0
		return
	}
	p.sinceAdapt, p.waited = 0, 0
}

// waitForQuiet tells whether to put an adaptation off: yes unless the
// audio it would touch is quiet, or it has already waited long enough.
func (p *Playout) waitForQuiet(from, to, n int) bool {
	if p.fifo.meanSquare(from, to) <= p.energy/4 {
		return false
	}
	p.waited += n
	return p.waited < quietPatience
}

// Stats returns the counters and the current delays and level.
func (p *Playout) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stats
	st.TargetDelay = samplesToDuration(p.target())
	if p.haveOffset {
		st.BufferedDelay = samplesToDuration(max(p.delay(), 0))
	}
	st.Jitter = samplesToDuration(p.jitter)
	st.LevelDBFS = p.level
	return st
}

func samplesToDuration(s float64) time.Duration {
	return time.Duration(s * float64(time.Second) / sampleRate)
}

// Close releases the decoder. Afterwards Push ignores packets and Read gives
// silence. Calling Close again is harmless.
func (p *Playout) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	return p.dec.Close()
}
