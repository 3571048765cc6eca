package rtc

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// checkGoroutines notes the goroutines running now and returns a function
// that fails the test if any goroutine started since is still running once
// the test has released everything (it waits up to 10 s for them to
// finish). Goroutines that were there before are not the test's: a
// parallel test paused until the others are done, or what an earlier test
// left behind (that test reports it). So the check holds whichever tests
// run, and in whatever order.
func checkGoroutines(t *testing.T) func() {
	t.Helper()
	before := goroutineIDs()
	return func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			left := startedSince(before)
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines left running after the test:\n\n%s", len(left), strings.Join(left, "\n\n"))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// goroutineIDs returns the "goroutine N" of every goroutine running now.
func goroutineIDs() map[string]bool {
	ids := map[string]bool{}
	for _, g := range goroutineStacks() {
		ids[goroutineID(g)] = true
	}
	return ids
}

// startedSince returns the stacks of the goroutines running now that are
// not among before.
func startedSince(before map[string]bool) []string {
	var out []string
	for _, g := range goroutineStacks() {
		if !before[goroutineID(g)] {
			out = append(out, g)
		}
	}
	return out
}

// goroutineStacks returns the stack of every goroutine, each starting with
// its "goroutine N [state]:" line.
func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(strings.TrimSpace(string(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID is the "goroutine N" that starts a stack.
func goroutineID(stack string) string {
	head, _, _ := strings.Cut(stack, " [")
	return head
}

// The leak check sees a goroutine started after it began, until that
// goroutine ends, and never one that was running before (such as a paused
// parallel test).
func TestLeakCheckCountsOnlyGoroutinesStartedSince(t *testing.T) {
	earlier := make(chan struct{})
	defer close(earlier)
	go func() { <-earlier }()
	before := goroutineIDs()

	stop := make(chan struct{})
	go func() { <-stop }()
	left := startedSince(before)
	if len(left) != 1 || !strings.Contains(left[0], "TestLeakCheckCountsOnlyGoroutinesStartedSince") {
		t.Fatalf("started since the check began: %d goroutines, want the one this test started:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	close(stop)
	deadline := time.Now().Add(10 * time.Second)
	for len(startedSince(before)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a goroutine that ended is still counted:\n%s", strings.Join(startedSince(before), "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
