package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"peercall/rtc"
)

// The link emulator on its own, between two pairs of datagram sockets:
// loss, delay and rate as measured at the far end.
func TestImpairEmulator(t *testing.T) {
	t.Run("loss", func(t *testing.T) {
		const n = 5000
		l, in, out := impSocketLink(t, impConfig{Loss: 0.2, Seed: 1})
		got := impExchange(t, in, out, n, 100, 0)
		lost := 1 - float64(len(got))/n
		t.Logf("%.1f %% lost; link: %v", lost*100, l.ab.counts())
		if lost < 0.18 || lost > 0.22 {
			t.Errorf("lost %.1f %% of %d packets, want 20 ± 2 %%", lost*100, n)
		}
	})
	delay := func(t *testing.T, inOrder bool) {
		l, in, out := impSocketLink(t, impConfig{Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, InOrder: inOrder, Seed: 2})
		got := impExchange(t, in, out, 300, 200, 2*time.Millisecond)
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
			mean.Round(10*time.Microsecond), lo.Round(10*time.Microsecond), hi.Round(10*time.Microsecond), reordered, l.ab.counts())
		if !inOrder && (mean < 37*time.Millisecond || mean > 44*time.Millisecond) {
			t.Errorf("mean delay %v, want 40 ms ± 3 ms (+1 ms for timers)", mean)
		}
		if lo < 30*time.Millisecond || hi > 56*time.Millisecond {
			t.Errorf("delays span %v to %v, want within 30 to 50 ms (+6 ms for timers)", lo, hi)
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
		l, in, out := impSocketLink(t, impConfig{RateBps: rate, QueueBytes: queue, Seed: 3})
		got := impExchange(t, in, out, 188, 1000, 8*time.Millisecond)
		if len(got) < 10 {
			t.Fatalf("only %d packets arrived", len(got))
		}
		span := got[len(got)-1].arrived.Sub(got[0].arrived)
		bps := float64((len(got)-1)*1000*8) / span.Seconds()
		c := l.ab.counts()
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
		if limit := time.Duration(queue*8) * time.Second / rate; worst > limit+10*time.Millisecond {
			t.Errorf("a packet waited %v, more than the queue holds (%v)", worst, limit)
		}
	})
}

// impSocketLink runs a link between two socket pairs: what the test
// writes to in comes out of out, through the link's a→b direction.
func impSocketLink(t *testing.T, ab impConfig) (l *impLink, in, out *os.File) {
	t.Helper()
	pair := func() (*os.File, *os.File) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return os.NewFile(uintptr(fds[0]), "imp-test-0"), os.NewFile(uintptr(fds[1]), "imp-test-1")
	}
	in, a := pair()
	b, out := pair()
	l = impStart(a, b, ab, impConfig{})
	t.Cleanup(func() {
		l.Close()
		in.Close()
		out.Close()
	})
	return l, in, out
}

type impArrival struct {
	seq     uint32
	delay   time.Duration
	arrived time.Time
}

// impExchange writes n packets of size bytes to in, gap apart, each
// carrying its number and send time, and returns those that come out of
// out until nothing has come for 300 ms.
func impExchange(t *testing.T, in, out *os.File, n, size int, gap time.Duration) []impArrival {
	t.Helper()
	arrivals := make(chan []impArrival, 1)
	go func() {
		var got []impArrival
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
			got = append(got, impArrival{seq: binary.BigEndian.Uint32(buf), delay: now.Sub(sent), arrived: now})
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

// impNet is two network namespaces joined only through the emulator: A
// holds 198.18.1.1 and B 198.18.2.1, each on a TUN device called imp0
// whose other end is the test process.
type impNet struct {
	nsA, nsB string
	link     *impLink
}

func impNetwork(t *testing.T, name string, ab, ba impConfig) *impNet {
	t.Helper()
	n := &impNet{
		nsA: loopbackNamespace(t, "imp-"+name+"-a"),
		nsB: loopbackNamespace(t, "imp-"+name+"-b"),
	}
	tunA, err := impOpenTUN(n.nsA, "imp0")
	if err != nil {
		t.Fatalf("TUN in %s: %v", n.nsA, err)
	}
	tunB, err := impOpenTUN(n.nsB, "imp0")
	if err != nil {
		tunA.Close()
		t.Fatalf("TUN in %s: %v", n.nsB, err)
	}
	// Closing the TUN files (the link does) removes the devices; the
	// namespaces go after that, as their cleanups were registered first.
	n.link = impStart(tunA, tunB, ab, ba)
	t.Cleanup(n.link.Close)
	for _, c := range [][]string{
		{"-n", n.nsA, "addr", "add", "198.18.1.1/24", "dev", "imp0"},
		{"-n", n.nsA, "link", "set", "imp0", "up"},
		{"-n", n.nsA, "route", "add", "198.18.2.0/24", "dev", "imp0"},
		{"-n", n.nsB, "addr", "add", "198.18.2.1/24", "dev", "imp0"},
		{"-n", n.nsB, "link", "set", "imp0", "up"},
		{"-n", n.nsB, "route", "add", "198.18.1.0/24", "dev", "imp0"},
	} {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	return n
}

// impCall runs a two-way 640×480@30 call between the inviter in A and the
// joiner in B for the given seconds and returns each side's statistics
// lines (one a second, then the summary).
func impCall(t *testing.T, n *impNet, seconds int) (inviter, joiner []rtc.Stats) {
	t.Helper()
	return twoProcessCallLines(t, []string{"ip", "netns", "exec", n.nsA}, []string{"ip", "netns", "exec", n.nsB}, "imp0", seconds, nil, nil)
}

// impSummary is one side's call as the impairment tests judge it: the
// video it received and what its own sender did.
type impSummary struct {
	FPS                float64 // average since the first frame
	MinFPS             float64 // lowest one-second rate after the first 5 s
	LongestFreezeMs    float64
	EarlyP95           float64 // latency over the first 5 s of video
	FirstP50, FirstP95 float64 // over the first 10 s
	LastP50, LastP95   float64 // over the last 10 s
	MaxP95             float64 // highest p95 reported from 10 s on
	TargetFirst        float64 // encoder target 10 s in
	TargetLast         float64
	TargetMin          float64
	TargetMax          float64
	Send               string // last picture size and rate sent
	Final              rtc.Stats
}

func impSummarize(lines []rtc.Stats) impSummary {
	var s impSummary
	if len(lines) == 0 {
		return s
	}
	final := lines[len(lines)-1]
	s.Final = final
	s.FPS, s.LongestFreezeMs = final.FPS, final.LongestFreezeMs
	s.LastP50, s.LastP95 = final.LatencyP50Ms, final.LatencyP95Ms
	per := lines[:len(lines)-1] // one a second
	first := slices.IndexFunc(per, func(l rtc.Stats) bool { return l.FramesDecoded > 0 })
	s.MinFPS, s.TargetMin = -1, -1
	if first >= 0 {
		if i := first + 5; i < len(per) {
			s.EarlyP95 = per[i].LatencyP95Ms
		}
		if i := first + 10; i < len(per) {
			s.FirstP50, s.FirstP95 = per[i].LatencyP50Ms, per[i].LatencyP95Ms
			s.TargetFirst = per[i].TargetKbps
		}
		for i := first + 5; i < len(per); i++ {
			if s.MinFPS < 0 || per[i].FPS < s.MinFPS {
				s.MinFPS = per[i].FPS
			}
		}
		for i := first + 10; i < len(per); i++ {
			s.MaxP95 = max(s.MaxP95, per[i].LatencyP95Ms)
		}
	}
	for _, l := range per {
		if l.TargetKbps <= 0 {
			continue
		}
		if s.TargetMin < 0 || l.TargetKbps < s.TargetMin {
			s.TargetMin = l.TargetKbps
		}
		s.TargetMax = max(s.TargetMax, l.TargetKbps)
	}
	s.TargetLast = final.TargetKbps
	// The summary line comes after the connection closed, and so may the
	// last lines of the side that did not hang up: their packet counts
	// are zero.
	for _, l := range per {
		if l.PacketsReceived > s.Final.PacketsReceived {
			s.Final.PacketsReceived, s.Final.PacketsLost = l.PacketsReceived, l.PacketsLost
		}
	}
	s.Send = fmt.Sprintf("%dx%d@%.0f", final.SendWidth, final.SendHeight, final.SendFPS)
	return s
}

func (s impSummary) String() string {
	return fmt.Sprintf("%.1f fps (lowest second %.1f), longest freeze %.0f ms, latency p95 first 5 s %.0f ms, p50/p95 first 10 s %.0f/%.0f ms, last 10 s %.0f/%.0f ms (highest p95 %.0f), "+
		"target %.0f kbit/s at 10 s, %.0f at the end (%.0f–%.0f), sending %s; received %d packets, %d lost, %d frames dropped, %d keyframes asked",
		s.FPS, s.MinFPS, s.LongestFreezeMs, s.EarlyP95, s.FirstP50, s.FirstP95, s.LastP50, s.LastP95, s.MaxP95,
		s.TargetFirst, s.TargetLast, s.TargetMin, s.TargetMax, s.Send,
		s.Final.PacketsReceived, s.Final.PacketsLost, s.Final.FramesDropped, s.Final.KeyframesAsked)
}

// impTimeline logs one side's statistics every five seconds, for finding
// out why a call missed its targets.
func impTimeline(t *testing.T, name string, lines []rtc.Stats) {
	t.Helper()
	var b strings.Builder
	for i, l := range lines {
		if i%5 != 4 && i != len(lines)-1 {
			continue
		}
		fmt.Fprintf(&b, "\n  %2ds fps %4.1f freeze %5.0f lat %4.0f/%4.0f target %4.0f send %dx%d@%.0f lost %d asked %d keys sent %d rtt %.0f",
			i+1, l.FPS, l.LongestFreezeMs, l.LatencyP50Ms, l.LatencyP95Ms, l.TargetKbps, l.SendWidth, l.SendHeight, l.SendFPS,
			l.PacketsLost, l.KeyframesAsked, l.KeyframesSent, l.RTTMs)
	}
	t.Logf("%s timeline:%s", name, b.String())
}

// impRun sets up the network, runs the call and summarises both sides.
func impRun(t *testing.T, name string, ab, ba impConfig, seconds int) (inviter, joiner impSummary) {
	t.Helper()
	n := impNetwork(t, name, ab, ba)
	a, b := impCall(t, n, seconds)
	impTimeline(t, "inviter (receives B→A)", a)
	impTimeline(t, "joiner (receives A→B)", b)
	t.Logf("link A→B: %v", n.link.ab.counts())
	t.Logf("link B→A: %v", n.link.ba.counts())
	inviter, joiner = impSummarize(a), impSummarize(b)
	t.Logf("inviter: %v", inviter)
	t.Logf("joiner: %v", joiner)
	for _, side := range []struct {
		name  string
		lines []rtc.Stats
	}{{"inviter", a}, {"joiner", b}} {
		if end := side.lines[len(side.lines)-1].End; !strings.Contains(end, "hung up") {
			t.Errorf("%s's call ended with %q", side.name, end)
		}
	}
	return inviter, joiner
}

const impSeconds = 60

// 5 % loss, 80 ms round trip, ±10 ms jitter each way, as on lossy Wi-Fi,
// the jitter reordering packets as netem's does: the picture keeps its
// full rate and never freezes for more than a second. A packet that
// arrives after the feedback covering it is first reported lost, then
// reported again with everything after it; the feedback normaliser
// (rtc/feedback.go) gives the estimator each packet once, with its final
// fate. Without it the estimate sank and the sender stepped down (one run:
// 320x240@15, 24.7 fps decoded; another: 480x360, 158 kbit/s at the end).
func TestImpairLoss5(t *testing.T) {
	cfg := func(seed uint64) impConfig {
		return impConfig{Loss: 0.05, Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: seed}
	}
	a, b := impRun(t, "loss5", cfg(51), cfg(52), impSeconds)
	for _, s := range []struct {
		name string
		impSummary
	}{{"inviter", a}, {"joiner", b}} {
		if s.FPS < 25 {
			t.Errorf("%s decoded %.1f fps, want at least 25", s.name, s.FPS)
		}
		if s.LongestFreezeMs > 1000 {
			t.Errorf("%s's picture froze for %.0f ms, want at most 1 s", s.name, s.LongestFreezeMs)
		}
	}
}

// 20 % loss each way (same delay): the call lasts and the picture keeps
// moving at 10 fps or more.
func TestImpairLoss20(t *testing.T) {
	cfg := func(seed uint64) impConfig {
		return impConfig{Loss: 0.20, Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: seed}
	}
	a, b := impRun(t, "loss20", cfg(201), cfg(202), impSeconds)
	for _, s := range []struct {
		name string
		impSummary
	}{{"inviter", a}, {"joiner", b}} {
		if s.FPS < 10 {
			t.Errorf("%s decoded %.1f fps, want at least 10", s.name, s.FPS)
		}
	}
}

// impCapKbps is the rate cap of TestImpairCap500, each way; the queue
// behind it holds a second, so latency stays low only if the sender adapts.
const impCapKbps = 500

// A 500 kbit/s link each way with a one-second queue: the encoder's target
// comes down under the cap, and glass-to-glass latency stays under 300 ms
// without growing.
func TestImpairCap500(t *testing.T) {
	cfg := func(seed uint64) impConfig {
		return impConfig{RateBps: impCapKbps * 1000, QueueBytes: impCapKbps * 1000 / 8, Delay: 10 * time.Millisecond, Seed: seed}
	}
	n := impNetwork(t, "cap500", cfg(5001), cfg(5002))
	start := time.Now()
	a, b := impCall(t, n, impSeconds)
	elapsed := time.Since(start)
	impTimeline(t, "inviter (receives B→A)", a)
	impTimeline(t, "joiner (receives A→B)", b)
	for _, d := range []struct {
		name string
		c    impCounts
	}{{"A→B", n.link.ab.counts()}, {"B→A", n.link.ba.counts()}} {
		kbps := float64(d.c.OutBytes*8) / elapsed.Seconds() / 1000
		t.Logf("link %s: %.0f kbit/s on average over %v; %v", d.name, kbps, elapsed.Round(time.Second), d.c)
		// One packet more than the cap allows can end a second.
		if most := float64(d.c.MaxSecondBytes*8) / 1000; most > impCapKbps+12 {
			t.Errorf("link %s carried %.0f kbit/s in one second, over the %d kbit/s cap", d.name, most, impCapKbps)
		}
	}
	for _, s := range []struct {
		name  string
		lines []rtc.Stats
	}{{"inviter", a}, {"joiner", b}} {
		sum := impSummarize(s.lines)
		t.Logf("%s: %v", s.name, sum)
		if end := sum.Final.End; !strings.Contains(end, "hung up") {
			t.Errorf("%s's call ended with %q", s.name, end)
		}
		if sum.TargetLast <= 0 || sum.TargetLast > impCapKbps {
			t.Errorf("%s's encoder target is %.0f kbit/s at the end, want it under the %d kbit/s cap", s.name, sum.TargetLast, impCapKbps)
		}
		if sum.MaxP95 >= 300 || sum.LastP95 >= 300 || sum.FirstP95 >= 300 {
			t.Errorf("%s: latency p95 %.0f ms in the first 10 s, %.0f ms in the last, up to %.0f ms: want under 300 ms",
				s.name, sum.FirstP95, sum.LastP95, sum.MaxP95)
		}
		if sum.LastP50 > sum.FirstP50+50 {
			t.Errorf("%s: latency p50 grew from %.0f ms to %.0f ms over the call", s.name, sum.FirstP50, sum.LastP50)
		}
		if sum.FPS < 10 {
			t.Errorf("%s decoded %.1f fps", s.name, sum.FPS)
		}
	}
}
