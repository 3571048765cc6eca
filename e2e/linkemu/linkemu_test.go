package linkemu

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The link on its own, between two pairs of datagram sockets: loss, delay,
// jitter and rate as measured at the far end. Wall-clock bounds leave room
// for timers on a busy machine; TestSchedule checks the exact figures.
func TestLink(t *testing.T) {
	t.Run("loss", func(t *testing.T) {
		const n = 5000
		l, in, out := socketLink(t, Config{Loss: 0.2, Seed: 1})
		got := exchange(t, in, out, n, 100, 0)
		lost := 1 - float64(len(got))/n
		t.Logf("%.1f %% lost; link: %v", lost*100, l.AB())
		if lost < 0.18 || lost > 0.22 {
			t.Errorf("lost %.1f %% of %d packets, want 20 ± 2 %%", lost*100, n)
		}
	})
	delay := func(t *testing.T, inOrder bool) {
		l, in, out := socketLink(t, Config{Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, InOrder: inOrder, Seed: 2})
		got := exchange(t, in, out, 300, 200, 2*time.Millisecond)
		if len(got) != 300 {
			t.Fatalf("%d of 300 packets arrived", len(got))
		}
		var sum, lo, hi time.Duration
		lo = time.Hour
		reordered := 0
		for i, p := range got {
			sum += p.delay
			lo, hi = min(lo, p.delay), max(hi, p.delay)
			if i > 0 && p.seq < got[i-1].seq {
				reordered++
			}
		}
		mean := sum / time.Duration(len(got))
		t.Logf("one-way delay mean %v, min %v, max %v; %d arrivals out of order; link: %v",
			mean.Round(10*time.Microsecond), lo.Round(10*time.Microsecond), hi.Round(10*time.Microsecond), reordered, l.AB())
		// Nothing leaves early; timers and a busy machine can only add.
		if !inOrder && (mean < 37*time.Millisecond || mean > 50*time.Millisecond) {
			t.Errorf("mean delay %v, want 40 ms ± 3 ms (+7 ms for timers)", mean)
		}
		if lo < 30*time.Millisecond {
			t.Errorf("a packet took %v, want at least 30 ms: nothing leaves early", lo)
		}
		if late := lateOnes(got, 75*time.Millisecond); late > len(got)/50 {
			t.Errorf("%d of %d packets took over 75 ms (longest %v), want within 30 to 50 ms (+25 ms for timers) for all but 2 %%", late, len(got), hi)
		}
		if inOrder && reordered > 0 {
			t.Errorf("%d packets overtook others with InOrder set", reordered)
		}
		if !inOrder && reordered == 0 {
			t.Errorf("no packet overtook another: jitter of ±10 ms over packets 2 ms apart should reorder, as netem does")
		}
	}
	t.Run("delay", func(t *testing.T) { delay(t, false) })
	t.Run("delay-in-order", func(t *testing.T) { delay(t, true) })
	t.Run("rate", func(t *testing.T) {
		// 1 Mbit/s offered for 1.5 s into a 500 kbit/s link with a queue
		// of 200 ms.
		const rate, queue = 500_000, 12_500
		l, in, out := socketLink(t, Config{RateBps: rate, QueueBytes: queue, Seed: 3})
		got := exchange(t, in, out, 188, 1000, 8*time.Millisecond)
		if len(got) < 10 {
			t.Fatalf("only %d packets arrived", len(got))
		}
		span := got[len(got)-1].arrived.Sub(got[0].arrived)
		bps := float64((len(got)-1)*1000*8) / span.Seconds()
		c := l.AB()
		var worst time.Duration
		for _, p := range got {
			worst = max(worst, p.delay)
		}
		t.Logf("%.0f kbit/s out of 1000 offered; longest delay %v; link: %v", bps/1000, worst.Round(time.Millisecond), c)
		if bps < rate*0.95 || bps > rate*1.05 {
			t.Errorf("rate %.0f kbit/s, want 500 ± 5 %%", bps/1000)
		}
		if most := c.MaxSecondBytes * 8; most > rate+1000*8 {
			t.Errorf("%d kbit/s left in one second, more than the cap and a packet", most/1000)
		}
		if c.Overflow == 0 {
			t.Errorf("nothing dropped at twice the rate: the queue is not bounded")
		}
		limit := time.Duration(queue*8) * time.Second / rate
		if late := lateOnes(got, limit+25*time.Millisecond); late > len(got)/50 {
			t.Errorf("%d of %d packets waited more than the queue holds (%v, +25 ms for timers; longest %v), want none but 2 %%", late, len(got), limit, worst)
		}
	})
}

// lateOnes counts the packets that took longer than bound. The wall-clock
// checks allow a few: on a loaded machine one timer in a hundred can wake
// tens of milliseconds late, which is the machine's doing, not the link's,
// while a link that holds packets too long holds most of them too long.
func lateOnes(got []arrival, bound time.Duration) int {
	n := 0
	for _, p := range got {
		if p.delay > bound {
			n++
		}
	}
	return n
}

// The scheduler's decisions, away from the clock: the delay's spread and
// mean, reordering with and without InOrder, and the rate cap's spacing
// and queue bound.
func TestSchedule(t *testing.T) {
	newPath := func(cfg Config) *path {
		return &path{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	}
	start := time.Unix(1_000_000, 0)
	for _, inOrder := range []bool{false, true} {
		p := newPath(Config{Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, InOrder: inOrder, Seed: 7})
		const n = 10000
		var sum time.Duration
		var last time.Time
		reordered := 0
		for i := range n {
			now := start.Add(time.Duration(i) * 2 * time.Millisecond)
			at, ok := p.schedule(now, 100)
			if !ok {
				t.Fatal("a packet dropped on a link without loss or cap")
			}
			d := at.Sub(now)
			if !inOrder && (d < 30*time.Millisecond || d > 50*time.Millisecond) {
				t.Fatalf("delay %v, want 30 to 50 ms", d)
			}
			if at.Before(last) {
				reordered++
			}
			last = at
			sum += d
		}
		mean := sum / n
		t.Logf("InOrder %v: mean delay %v, %d of %d packets scheduled before one sent earlier", inOrder, mean, reordered, n)
		if !inOrder && (mean < 39500*time.Microsecond || mean > 40500*time.Microsecond) {
			t.Errorf("mean delay %v, want 40 ms ± 0.5 ms", mean)
		}
		if inOrder && reordered > 0 {
			t.Errorf("%d packets scheduled to overtake others with InOrder set", reordered)
		}
		if !inOrder && reordered < n/10 {
			t.Errorf("only %d of %d packets overtake another; jitter of ±10 ms over packets 2 ms apart reorders most", reordered, n)
		}
	}

	// 1000-byte packets offered every 8 ms (1 Mbit/s) into 500 kbit/s
	// with a 12.5 kB queue: one leaves every 16 ms, half are dropped, and
	// none waits longer than the queue holds.
	p := newPath(Config{RateBps: 500_000, QueueBytes: 12_500, Seed: 3})
	var sent, dropped int
	var prev time.Time
	for i := range 1000 {
		now := start.Add(time.Duration(i) * 8 * time.Millisecond)
		at, ok := p.schedule(now, 1000)
		if !ok {
			dropped++
			continue
		}
		if sent > 0 && at.Sub(prev) < 16*time.Millisecond {
			t.Fatalf("two packets %v apart at 500 kbit/s, want 16 ms or more", at.Sub(prev))
		}
		if wait := at.Sub(now); wait > 200*time.Millisecond {
			t.Fatalf("a packet waits %v behind the cap, more than the 200 ms queue", wait)
		}
		prev = at
		sent++
	}
	t.Logf("rate cap: %d sent, %d dropped by the full queue", sent, dropped)
	if dropped < 450 || dropped > 520 {
		t.Errorf("%d of 1000 packets dropped at twice the rate, want about half", dropped)
	}
}

// socketLink runs a link between two socket pairs: what the test writes to
// in comes out of out, through the link's A→B direction.
func socketLink(t *testing.T, ab Config) (l *Link, in, out *os.File) {
	t.Helper()
	pair := func() (*os.File, *os.File) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return os.NewFile(uintptr(fds[0]), "linkemu-test-0"), os.NewFile(uintptr(fds[1]), "linkemu-test-1")
	}
	in, a := pair()
	b, out := pair()
	l = Start(a, b, ab, Config{})
	t.Cleanup(func() {
		l.Close()
		in.Close()
		out.Close()
	})
	return l, in, out
}

type arrival struct {
	seq     uint32
	delay   time.Duration
	arrived time.Time
}

// exchange writes n packets of size bytes to in, gap apart, each carrying
// its number and send time, and returns those that come out of out until
// nothing has come for 300 ms.
func exchange(t *testing.T, in, out *os.File, n, size int, gap time.Duration) []arrival {
	t.Helper()
	arrivals := make(chan []arrival, 1)
	go func() {
		var got []arrival
		buf := make([]byte, 2048)
		for {
			out.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			m, err := out.Read(buf)
			if err != nil {
				break
			}
			now := time.Now()
			if m < 12 {
				continue
			}
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(buf[4:12])))
			got = append(got, arrival{seq: binary.BigEndian.Uint32(buf), delay: now.Sub(sent), arrived: now})
		}
		arrivals <- got
	}()
	pkt := make([]byte, size)
	start := time.Now()
	for i := range n {
		if gap > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * gap)))
		}
		binary.BigEndian.PutUint32(pkt, uint32(i))
		binary.BigEndian.PutUint64(pkt[4:], uint64(time.Now().UnixNano()))
		if _, err := in.Write(pkt); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	return <-arrivals
}
