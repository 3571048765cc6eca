package main

// A network test bed of real parts, for calls across NATs: two homes, each
// a host behind its own router that does NAT (nftables masquerade) with a
// stateful firewall as home routers have, and a "public" network between
// the routers where coturn serves STUN and TURN. Every part is a network
// namespace made by the test; addresses come from the ranges reserved for
// documentation and benchmarking only:
//
//	home 1  198.18.1.2 (host) — 198.18.1.1 (router, lan)
//	home 2  198.18.2.2 (host) — 198.18.2.1 (router, lan)
//	public  203.0.113.11 and .12 (the routers' wan), 203.0.113.1 and .2
//	        (coturn: STUN on both, TURN relays on .1), on one bridge
//
// A "cone" router masquerades with port preservation: Linux keeps the
// host's port toward every destination, so the mapping is endpoint
// independent (TestNATBedMappings checks it with STUN). A "symmetric" router
// masquerades with fully-random ports: a new mapping for each destination.
// Both filter by address and port: only answers to what the host sent get in.
//
// The firewall matters for more than realism: a router without one lets an
// early check from the other side (sent before this side's first packet)
// create a conntrack entry for the router itself, and the host's own
// packets to that peer then get a different port — which breaks hole
// punching even between two cone NATs.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"peercall/rtc"

	"peercall/rtc/invite"
)

// natKind is how a home router maps its host's ports.
type natKind int

const (
	natCone      natKind = iota // port preserved, same mapping to every destination
	natSymmetric                // a new random port for each destination
)

func (k natKind) String() string {
	if k == natSymmetric {
		return "symmetric"
	}
	return "cone"
}

// Addresses of the bed (see the top of the file).
var (
	bedSTUN1  = netip.MustParseAddrPort("203.0.113.1:3478")
	bedSTUN2  = netip.MustParseAddrPort("203.0.113.2:3478")
	bedWAN    = [2]netip.Addr{netip.MustParseAddr("203.0.113.11"), netip.MustParseAddr("203.0.113.12")}
	bedHost   = [2]netip.Addr{netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("198.18.2.2")}
	bedSerial atomic.Int32
)

// natBed is one test bed: the namespaces, and the TURN user made for it.
type natBed struct {
	t        *testing.T
	pub      string
	router   [2]string
	host     [2]string
	dir      string
	turnUser string
	turnPass string
	turnLog  string
}

// bedNeedRoot skips the test when it cannot build the bed.
func bedNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the NAT tests build network namespaces, nftables rules and a TURN server; make test runs them as root")
	}
	for _, tool := range []string{"ip", "nft", "turnserver"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (scripts/deps.sh installs iproute2, nftables and coturn)", tool)
		}
	}
}

// bedNew builds two homes behind NATs of the given kinds, the public
// network between them and a running coturn. Everything is removed when
// the test ends.
func bedNew(t *testing.T, home1, home2 natKind) *natBed {
	t.Helper()
	bedNeedRoot(t)
	id := fmt.Sprintf("pcnat%d-%d", os.Getpid(), bedSerial.Add(1))
	b := &natBed{t: t, pub: id + "-pub", dir: t.TempDir()}
	for i := range 2 {
		b.router[i] = fmt.Sprintf("%s-r%d", id, i+1)
		b.host[i] = fmt.Sprintf("%s-h%d", id, i+1)
	}
	for _, ns := range []string{b.pub, b.router[0], b.router[1], b.host[0], b.host[1]} {
		bedRun(t, nil, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := bedCommand(context.Background(), nil, "ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns del %s: %v: %s", ns, err, out)
			}
		})
		bedRun(t, nil, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// The public network: one bridge, the STUN/TURN server's two addresses.
	bedRun(t, nil, "ip", "-n", b.pub, "link", "add", "br0", "type", "bridge")
	bedRun(t, nil, "ip", "-n", b.pub, "addr", "add", bedSTUN1.Addr().String()+"/24", "dev", "br0")
	bedRun(t, nil, "ip", "-n", b.pub, "addr", "add", bedSTUN2.Addr().String()+"/24", "dev", "br0")
	bedRun(t, nil, "ip", "-n", b.pub, "link", "set", "br0", "up")
	// The rest of the internet, where packets to private addresses vanish:
	// a default route out of a link whose far end takes nothing (a
	// gateway that exists only as a fixed neighbour entry). Without it,
	// coturn relaying toward a private host candidate gets "network
	// unreachable" and closes the whole allocation.
	bedRun(t, nil, "ip", "-n", b.pub, "link", "add", "internet", "type", "veth", "peer", "name", "far")
	bedRun(t, nil, "ip", "-n", b.pub, "link", "set", "far", "up")
	bedRun(t, nil, "ip", "-n", b.pub, "link", "set", "internet", "up")
	bedRun(t, nil, "ip", "-n", b.pub, "neigh", "add", "203.0.113.254", "lladdr", "00:00:5e:00:53:01", "dev", "internet", "nud", "permanent")
	bedRun(t, nil, "ip", "-n", b.pub, "route", "add", "default", "via", "203.0.113.254", "dev", "internet", "onlink")
	for i, kind := range []natKind{home1, home2} {
		r, h := b.router[i], b.host[i]
		up := fmt.Sprintf("up%d", i+1)
		lan := fmt.Sprintf("198.18.%d.1", i+1)
		// Router wan ↔ the bridge; host eth0 ↔ router lan. The links are
		// made inside the namespaces, so no name ever exists in the
		// machine's own namespace.
		bedRun(t, nil, "ip", "-n", r, "link", "add", "wan", "type", "veth", "peer", "name", up, "netns", b.pub)
		bedRun(t, nil, "ip", "-n", b.pub, "link", "set", up, "master", "br0", "up")
		bedRun(t, nil, "ip", "-n", r, "addr", "add", bedWAN[i].String()+"/24", "dev", "wan")
		bedRun(t, nil, "ip", "-n", r, "link", "set", "wan", "up")
		bedRun(t, nil, "ip", "-n", r, "route", "add", "default", "via", bedSTUN1.Addr().String())
		bedRun(t, nil, "ip", "-n", h, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", r)
		bedRun(t, nil, "ip", "-n", r, "addr", "add", lan+"/24", "dev", "lan")
		bedRun(t, nil, "ip", "-n", r, "link", "set", "lan", "up")
		bedRun(t, nil, "ip", "-n", h, "addr", "add", bedHost[i].String()+"/24", "dev", "eth0")
		bedRun(t, nil, "ip", "-n", h, "link", "set", "eth0", "up")
		bedRun(t, nil, "ip", "-n", h, "route", "add", "default", "via", lan)
		bedRun(t, []string{"ip", "netns", "exec", r}, "sysctl", "-qw", "net.ipv4.ip_forward=1")
		cmd := bedCommand(context.Background(), []string{"ip", "netns", "exec", r}, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(natRules(kind))
		if out, err := bedOutput(cmd); err != nil {
			t.Fatalf("nft in %s: %v: %s", r, err, out)
		}
	}
	b.startTURN()
	return b
}

// natRules is a home router's nftables rule set: masquerade on the wan
// side, and a stateful firewall (nothing comes in from the wan that is not
// an answer to what went out).
func natRules(kind natKind) string {
	masquerade := "masquerade"
	if kind == natSymmetric {
		masquerade = "masquerade fully-random"
	}
	return `table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" ` + masquerade + `
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname { "lo", "lan" } accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan" oifname "wan" accept
	}
}
`
}

// startTURN runs coturn in the public namespace, from flags only (no
// configuration file of the machine's), with long-term credentials made
// for this bed, and waits until it answers STUN.
func (b *natBed) startTURN() {
	t := b.t
	b.turnUser = "peercall-" + bedRandomHex(4)
	b.turnPass = bedRandomHex(16)
	b.turnLog = filepath.Join(b.dir, "turnserver.log")
	logf, err := os.Create(b.turnLog)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := bedCommand(ctx, []string{"ip", "netns", "exec", b.pub}, "turnserver",
		"-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp-relay",
		"--listening-ip", bedSTUN1.Addr().String(), "--listening-ip", bedSTUN2.Addr().String(),
		"--listening-port", fmt.Sprint(bedSTUN1.Port()),
		"--relay-ip", bedSTUN1.Addr().String(), "--min-port", "49152", "--max-port", "49999",
		"--lt-cred-mech", "--realm", "peercall.test", "--user", b.turnUser+":"+b.turnPass,
		"--fingerprint", "--verbose",
		"--log-file", "stdout", "--simple-log",
		"--pidfile", filepath.Join(b.dir, "turnserver.pid"),
		"--db", filepath.Join(b.dir, "turndb"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		logf.Close()
		t.Fatalf("starting turnserver: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("turnserver did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := natMappings(b.host[0], []netip.AddrPort{bedSTUN1}, 300*time.Millisecond)
		if err == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("turnserver exited: %s", bedTail(b.turnLog))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("turnserver does not answer STUN within 10 s (%v): %s", err, bedTail(b.turnLog))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bedCommand is name args run in prefix (such as ip netns exec NS), killed
// when ctx ends.
func bedCommand(ctx context.Context, prefix []string, name string, args ...string) *exec.Cmd {
	all := append(append(append([]string{}, prefix...), name), args...)
	cmd := exec.CommandContext(ctx, all[0], all[1:]...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// bedOutput runs cmd with a bound of 20 seconds.
func bedOutput(cmd *exec.Cmd) ([]byte, error) {
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := cmd.CombinedOutput()
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(20 * time.Second):
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
		return nil, fmt.Errorf("%v did not finish within 20 s", cmd.Args)
	}
}

func bedRun(t *testing.T, prefix []string, name string, args ...string) {
	t.Helper()
	if out, err := bedOutput(bedCommand(context.Background(), prefix, name, args...)); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

func bedRandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// bedTail is the end of a log file, for failure messages.
func bedTail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// natMappings sends a STUN binding request from one UDP socket in the
// namespace ns to each server in turn and returns the public address each
// saw, in order.
func natMappings(ns string, servers []netip.AddrPort, wait time.Duration) ([]netip.AddrPort, error) {
	conn, err := natListenUDP(ns)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var out []netip.AddrPort
	for _, srv := range servers {
		mapped, err := natBinding(conn, srv, wait)
		if err != nil {
			return nil, err
		}
		out = append(out, mapped)
	}
	return out, nil
}

// natListenUDP opens a UDP socket on any address and port of the network
// namespace ns. The socket stays in ns after its thread goes back.
func natListenUDP(ns string) (*net.UDPConn, error) {
	var conn *net.UDPConn
	err := inNamespace(ns, func() (err error) {
		conn, err = net.ListenUDP("udp4", nil)
		return err
	})
	if err != nil && conn != nil {
		conn.Close()
		conn = nil
	}
	return conn, err
}

// natBinding is one STUN binding request (RFC 8489) and the
// XOR-MAPPED-ADDRESS of its answer, retried until wait has passed.
func natBinding(conn *net.UDPConn, server netip.AddrPort, wait time.Duration) (netip.AddrPort, error) {
	const cookie = 0x2112A442
	req := make([]byte, 20)
	binary.BigEndian.PutUint16(req[0:], 0x0001) // binding request
	binary.BigEndian.PutUint32(req[4:], cookie)
	rand.Read(req[8:20])
	deadline := time.Now().Add(wait)
	buf := make([]byte, 1500)
	for time.Now().Before(deadline) {
		if _, err := conn.WriteToUDPAddrPort(req, server); err != nil {
			return netip.AddrPort{}, err
		}
		conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				break // resend
			}
			m := buf[:n]
			if from != server || n < 20 || binary.BigEndian.Uint16(m[0:]) != 0x0101 || string(m[8:20]) != string(req[8:20]) {
				continue
			}
			for a := m[20:]; len(a) >= 4; {
				typ, l := binary.BigEndian.Uint16(a[0:]), int(binary.BigEndian.Uint16(a[2:]))
				if 4+l > len(a) {
					break
				}
				if v := a[4 : 4+l]; typ == 0x0020 && l == 8 && v[1] == 0x01 {
					port := binary.BigEndian.Uint16(v[2:]) ^ (cookie >> 16)
					var ip [4]byte
					binary.BigEndian.PutUint32(ip[:], binary.BigEndian.Uint32(v[4:])^cookie)
					return netip.AddrPortFrom(netip.AddrFrom4(ip), port), nil
				}
				a = a[4+(l+3)&^3:]
			}
			return netip.AddrPort{}, errors.New("STUN answer without an IPv4 XOR-MAPPED-ADDRESS")
		}
	}
	return netip.AddrPort{}, fmt.Errorf("no STUN answer from %s within %v", server, wait)
}

// bedSide is what one process of a call left behind.
type bedSide struct {
	name      string
	stdout    string
	stderr    string
	statsPath string
	stats     []rtc.Stats
	final     rtc.Stats // the summary line, as the other end-to-end tests read it
}

// pair is the candidate types of the pair the side last reported, such as
// "srflx/relay" (local/remote); empty when none was.
func (s *bedSide) pair() string {
	for i := len(s.stats) - 1; i >= 0; i-- {
		if st := s.stats[i]; st.LocalCandidate != "" {
			return st.LocalCandidate + "/" + st.RemoteCandidate
		}
	}
	return ""
}

// bedProc is one running peercall with its output collected.
type bedProc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout strings.Builder
	stderr strings.Builder
	stdin  io.WriteCloser
	lines  chan string
	exited chan error
}

type bedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w bedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// bedStart runs peercall in the namespace ns; its stdout lines arrive on
// p.lines.
func bedStart(t *testing.T, ctx context.Context, ns string, args ...string) *bedProc {
	t.Helper()
	p := &bedProc{lines: make(chan string, 16), exited: make(chan error, 1)}
	p.cmd = bedCommand(ctx, []string{"ip", "netns", "exec", ns}, peercallBin, args...)
	p.cmd.Env = append(os.Environ(), callEnv...)
	p.cmd.Stderr = bedWriter{&p.mu, &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		<-read
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

func (p *bedProc) output() (stdout, stderr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String(), p.stderr.String()
}

// code waits, bounded, for the code the process prints first.
func (p *bedProc) code(t *testing.T, what string) string {
	t.Helper()
	select {
	case line := <-p.lines:
		if !strings.HasPrefix(line, "PC") {
			t.Fatalf("no %s code on stdout (got %q)", what, line)
		}
		return line
	case err := <-p.exited:
		_, stderr := p.output()
		t.Fatalf("exited (%v) before printing the %s code; stderr:\n%s", err, what, stderr)
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s code within 15 s", what)
	}
	return ""
}

// bedCall runs `peercall invite` on home 1's host and `peercall join` on
// home 2's, carries the codes between them (the reply after pasteDelay, as
// a person who takes a while to paste it), and returns what each side
// left behind. Each side gets common and then its own flags.
func (b *natBed) bedCall(seconds int, pasteDelay time.Duration, common, inviterFlags, joinerFlags []string) (inviter, joiner *bedSide) {
	t := b.t
	t.Helper()
	limit := pasteDelay + time.Duration(seconds)*time.Second + 75*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	args := func(name string, extra []string) []string {
		a := []string{"--source", "pattern", "--size", "640x480", "--fps", "30",
			"--seconds", fmt.Sprint(seconds), "--stats", filepath.Join(b.dir, name+".jsonl")}
		return append(append(a, common...), extra...)
	}
	inviter = &bedSide{name: "inviter", statsPath: filepath.Join(b.dir, "inviter.jsonl")}
	joiner = &bedSide{name: "joiner", statsPath: filepath.Join(b.dir, "joiner.jsonl")}

	inv := bedStart(t, ctx, b.host[0], append([]string{"invite"}, args("inviter", inviterFlags)...)...)
	code := inv.code(t, "invite")
	joinStarted := time.Now()
	join := bedStart(t, ctx, b.host[1], append(append([]string{"join"}, args("joiner", joinerFlags)...), code)...)
	reply := join.code(t, "reply")
	if wait := pasteDelay - time.Since(joinStarted); wait > 0 {
		time.Sleep(wait)
	}
	fmt.Fprintln(inv.stdin, reply)

	// Once one side has ended, the other has a little while to notice.
	var grace <-chan time.Time
	for _, x := range []struct {
		side *bedSide
		proc *bedProc
	}{{inviter, inv}, {joiner, join}} {
		select {
		case err := <-x.proc.exited:
			if err != nil {
				t.Errorf("%s exited with %v", x.side.name, err)
			}
		case <-grace:
			t.Errorf("%s still running 15 s after the other side ended", x.side.name)
			x.proc.cmd.Process.Kill()
			<-x.proc.exited
		case <-ctx.Done():
			t.Errorf("%s did not finish within %v", x.side.name, limit)
			x.proc.cmd.Process.Kill()
			<-x.proc.exited
		}
		grace = time.After(15 * time.Second)
		x.side.stdout, x.side.stderr = x.proc.output()
		x.side.stats = readStats(t, x.side.statsPath)
		if all := readStats(t, x.side.statsPath); len(all) > 0 {
			x.side.final = all[len(all)-1]
		}
	}
	if t.Failed() {
		t.Logf("inviter stderr:\n%s\njoiner stderr:\n%s\nturnserver log (end):\n%s",
			inviter.stderr, joiner.stderr, bedTail(b.turnLog))
	}
	return inviter, joiner
}

// bedReport logs a side's figures: connect time, first frame, rate, path;
// the summary line must name the path too.
func bedReport(t *testing.T, s *bedSide) {
	t.Helper()
	if last := s.stats[len(s.stats)-1]; last.End != "" && last.LocalCandidate == "" && s.final.ConnectedMs >= 0 {
		t.Errorf("%s: the summary line names no candidate pair", s.name)
	}
	t.Logf("%s: connected %.0f ms after its code was applied, first frame %.0f ms, %d frames, %.1f fps, rtt %.2f ms, pair %s (local/remote)",
		s.name, s.final.ConnectedMs, s.final.FirstFrameMs, s.final.FramesDecoded, s.final.FPS, bedLastRTT(s), s.pair())
}

func bedLastRTT(s *bedSide) float64 {
	for i := len(s.stats) - 1; i >= 0; i-- {
		if s.stats[i].RTTMs > 0 {
			return s.stats[i].RTTMs
		}
	}
	return 0
}

// TestNATBedMappings checks the bed itself with STUN: behind a cone NAT one
// socket keeps one public address toward two servers, behind a symmetric
// NAT it gets another for each.
func TestNATBedMappings(t *testing.T) {
	b := bedNew(t, natCone, natSymmetric)
	for i, kind := range []natKind{natCone, natSymmetric} {
		m, err := natMappings(b.host[i], []netip.AddrPort{bedSTUN1, bedSTUN2}, 3*time.Second)
		if err != nil {
			t.Fatalf("%s NAT: %v", kind, err)
		}
		t.Logf("%s NAT: one socket of %s seen as %s by %s and as %s by %s", kind, bedHost[i], m[0], bedSTUN1, m[1], bedSTUN2)
		if m[0].Addr() != bedWAN[i] || m[1].Addr() != bedWAN[i] {
			t.Errorf("%s NAT: mapped to %s and %s, want the router's address %s", kind, m[0], m[1], bedWAN[i])
		}
		same := m[0] == m[1]
		if kind == natCone && !same {
			t.Errorf("cone NAT: mapping depends on the destination (%s, %s)", m[0], m[1])
		}
		if kind == natSymmetric && same {
			t.Errorf("symmetric NAT: one mapping for two destinations (%s)", m[0])
		}
	}
}

// Two homes behind cone NATs, with STUN only: the call goes straight
// between the two routers' public addresses.
func TestNATConeSTUN(t *testing.T) {
	b := bedNew(t, natCone, natCone)
	const seconds = 8
	inv, join := b.bedCall(seconds, 0, []string{"--stun", bedSTUN1.String()}, nil, nil)
	bedReport(t, inv)
	bedReport(t, join)
	checkCall(t, "inviter", inv.final, seconds)
	checkCall(t, "joiner", join.final, seconds)
	if !strings.Contains(inv.pair()+join.pair(), "srflx") {
		t.Errorf("no side used a server-reflexive candidate: inviter %q, joiner %q", inv.pair(), join.pair())
	}
	if strings.Contains(inv.pair()+join.pair(), "relay") {
		t.Errorf("a relay in a call that needs none: inviter %q, joiner %q", inv.pair(), join.pair())
	}
}

// The joiner behind a symmetric NAT, the inviter behind a cone: no direct
// path exists (the symmetric side's mapping toward the peer is not the one
// STUN saw, and the cone side only lets in answers), so the call goes
// through the TURN server's relay.
func TestNATSymmetricTURN(t *testing.T) {
	b := bedNew(t, natCone, natSymmetric)
	const seconds = 8
	inv, join := b.bedCall(seconds, 0, b.turnFlags(), nil, nil)
	bedReport(t, inv)
	bedReport(t, join)
	checkCall(t, "inviter", inv.final, seconds)
	checkCall(t, "joiner", join.final, seconds)
	if !strings.Contains(inv.pair()+join.pair(), "relay") {
		t.Errorf("no side used a relay: inviter %q, joiner %q", inv.pair(), join.pair())
	}
}

// turnFlags are the flags that give a call the bed's STUN and TURN server.
func (b *natBed) turnFlags() []string {
	return []string{"--stun", bedSTUN1.String(), "--turn", bedSTUN1.String(),
		"--turn-user", b.turnUser, "--turn-pass", b.turnPass}
}

// The TURN password is a secret: with every log turned up (--verbose and
// pion's own trace logs), it appears in no output and no statistics of a
// call that used it.
func TestNATTurnCredentialsNotLogged(t *testing.T) {
	b := bedNew(t, natCone, natSymmetric)
	saved := callEnv
	callEnv = append(append([]string{}, callEnv...), "PION_LOG_TRACE=all")
	t.Cleanup(func() { callEnv = saved })
	const seconds = 3
	inv, join := b.bedCall(seconds, 0, append(b.turnFlags(), "--verbose"), nil, nil)
	bedReport(t, inv)
	bedReport(t, join)
	if !strings.Contains(inv.pair()+join.pair(), "relay") {
		t.Errorf("no side used a relay: inviter %q, joiner %q", inv.pair(), join.pair())
	}
	for _, s := range []*bedSide{inv, join} {
		stats, err := os.ReadFile(s.statsPath)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.stderr) < 1000 {
			t.Errorf("%s logged only %d bytes with --verbose and PION_LOG_TRACE: the check below proves little", s.name, len(s.stderr))
		}
		for what, text := range map[string]string{"stdout": s.stdout, "stderr": s.stderr, "statistics": string(stats)} {
			if strings.Contains(text, b.turnPass) {
				t.Errorf("%s: the TURN password is in its %s", s.name, what)
			}
		}
		t.Logf("%s: %d bytes of logs, %d of statistics: no password", s.name, len(s.stderr), len(stats))
	}
}

// The inviter pastes the reply late, after the joiner's NAT has forgotten
// an idle mapping: the joiner must have kept its side open by checking all
// along. The joiner's router forgets idle UDP mappings after 3 s here (30 s
// is Linux's default; home routers use 30 s to a few minutes), so a paste 8
// s late stands for one minutes late.
func TestNATLateReply(t *testing.T) {
	b := bedNew(t, natCone, natCone)
	bedRun(t, []string{"ip", "netns", "exec", b.router[1]}, "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=3")
	const seconds = 4
	inv, join := b.bedCall(seconds, 8*time.Second, []string{"--stun", bedSTUN1.String()}, nil, nil)
	bedReport(t, inv)
	bedReport(t, join)
	checkCall(t, "inviter", inv.final, seconds)
	checkCall(t, "joiner", join.final, seconds)
	if inv.final.ConnectedMs > 3000 {
		t.Errorf("the inviter connected %.0f ms after the late reply, want a prompt connect", inv.final.ConnectedMs)
	}
}

// A forged reply across two cone NATs with STUN only: the invited person
// and an impostor are in the same home; the impostor answers the invite
// with a reply that names the invited person's certificate. The inviter
// refuses it, and the genuine reply, pasted next, still connects to the
// same invite: the inviter's new connection keeps the invite's host ports
// and, behind a NAT that keeps ports, its public address.
func TestNATForgedReplyThenGenuine(t *testing.T) {
	b := bedNew(t, natCone, natCone)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := func(name string) []string {
		return []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--seconds", "20",
			"--stun", bedSTUN1.String(), "--stats", filepath.Join(b.dir, name+".jsonl")}
	}
	inv := bedStart(t, ctx, b.host[0], append([]string{"invite"}, args("inviter")...)...)
	code := inv.code(t, "invite")
	meant := bedStart(t, ctx, b.host[1], append(append([]string{"join"}, args("meant")...), code)...)
	genuine := meant.code(t, "genuine reply")
	impostor := bedStart(t, ctx, b.host[1], append(append([]string{"join"}, args("impostor")...), code)...)
	fake, err := invite.Decode(impostor.code(t, "impostor's reply"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := invite.Decode(genuine)
	if err != nil {
		t.Fatal(err)
	}
	fake.Fingerprint = g.Fingerprint
	forged, err := invite.Encode(fake)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(inv.stdin, forged)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, stderr := inv.output(); strings.Contains(stderr, "that reply was refused") {
			break
		}
		if time.Now().After(deadline) {
			_, stderr := inv.output()
			t.Fatalf("the forged reply was not refused within 30 s; inviter stderr:\n%s", stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	refusedAt := time.Now()
	fmt.Fprintln(inv.stdin, genuine)
	for _, p := range []struct {
		name, stats string
		proc        *bedProc
	}{{"inviter", "inviter", inv}, {"invited", "meant", meant}} {
		for {
			var frames uint64
			for _, l := range faultStats(filepath.Join(b.dir, p.stats+".jsonl")) {
				frames = max(frames, l.FramesDecoded)
			}
			if frames > 15 {
				t.Logf("%s: %d frames decoded %.1f s after the genuine reply", p.name, frames, time.Since(refusedAt).Seconds())
				break
			}
			if time.Since(refusedAt) > 30*time.Second {
				_, a := inv.output()
				_, m := meant.output()
				t.Fatalf("%s: no video within 30 s of the genuine reply; inviter stderr:\n%s\ninvited stderr:\n%s", p.name, a, m)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
