// Package linkemu is a network link emulator in user space, for calls over
// an impaired network on a kernel without netem. It copies packets between
// two endpoints — TUN devices, each the route of a network namespace to
// the other side, or datagram sockets in tests — through an impairment
// stage in each direction: random loss, delay with jitter, and a rate cap
// with a bounded queue.
package linkemu

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Config is what one direction of the link does to the packets that cross
// it. The zero value passes everything at once.
type Config struct {
	// Loss is the fraction of packets (0 to 1) dropped at random, each
	// independently of the others, as netem's "loss N%".
	Loss float64
	// Delay is the one-way delay every packet gets.
	Delay time.Duration
	// Jitter spreads the delay uniformly over Delay±Jitter, each packet
	// drawn on its own, as netem's "delay D J" without a distribution
	// table. Like netem, this reorders packets closer together than the
	// spread unless InOrder is set.
	Jitter time.Duration
	// InOrder holds a packet back until every packet that came in before
	// it has left, so jitter never reorders.
	InOrder bool
	// RateBps caps the link at this many bits a second of IP packets (0:
	// no cap). Packets wait in a queue of QueueBytes behind the bottleneck;
	// one that does not fit is dropped (tail drop, as tbf's limit).
	RateBps    int
	QueueBytes int
	// Seed makes the random choices repeatable.
	Seed uint64
}

// Counts is what one direction has done so far.
type Counts struct {
	In, Lost, Overflow, Out uint64 // packets
	InBytes, OutBytes       uint64
	MaxQueueDelay           time.Duration // longest wait behind the rate cap
	// MaxSecondBytes is the most bytes due to leave in one whole second
	// (counted from the start, by the time each packet was due, so that a
	// writer running late on a busy machine does not count one second's
	// packets in the next), leaving out the second still running.
	MaxSecondBytes uint64
}

func (c Counts) String() string {
	return fmt.Sprintf("%d packets in, %d lost at random, %d dropped by the full queue, %d out (%d bytes, at most %.0f kbit/s in a second); longest queueing %v",
		c.In, c.Lost, c.Overflow, c.Out, c.OutBytes, float64(c.MaxSecondBytes*8)/1000, c.MaxQueueDelay.Round(time.Millisecond))
}

// packet is a packet waiting for its time to leave.
type packet struct {
	at   time.Time
	n    uint64 // arrival order, to break ties
	data []byte
}

// queue is a heap of packets, the earliest due first.
type queue []packet

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].n < q[j].n
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(packet)) }
func (q *queue) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = packet{}
	*q = old[:len(old)-1]
	return p
}

// path is one direction of the link: a reader goroutine takes packets from
// src and schedules them, a writer goroutine writes each to dst when its
// time comes.
type path struct {
	cfg      Config
	src, dst *os.File

	// Used by the reader goroutine only.
	rng       *rand.Rand
	busyUntil time.Time // when the bottleneck has sent everything queued
	lastAt    time.Time // latest release time given out (InOrder)
	arrivals  uint64

	mu    sync.Mutex
	queue queue
	wake  chan struct{}

	in, lost, overflow, out atomic.Uint64
	inBytes, outBytes       atomic.Uint64
	maxQueueDelay           atomic.Int64

	// Bytes written, by the whole second (since the link started) in
	// which each was due; under mu.
	started   time.Time
	perSecond []uint64
}

// schedule decides the fate of a packet of size bytes that arrived at now:
// whether it is dropped, and when it leaves.
func (p *path) schedule(now time.Time, size int) (at time.Time, ok bool) {
	if p.cfg.Loss > 0 && p.rng.Float64() < p.cfg.Loss {
		p.lost.Add(1)
		return time.Time{}, false
	}
	at = now
	if p.cfg.RateBps > 0 {
		start := p.busyUntil
		if start.Before(now) {
			start = now
		}
		waiting := start.Sub(now) // what is queued ahead, as time on the wire
		if queued := int(waiting.Seconds() * float64(p.cfg.RateBps) / 8); queued+size > p.cfg.QueueBytes {
			p.overflow.Add(1)
			return time.Time{}, false
		}
		p.busyUntil = start.Add(time.Duration(float64(size*8) / float64(p.cfg.RateBps) * float64(time.Second)))
		at = p.busyUntil
		if w := int64(at.Sub(now)); w > p.maxQueueDelay.Load() {
			p.maxQueueDelay.Store(w)
		}
	}
	d := p.cfg.Delay
	if p.cfg.Jitter > 0 {
		d += time.Duration(p.rng.Int64N(int64(2*p.cfg.Jitter)+1)) - p.cfg.Jitter
	}
	at = at.Add(max(d, 0))
	if p.cfg.InOrder {
		if at.Before(p.lastAt) {
			at = p.lastAt
		}
		p.lastAt = at
	}
	return at, true
}

func (p *path) read() {
	buf := make([]byte, 65536)
	for {
		n, err := p.src.Read(buf)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return // closed
		}
		now := time.Now()
		p.in.Add(1)
		p.inBytes.Add(uint64(n))
		at, ok := p.schedule(now, n)
		if !ok {
			continue
		}
		p.arrivals++
		p.mu.Lock()
		heap.Push(&p.queue, packet{at: at, n: p.arrivals, data: append([]byte(nil), buf[:n]...)})
		p.mu.Unlock()
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

func (p *path) write(done <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		var due []packet
		now := time.Now()
		for len(p.queue) > 0 && !p.queue[0].at.After(now) {
			due = append(due, heap.Pop(&p.queue).(packet))
		}
		wait := time.Hour
		if len(p.queue) > 0 {
			wait = p.queue[0].at.Sub(now)
		}
		p.mu.Unlock()
		for _, pkt := range due {
			if _, err := p.dst.Write(pkt.data); err != nil {
				if errors.Is(err, os.ErrClosed) {
					return
				}
				continue // the kernel refused it: lost, like on a wire
			}
			p.out.Add(1)
			p.outBytes.Add(uint64(len(pkt.data)))
			sec := max(int(pkt.at.Sub(p.started)/time.Second), 0)
			p.mu.Lock()
			for len(p.perSecond) <= sec {
				p.perSecond = append(p.perSecond, 0)
			}
			p.perSecond[sec] += uint64(len(pkt.data))
			p.mu.Unlock()
		}
		if len(due) > 0 {
			continue // time has passed while writing: look again
		}
		timer.Reset(wait)
		select {
		case <-done:
			return
		case <-p.wake:
		case <-timer.C:
		}
	}
}

func (p *path) counts() Counts {
	p.mu.Lock()
	var most uint64
	if n := len(p.perSecond); n > 1 {
		most = slices.Max(p.perSecond[:n-1])
	}
	p.mu.Unlock()
	return Counts{
		In: p.in.Load(), Lost: p.lost.Load(), Overflow: p.overflow.Load(), Out: p.out.Load(),
		InBytes: p.inBytes.Load(), OutBytes: p.outBytes.Load(),
		MaxQueueDelay:  time.Duration(p.maxQueueDelay.Load()),
		MaxSecondBytes: most,
	}
}

// Link joins two packet endpoints, A and B, through an impairment stage in
// each direction.
type Link struct {
	ab, ba *path
	a, b   *os.File
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// Start copies packets read from a to b through ab, and from b to a
// through ba, until Close. The link owns a and b and closes them. Both
// must be non-blocking files (os.NewFile on an O_NONBLOCK descriptor, as
// OpenTUN returns), so that closing them ends the reads.
func Start(a, b *os.File, ab, ba Config) *Link {
	l := &Link{a: a, b: b, done: make(chan struct{})}
	mk := func(cfg Config, src, dst *os.File) *path {
		return &path{
			cfg: cfg, src: src, dst: dst,
			rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
			wake:    make(chan struct{}, 1),
			started: time.Now(),
		}
	}
	l.ab, l.ba = mk(ab, a, b), mk(ba, b, a)
	for _, p := range []*path{l.ab, l.ba} {
		l.wg.Add(2)
		go func() { defer l.wg.Done(); p.read() }()
		go func() { defer l.wg.Done(); p.write(l.done) }()
	}
	return l
}

// AB is what the A→B direction has done so far.
func (l *Link) AB() Counts { return l.ab.counts() }

// BA is what the B→A direction has done so far.
func (l *Link) BA() Counts { return l.ba.counts() }

// Close stops the copying, closes both endpoints and waits for the
// goroutines to end.
func (l *Link) Close() {
	l.once.Do(func() {
		close(l.done)
		l.a.Close()
		l.b.Close()
		l.wg.Wait()
	})
}
