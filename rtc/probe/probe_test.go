package probe

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// testServer is a STUN and TURN server on 127.0.0.1, over UDP and TCP on
// the same port, that knows one user.
type testServer struct {
	port   int
	allocs func() int
}

func startServer(t *testing.T, user, pass string) testServer {
	t.Helper()
	const realm = "peercall.test"
	key := turn.GenerateAuthKey(user, realm, pass)
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := udp.LocalAddr().(*net.UDPAddr).Port
	tcp, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		udp.Close()
		t.Skipf("TCP port %d taken: %v", port, err)
	}
	relay := func() turn.RelayAddressGenerator {
		return &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"}
	}
	s, err := turn.NewServer(turn.ServerConfig{
		Realm: realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			if ra.Username == user {
				return user, key, true
			}
			return "", nil, false
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: relay()}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: relay()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return testServer{port: port, allocs: s.AllocationCount}
}

// freeUDPPort is a loopback port nobody listens on (taken, then released).
func freeUDPPort(t *testing.T) int {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func mustSTUN(t *testing.T, e string) Server {
	s, err := ParseSTUN(e)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustTURN(t *testing.T, e string) Server {
	s, err := ParseTURN(e)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A STUN server answers with the address it sees; the sentence names the
// server and that address.
func TestAskSTUN(t *testing.T) {
	srv := startServer(t, "alice", "secret")
	for _, entry := range []string{"127.0.0.1:%d", "stun:127.0.0.1:%d", "localhost:%d"} {
		entry = strings.Replace(entry, "%d", strconv.Itoa(srv.port), 1)
		r := Ask(context.Background(), mustSTUN(t, entry), "", "")
		if !r.OK || r.Seen.Addr() != netip.MustParseAddr("127.0.0.1") || r.Seen.Port() == 0 {
			t.Fatalf("%s: %+v", entry, r)
		}
		want := "127.0.0.1:" + strconv.Itoa(srv.port) + " answered: you are seen as 127.0.0.1:"
		if entry == "localhost:"+strconv.Itoa(srv.port) {
			want = "localhost:" + strconv.Itoa(srv.port) + " answered: you are seen as 127.0.0.1:"
		}
		if !strings.HasPrefix(r.Message, want) {
			t.Errorf("%s: %q, want it to start with %q", entry, r.Message, want)
		}
	}
}

// A port nobody listens on: the answer says the server did not answer
// within the time-out, after about that long, not forever.
func TestAskSilentPort(t *testing.T) {
	port := freeUDPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	r := Ask(ctx, mustSTUN(t, "127.0.0.1:"+strconv.Itoa(port)), "", "")
	if r.OK || r.Message != "127.0.0.1:"+strconv.Itoa(port)+" did not answer in 1 s" {
		t.Errorf("%+v", r)
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("gave up after %v, before the time-out", took)
	}
	// TURN over TCP to a closed port: refused at once, said so.
	r = Ask(context.Background(), mustTURN(t, "turn:127.0.0.1:"+strconv.Itoa(port)+"?transport=tcp"), "a", "b")
	if r.OK || !strings.Contains(r.Message, "refused the connection") {
		t.Errorf("TCP to a closed port: %+v", r)
	}
}

// A TURN server gives a relay to the right user and password, over UDP
// and TCP, and the relay is released at once; the wrong password or user
// is refused in words.
func TestAskTURN(t *testing.T) {
	srv := startServer(t, "alice", "secret")
	for _, entry := range []string{"turn:127.0.0.1:%d", "turn:127.0.0.1:%d?transport=tcp"} {
		s := mustTURN(t, strings.Replace(entry, "%d", strconv.Itoa(srv.port), 1))
		r := Ask(context.Background(), s, "alice", "secret")
		if !r.OK || !r.Relay.IsValid() || r.Relay.Addr() != netip.MustParseAddr("127.0.0.1") || !r.Seen.IsValid() {
			t.Fatalf("%s: %+v", s.URL, r)
		}
		if !strings.Contains(r.Message, "answered: you are seen as 127.0.0.1:") || !strings.Contains(r.Message, "gave a relay at 127.0.0.1:") {
			t.Errorf("%s: %q", s.URL, r.Message)
		}
		for _, cred := range [][2]string{{"alice", "wrong"}, {"mallory", "secret"}} {
			r := Ask(context.Background(), s, cred[0], cred[1])
			if r.OK || r.Message != "the TURN server refused the user name or password" {
				t.Errorf("%s as %s/%s: %+v", s.URL, cred[0], cred[1], r)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.allocs() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := srv.allocs(); n != 0 {
		t.Errorf("%d relays left on the server after the tests", n)
	}
}

// Asking leaves nothing running behind it.
func TestAskLeavesNoGoroutines(t *testing.T) {
	srv := startServer(t, "alice", "secret")
	s := mustTURN(t, "turn:127.0.0.1:"+strconv.Itoa(srv.port))
	Ask(context.Background(), s, "alice", "secret") // warm up: the resolver and the like
	before := runtime.NumGoroutine()
	for range 3 {
		Ask(context.Background(), s, "alice", "secret")
		Ask(context.Background(), s, "alice", "wrong")
		Ask(context.Background(), mustSTUN(t, "127.0.0.1:"+strconv.Itoa(srv.port)), "", "")
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after asking, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// coturn, the TURN server most people run, answers the same questions the
// same way: the address it sees, a relay for the right password, a refusal
// for the wrong one.
func TestAskCoturn(t *testing.T) {
	if _, err := exec.LookPath("turnserver"); err != nil {
		t.Skip("coturn's turnserver is not installed")
	}
	port := freeUDPPort(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp-relay",
		"--listening-ip", "127.0.0.1", "--listening-port", strconv.Itoa(port), "--relay-ip", "127.0.0.1",
		"--min-port", "49152", "--max-port", "65535", "--lt-cred-mech", "--realm", "peercall.test",
		"--user", "alice:secret", "--fingerprint", "--log-file", filepath.Join(dir, "turn.log"), "--simple-log",
		"--pidfile", filepath.Join(dir, "turn.pid"), "--db", filepath.Join(dir, "turndb"))
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting turnserver: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	stunSrv := mustSTUN(t, "127.0.0.1:"+strconv.Itoa(port))
	var r Result
	for range 20 { // up to 20 s for coturn to start
		ctx, stop := context.WithTimeout(context.Background(), time.Second)
		r = Ask(ctx, stunSrv, "", "")
		stop()
		if r.OK {
			break
		}
	}
	if !r.OK || r.Seen.Addr() != netip.MustParseAddr("127.0.0.1") {
		log, _ := os.ReadFile(filepath.Join(dir, "turn.log"))
		t.Fatalf("coturn as a STUN server: %+v\n%s", r, log)
	}
	turnSrv := mustTURN(t, "turn:127.0.0.1:"+strconv.Itoa(port))
	if r := Ask(context.Background(), turnSrv, "alice", "secret"); !r.OK || r.Relay.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("right password: %+v", r)
	}
	if r := Ask(context.Background(), turnSrv, "alice", "wrong"); r.OK || r.Message != "the TURN server refused the user name or password" {
		t.Errorf("wrong password: %+v", r)
	}
	tcp := mustTURN(t, "turn:127.0.0.1:"+strconv.Itoa(port)+"?transport=tcp")
	if r := Ask(context.Background(), tcp, "alice", "secret"); !r.OK {
		t.Errorf("over TCP: %+v", r)
	}
}
