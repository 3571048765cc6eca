package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var nsSerial atomic.Int32

// newNamespace makes a network namespace holding only lo, brought up, and
// removes it when the test ends. Tests that need one are skipped when not
// run as root (make test runs as root in CI).
func newNamespace(t testing.TB, name string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace; make test runs it as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
	ns := fmt.Sprintf("peercall-%s-%d-%d", name, os.Getpid(), nsSerial.Add(1))
	mustRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	mustRun(t, "ip", "-n", ns, "link", "set", "lo", "up")
	return ns
}

// nsExec is the prefix that runs a command in the namespace ns.
func nsExec(ns string) []string { return []string{"ip", "netns", "exec", ns} }

// inNamespace runs f on a thread of its own inside the network namespace
// ns (a name under /var/run/netns): sockets and devices f makes belong to
// that namespace. A thread that cannot go back to its own namespace is
// never unlocked, so the runtime discards it.
func inNamespace(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := enterAndRun(ns, f)
		if back {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// enterAndRun is inNamespace's work on the locked thread; back tells
// whether the thread is in its own namespace again.
func enterAndRun(ns string, f func() error) (back bool, err error) {
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return true, err
	}
	defer orig.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return true, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return true, fmt.Errorf("entering namespace %s: %w", ns, err)
	}
	err = f()
	if e := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); e != nil {
		return false, errors.Join(err, fmt.Errorf("leaving namespace %s: %w", ns, e))
	}
	return true, err
}

// mustRun runs a command to its end, for at most 20 s, and fails the test
// if it fails.
func mustRun(t testing.TB, args ...string) {
	t.Helper()
	mustRunWith(t, nil, args...)
}

// mustRunWith is mustRun with stdin.
func mustRunWith(t testing.TB, stdin io.Reader, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin = stdin
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}
