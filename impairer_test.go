package main

// A link emulator in user space, for calls over an impaired network on a
// kernel without netem: each side of the call lives in its own network
// namespace whose route to the other side goes through a TUN device, and
// the test process copies IP packets between the two TUN devices through
// an impairment stage (random loss, delay with jitter, a rate cap with a
// bounded queue).

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

// impConfig is what one direction of the link does to the packets that
// cross it. The zero value passes everything at once.
type impConfig struct {
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

// impCounts is what one direction has done so far.
type impCounts struct {
	In, Lost, Overflow, Out uint64 // packets
	InBytes, OutBytes       uint64
	MaxQueueDelay           time.Duration // longest wait behind the rate cap
	// MaxSecondBytes is the most bytes that left in one whole second
	// (counted from the start), leaving out the second still running.
	MaxSecondBytes uint64
}

func (c impCounts) String() string {
	return fmt.Sprintf("%d packets in, %d lost at random, %d dropped by the full queue, %d out (%d bytes, at most %.0f kbit/s in a second); longest queueing %v",
		c.In, c.Lost, c.Overflow, c.Out, c.OutBytes, float64(c.MaxSecondBytes*8)/1000, c.MaxQueueDelay.Round(time.Millisecond))
}

// impPacket is a packet waiting for its time to leave.
type impPacket struct {
	at   time.Time
	n    uint64 // arrival order, to break ties
	data []byte
}

type impQueue []impPacket

func (q impQueue) Len() int { return len(q) }
func (q impQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].n < q[j].n
}
func (q impQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *impQueue) Push(x any)   { *q = append(*q, x.(impPacket)) }
func (q *impQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = impPacket{}
	*q = old[:len(old)-1]
	return p
}

// impPath is one direction of the link: a reader goroutine takes packets
// from src and schedules them, a writer goroutine writes each to dst when
// its time comes.
type impPath struct {
	cfg      impConfig
	src, dst *os.File

	// Used by the reader goroutine only.
	rng       *rand.Rand
	busyUntil time.Time // when the bottleneck has sent everything queued
	lastAt    time.Time // latest release time given out (InOrder)
	arrivals  uint64

	mu    sync.Mutex
	queue impQueue
	wake  chan struct{}

	in, lost, overflow, out atomic.Uint64
	inBytes, outBytes       atomic.Uint64
	maxQueueDelay           atomic.Int64

	// Bytes written in each whole second since the link started (writer
	// goroutine; read under mu).
	started   time.Time
	perSecond []uint64
}

// schedule decides the fate of a packet of size bytes that arrived at now:
// whether it is dropped, and when it leaves.
func (p *impPath) schedule(now time.Time, size int) (at time.Time, ok bool) {
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

func (p *impPath) read() {
	buf := make([]byte, 65536)
	for {
		n, err := p.src.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return
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
		heap.Push(&p.queue, impPacket{at: at, n: p.arrivals, data: append([]byte(nil), buf[:n]...)})
		p.mu.Unlock()
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

func (p *impPath) write(done <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		var due []impPacket
		now := time.Now()
		for len(p.queue) > 0 && !p.queue[0].at.After(now) {
			due = append(due, heap.Pop(&p.queue).(impPacket))
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
			sec := int(time.Since(p.started) / time.Second)
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

func (p *impPath) counts() impCounts {
	p.mu.Lock()
	var most uint64
	if n := len(p.perSecond); n > 1 {
		most = slices.Max(p.perSecond[:n-1])
	}
	p.mu.Unlock()
	return impCounts{
		In: p.in.Load(), Lost: p.lost.Load(), Overflow: p.overflow.Load(), Out: p.out.Load(),
		InBytes: p.inBytes.Load(), OutBytes: p.outBytes.Load(),
		MaxQueueDelay:  time.Duration(p.maxQueueDelay.Load()),
		MaxSecondBytes: most,
	}
}

// impLink joins two packet endpoints (TUN devices, or datagram sockets in
// the unit test) through an impairment stage in each direction.
type impLink struct {
	ab, ba *impPath
	a, b   *os.File
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// impStart copies packets read from a to b through ab, and from b to a
// through ba, until Close. The link owns a and b and closes them. Both
// must be non-blocking files (os.NewFile on an O_NONBLOCK descriptor), so
// that closing them ends the reads.
func impStart(a, b *os.File, ab, ba impConfig) *impLink {
	l := &impLink{a: a, b: b, done: make(chan struct{})}
	mk := func(cfg impConfig, src, dst *os.File) *impPath {
		return &impPath{
			cfg: cfg, src: src, dst: dst,
			rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
			wake:    make(chan struct{}, 1),
			started: time.Now(),
		}
	}
	l.ab, l.ba = mk(ab, a, b), mk(ba, b, a)
	for _, p := range []*impPath{l.ab, l.ba} {
		l.wg.Add(2)
		go func() { defer l.wg.Done(); p.read() }()
		go func() { defer l.wg.Done(); p.write(l.done) }()
	}
	return l
}

// Close stops the copying, closes both endpoints and waits for the
// goroutines to end.
func (l *impLink) Close() {
	l.once.Do(func() {
		close(l.done)
		l.a.Close()
		l.b.Close()
		l.wg.Wait()
	})
}

// impOpenTUN makes a TUN device called name inside the network namespace
// ns (a name under /var/run/netns) and returns it open, non-blocking. The
// device goes away when the file is closed. Needs root.
func impOpenTUN(ns, name string) (*os.File, error) {
	var f *os.File
	err := inNamespace(ns, func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("/dev/net/tun: %w", err)
		}
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF %s: %w", name, err)
		}
		f = os.NewFile(uintptr(fd), "tun:"+ns+"/"+name)
		return nil
	})
	if err != nil && f != nil {
		f.Close()
		f = nil
	}
	return f, err
}
