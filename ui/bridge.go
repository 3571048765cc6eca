package ui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"peercall/call"
	"peercall/rtc"
)

// onUI runs f on the UI goroutine. Every change that reaches the widgets
// from another goroutine — the engine, the media paths, timers — goes
// through here. (Tests replace it to run the queue on their own goroutine.)
func onUI(f func()) { (*uiRunner.Load())(f) }

// uiRunner is how onUI reaches the UI goroutine: fyne.Do, or a test's
// queue. Goroutines of a call may outlive a test, so it is swapped
// atomically.
var uiRunner atomic.Pointer[func(func())]

func init() {
	do := func(f func()) { fyne.Do(f) }
	uiRunner.Store(&do)
}

// setUIRunner makes onUI hand work to run and returns what it did before.
func setUIRunner(run func(func())) func(func()) {
	return *uiRunner.Swap(&run)
}

// callView is what the bridge updates: the call screen implements it.
type callView interface {
	showState(state rtc.State, peer rtc.PeerMedia)
	showStats(st, prev rtc.Stats, text string)
	showEnded(reason error)
}

// bridge follows a session and mirrors it into a view until the call ends.
// It runs on its own goroutine and touches the view only through onUI.
func bridge(ctx context.Context, s *rtc.Session, v callView) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prev, prevAt := s.Stats(), time.Now()
	push := func() {
		state, peer := s.State(), s.PeerMedia()
		onUI(func() { v.showState(state, peer) })
	}
	push()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Done():
			err := s.Err()
			onUI(func() { v.showEnded(err) })
			return
		case <-s.Changed():
			push()
		case now := <-tick.C:
			st := s.Stats()
			st.RateSince(prev, prevAt, now)
			text := statsText(st, prev, now.Sub(prevAt))
			last := prev
			prev, prevAt = st, now
			onUI(func() { v.showStats(st, last, text) })
		}
	}
}

// deviceView is what watchDevices updates: the call screen implements it.
type deviceView interface {
	refreshNotice()
}

// watchDevices mirrors a call's devices (what is missing) into a view
// until ctx ends. It runs on its own goroutine and touches the view only
// through onUI.
func watchDevices(ctx context.Context, c *call.Call, v deviceView) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Changed():
			onUI(v.refreshNotice)
		}
	}
}

// statsText formats the overlay: what a person checking a call wants to see.
func statsText(st, prev rtc.Stats, d time.Duration) string {
	secs := d.Seconds()
	if secs <= 0 {
		secs = 1
	}
	in := float64(st.BytesReceived-min(prev.BytesReceived, st.BytesReceived)) * 8 / secs / 1000
	out := float64(st.BytesSent-min(prev.BytesSent, st.BytesSent)) * 8 / secs / 1000
	var b strings.Builder
	fmt.Fprintf(&b, "Round trip  %.0f ms\n", st.RTTMs)
	fmt.Fprintf(&b, "In / out    %.0f / %.0f kbit/s\n", in, out)
	lost := float64(0)
	if n := float64(st.PacketsReceived) + float64(st.PacketsLost); n > 0 {
		lost = 100 * float64(st.PacketsLost) / n
	}
	fmt.Fprintf(&b, "Loss        %.1f %% of packets\n", lost)
	fmt.Fprintf(&b, "Frame rate  %.1f fps\n", st.FPS)
	if st.Width > 0 {
		fmt.Fprintf(&b, "Picture     %d×%d %s\n", st.Width, st.Height, st.Codec)
	}
	if st.LatencyP50Ms > 0 {
		fmt.Fprintf(&b, "Latency     %.0f ms (p95 %.0f ms)\n", st.LatencyP50Ms, st.LatencyP95Ms)
	}
	if st.LocalCandidate != "" {
		fmt.Fprintf(&b, "Path        %s → %s", st.LocalCandidate, st.RemoteCandidate)
	}
	return strings.TrimRight(b.String(), "\n")
}
