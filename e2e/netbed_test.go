package e2e

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
// A "public" home has no router: its host sits on the public bridge itself,
// with the home's public address (203.0.113.11 or .12) on its eth0 and no
// firewall, as a machine with a public address has.
//
// The bed can change under a running call, as networks change under people
// (the operations are at the end of the file): a router's public address
// moves to 203.0.113.2N with its NAT state flushed (renumberWAN), a host
// moves to 198.18.N.3 on its network (moveHost), or a host's eth0 goes down
// and a new link, eth1, comes up on a second subnet its router serves,
// 198.18.1N.0/24 (swapInterface).
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
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// natKind is how a home router maps its host's ports.
type natKind int

const (
	natCone      natKind = iota // port preserved, same mapping to every destination
	natSymmetric                // a new random port for each destination
	natPublic                   // no router: the host has a public address
)

func (k natKind) String() string {
	switch k {
	case natSymmetric:
		return "symmetric"
	case natPublic:
		return "public"
	}
	return "cone"
}

// Addresses of the bed (see the top of the file).
var (
	bedSTUN1 = netip.MustParseAddrPort("203.0.113.1:3478")
	bedSTUN2 = netip.MustParseAddrPort("203.0.113.2:3478")
	bedWAN   = [2]netip.Addr{netip.MustParseAddr("203.0.113.11"), netip.MustParseAddr("203.0.113.12")}
	bedHost  = [2]netip.Addr{netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("198.18.2.2")}
)

// natBed is one test bed: the namespaces, and the TURN user made for it.
type natBed struct {
	t        *testing.T
	pub      string
	kind     [2]natKind
	router   [2]string // "" in a public home
	host     [2]string
	dir      string
	turnUser string
	turnPass string
	turnLog  string
	// What the changes below move: each home's public address (its
	// router's wan, or its public host's), and each host's address and the
	// link that carries it.
	wan      [2]netip.Addr
	hostAddr [2]netip.Addr
	hostDev  [2]string
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
	b := &natBed{t: t, pub: newNamespace(t, "nat-pub"), dir: t.TempDir(), kind: [2]natKind{home1, home2}, wan: bedWAN}
	for i, kind := range b.kind {
		if kind != natPublic {
			b.router[i] = newNamespace(t, fmt.Sprintf("nat-r%d", i+1))
		}
		b.host[i] = newNamespace(t, fmt.Sprintf("nat-h%d", i+1))
		b.hostAddr[i], b.hostDev[i] = bedHost[i], "eth0"
	}
	ip := func(ns string, args ...string) { t.Helper(); mustRun(t, append([]string{"ip", "-n", ns}, args...)...) }
	// Addresses are renumbered mid-call (below): removing a primary
	// address must leave the secondaries in place.
	sysctl := func(ns, setting string) { t.Helper(); mustRun(t, append(nsExec(ns), "sysctl", "-qw", setting)...) }
	// The public network: one bridge, the STUN/TURN server's two addresses.
	ip(b.pub, "link", "add", "br0", "type", "bridge")
	ip(b.pub, "addr", "add", bedSTUN1.Addr().String()+"/24", "dev", "br0")
	ip(b.pub, "addr", "add", bedSTUN2.Addr().String()+"/24", "dev", "br0")
	ip(b.pub, "link", "set", "br0", "up")
	// The rest of the internet, where packets to private addresses vanish:
	// a default route out of a link whose far end takes nothing (a
	// gateway that exists only as a fixed neighbour entry). Without it,
	// coturn relaying toward a private host candidate gets "network
	// unreachable" and closes the whole allocation.
	ip(b.pub, "link", "add", "internet", "type", "veth", "peer", "name", "far")
	ip(b.pub, "link", "set", "far", "up")
	ip(b.pub, "link", "set", "internet", "up")
	ip(b.pub, "neigh", "add", "203.0.113.254", "lladdr", "00:00:5e:00:53:01", "dev", "internet", "nud", "permanent")
	ip(b.pub, "route", "add", "default", "via", "203.0.113.254", "dev", "internet", "onlink")
	for i, kind := range b.kind {
		r, h := b.router[i], b.host[i]
		up := fmt.Sprintf("up%d", i+1)
		sysctl(h, "net.ipv4.conf.all.promote_secondaries=1")
		if kind == natPublic {
			// The host on the bridge, with the home's public address.
			b.hostAddr[i] = bedWAN[i]
			ip(h, "link", "add", "eth0", "type", "veth", "peer", "name", up, "netns", b.pub)
			ip(b.pub, "link", "set", up, "master", "br0", "up")
			ip(h, "addr", "add", bedWAN[i].String()+"/24", "dev", "eth0")
			ip(h, "link", "set", "eth0", "up")
			ip(h, "route", "add", "default", "via", bedSTUN1.Addr().String())
			continue
		}
		sysctl(r, "net.ipv4.conf.all.promote_secondaries=1")
		lan := fmt.Sprintf("198.18.%d.1", i+1)
		// Router wan ↔ the bridge; host eth0 ↔ router lan. The links are
		// made inside the namespaces, so no name ever exists in the
		// machine's own namespace.
		ip(r, "link", "add", "wan", "type", "veth", "peer", "name", up, "netns", b.pub)
		ip(b.pub, "link", "set", up, "master", "br0", "up")
		ip(r, "addr", "add", bedWAN[i].String()+"/24", "dev", "wan")
		ip(r, "link", "set", "wan", "up")
		ip(r, "route", "add", "default", "via", bedSTUN1.Addr().String())
		ip(h, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", r)
		ip(r, "addr", "add", lan+"/24", "dev", "lan")
		ip(r, "link", "set", "lan", "up")
		ip(h, "addr", "add", bedHost[i].String()+"/24", "dev", "eth0")
		ip(h, "link", "set", "eth0", "up")
		ip(h, "route", "add", "default", "via", lan)
		mustRun(t, append(nsExec(r), "sysctl", "-qw", "net.ipv4.ip_forward=1")...)
		mustRunWith(t, strings.NewReader(natRules(kind)), append(nsExec(r), "nft", "-f", "-")...)
	}
	b.startTURN()
	return b
}

// natRules is a home router's nftables rule set: masquerade on the wan
// side, and a stateful firewall (nothing comes in from the wan that is not
// an answer to what went out). Every link whose name starts with "lan" is
// the home's side: lan, and lan1 once swapInterface adds it.
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
		iifname "lo" accept
		iifname "lan*" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan*" oifname "wan" accept
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
	args := append(nsExec(b.pub), "turnserver",
		"-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp-relay",
		"--listening-ip", bedSTUN1.Addr().String(), "--listening-ip", bedSTUN2.Addr().String(),
		"--listening-port", fmt.Sprint(bedSTUN1.Port()),
		"--relay-ip", bedSTUN1.Addr().String(), "--min-port", "49152", "--max-port", "49999",
		"--lt-cred-mech", "--realm", "peercall.test", "--user", b.turnUser+":"+b.turnPass,
		"--fingerprint", "--verbose",
		"--log-file", "stdout", "--simple-log",
		"--pidfile", filepath.Join(b.dir, "turnserver.pid"),
		"--db", filepath.Join(b.dir, "turndb"))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.WaitDelay = 5 * time.Second
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

// bedCall runs `peercall invite` on home 1's host and `peercall join` on
// home 2's, the reply pasted pasteDelay after the joiner started (as a
// person who takes a while to paste it), to the end of the call. Each side
// gets the test pattern at 640×480@30, then flags, then its own.
func (b *natBed) bedCall(seconds int, pasteDelay time.Duration, flags []string, env ...string) (inviter, joiner *peer) {
	t := b.t
	t.Helper()
	inviter, joiner = twoProcessCall(t, callOptions{
		seconds: seconds, pasteDelay: pasteDelay, env: env,
		flags:         append([]string{"--source", "pattern", "--size", "640x480", "--fps", "30"}, flags...),
		inviterPrefix: nsExec(b.host[0]), joinerPrefix: nsExec(b.host[1]),
	})
	if t.Failed() {
		t.Logf("turnserver log (end):\n%s", bedTail(b.turnLog))
	}
	return inviter, joiner
}

// pair is the candidate types of the pair a side last reported, such as
// "srflx/relay" (local/remote); empty when none was.
func pair(p *peer) string {
	lines := p.statsLines()
	for _, l := range slices.Backward(lines) {
		if l.LocalCandidate != "" {
			return l.LocalCandidate + "/" + l.RemoteCandidate
		}
	}
	return ""
}

// lastRTT is the last round-trip time a side reported.
func lastRTT(p *peer) float64 {
	lines := p.statsLines()
	for _, l := range slices.Backward(lines) {
		if l.RTTMs > 0 {
			return l.RTTMs
		}
	}
	return 0
}

// bedReport logs a side's figures: connect time, first frame, rate, path;
// the summary line must name the path too.
func bedReport(t *testing.T, p *peer) {
	t.Helper()
	final := p.final()
	if final.End != "" && final.LocalCandidate == "" && final.ConnectedMs >= 0 {
		t.Errorf("%s: the summary line names no candidate pair", p.name)
	}
	t.Logf("%s: connected %.0f ms after its code was applied, first frame %.0f ms, %d frames, %.1f fps, rtt %.2f ms, pair %s (local/remote)",
		p.name, final.ConnectedMs, final.FirstFrameMs, final.FramesDecoded, final.FPS, lastRTT(p), pair(p))
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

// TestNATBedChanges checks the bed's changes themselves, without a call:
// after each the host reaches the public network, seen at the address the
// change gave it (each change checks that), and a router given a new
// address has forgotten every connection it tracked, not only those it
// masqueraded.
func TestNATBedChanges(t *testing.T) {
	b := bedNew(t, natCone, natCone)
	// A connection the router tracks without NAT: from the host to the
	// router's own lan address, where nothing answers.
	lan := netip.MustParseAddrPort("198.18.1.1:3478")
	if _, err := natMappings(b.host[0], []netip.AddrPort{lan}, 200*time.Millisecond); err == nil {
		t.Fatalf("something answers STUN at %s", lan)
	}
	tracked := "dst=" + lan.Addr().String() + " "
	if !strings.Contains(bedConntrack(t, b.router[0]), tracked) {
		t.Fatalf("router 1 does not track the host's packets to %s", lan)
	}
	for _, c := range []struct {
		name   string
		change func(int)
		home   int
	}{
		{"renumberWAN", b.renumberWAN, 0},
		{"moveHost", b.moveHost, 1},
		{"swapInterface", b.swapInterface, 1},
		{"swapInterface", b.swapInterface, 0},
	} {
		start := time.Now()
		c.change(c.home)
		t.Logf("%s on home %d: %v; the host %s on %s, seen as %s", c.name, c.home+1,
			time.Since(start).Round(time.Millisecond), b.hostAddr[c.home], b.hostDev[c.home], b.wan[c.home])
	}
	if strings.Contains(bedConntrack(t, b.router[0]), tracked) {
		t.Errorf("router 1 still tracks the host's packets to %s after its renumbering", lan)
	}
}

// Two homes behind cone NATs, with STUN only: the call goes straight
// between the two routers' public addresses.
func TestNATConeSTUN(t *testing.T) {
	b := bedNew(t, natCone, natCone)
	const seconds = 8
	inv, join := b.bedCall(seconds, 0, []string{"--stun", bedSTUN1.String()})
	bedReport(t, inv)
	bedReport(t, join)
	checkCall(t, inv, seconds)
	checkCall(t, join, seconds)
	if !strings.Contains(pair(inv)+pair(join), "srflx") {
		t.Errorf("no side used a server-reflexive candidate: inviter %q, joiner %q", pair(inv), pair(join))
	}
	if strings.Contains(pair(inv)+pair(join), "relay") {
		t.Errorf("a relay in a call that needs none: inviter %q, joiner %q", pair(inv), pair(join))
	}
}

// The joiner behind a symmetric NAT, the inviter behind a cone: no direct
// path exists (the symmetric side's mapping toward the peer is not the one
// STUN saw, and the cone side only lets in answers), so the call goes
// through the TURN server's relay.
func TestNATSymmetricTURN(t *testing.T) {
	b := bedNew(t, natCone, natSymmetric)
	const seconds = 8
	inv, join := b.bedCall(seconds, 0, b.turnFlags())
	bedReport(t, inv)
	bedReport(t, join)
	checkCall(t, inv, seconds)
	checkCall(t, join, seconds)
	if !strings.Contains(pair(inv)+pair(join), "relay") {
		t.Errorf("no side used a relay: inviter %q, joiner %q", pair(inv), pair(join))
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
	const seconds = 3
	inv, join := b.bedCall(seconds, 0, append(b.turnFlags(), "--verbose"), "PION_LOG_TRACE=all")
	bedReport(t, inv)
	bedReport(t, join)
	if !strings.Contains(pair(inv)+pair(join), "relay") {
		t.Errorf("no side used a relay: inviter %q, joiner %q", pair(inv), pair(join))
	}
	for _, p := range []*peer{inv, join} {
		stats, err := os.ReadFile(p.stats)
		if err != nil {
			t.Fatal(err)
		}
		stderr := p.stderr.String()
		if len(stderr) < 1000 {
			t.Errorf("%s logged only %d bytes with --verbose and PION_LOG_TRACE: the check below proves little", p.name, len(stderr))
		}
		for what, text := range map[string]string{"stdout": p.code + "\n" + p.stdout.String(), "stderr": stderr, "statistics": string(stats)} {
			if strings.Contains(text, b.turnPass) {
				t.Errorf("%s: the TURN password is in its %s", p.name, what)
			}
		}
		t.Logf("%s: %d bytes of logs, %d of statistics: no password", p.name, len(stderr), len(stats))
	}
}

// The inviter pastes the reply late, after the joiner's NAT has forgotten
// an idle mapping: the joiner must have kept its side open by checking all
// along. The joiner's router forgets idle UDP mappings after 3 s here (30 s
// is Linux's default; home routers use 30 s to a few minutes), so a paste 8
// s late stands for one minutes late.
func TestNATLateReply(t *testing.T) {
	b := bedNew(t, natCone, natCone)
	mustRun(t, append(nsExec(b.router[1]), "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=3")...)
	const seconds = 4
	inv, join := b.bedCall(seconds, 8*time.Second, []string{"--stun", bedSTUN1.String()})
	bedReport(t, inv)
	bedReport(t, join)
	checkCall(t, inv, seconds)
	checkCall(t, join, seconds)
	if ms := inv.final().ConnectedMs; ms > 3000 {
		t.Errorf("the inviter connected %.0f ms after the late reply, want a prompt connect", ms)
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
	flags := []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--seconds", "20", "--stun", bedSTUN1.String()}
	start := func(name string, home int, sub string, args ...string) *peer {
		return startPeer(t, peerOptions{name: name, prefix: nsExec(b.host[home])}, sub, append(slices.Clone(flags), args...)...)
	}
	inv := start("inviter", 0, "invite")
	meant := start("invited", 1, "join", inv.code)
	impostor := start("impostor", 1, "join", inv.code)
	inv.paste(forgeReply(t, meant.code, impostor.code))
	waitRefused(t, inv)
	refusedAt := time.Now()
	inv.paste(meant.code)
	for _, p := range []*peer{inv, meant} {
		l := p.waitStats(time.Until(refusedAt.Add(30*time.Second)), "video after the genuine reply", func(l statsLine) bool { return l.FramesDecoded > 15 })
		t.Logf("%s: %d frames decoded %.1f s after the genuine reply", p.name, l.FramesDecoded, time.Since(refusedAt).Seconds())
	}
}

// Changes to a running bed: what happens to people's networks mid-call.
// Each is done by a handful of commands in the namespaces concerned, the
// first of which starts the change, and each checks its result with STUN
// from the host: the host reaches the public network again, and its NAT
// shows the address the change gave it.

// renumberWAN gives home's router a new public address (203.0.113.21 for
// home 1, .22 for home 2) and forgets its NAT mappings and firewall state,
// as a router restart or a carrier's NAT rebinding does: the new address is
// added, the old one removed (its masqueraded connections go with it), the
// default route kept, and then the whole connection-tracking table is
// flushed. Packets to the old address find no one.
func (b *natBed) renumberWAN(home int) {
	t := b.t
	t.Helper()
	r, old := b.router[home], b.wan[home]
	if r == "" || old != bedWAN[home] {
		t.Fatalf("home %d: renumberWAN needs a router still on its first address", home+1)
	}
	to := netip.AddrFrom4([4]byte{203, 0, 113, byte(21 + home)})
	mustRunWith(t, strings.NewReader(fmt.Sprintf(
		"addr add %s/24 dev wan\naddr del %s/24 dev wan\nroute replace default via %s dev wan\n",
		to, old, bedSTUN1.Addr())), "ip", "-n", r, "-batch", "-")
	if err := bedFlushConntrack(r); err != nil {
		t.Fatalf("flushing the connection tracking of router %d: %v", home+1, err)
	}
	b.wan[home] = to
	if table := bedConntrack(t, r); strings.Contains(table, "="+old.String()+" ") {
		t.Fatalf("router %d still tracks connections of %s after the flush:\n%s", home+1, old, table)
	}
	b.checkMapped(home)
}

// moveHost moves home's host to a new address on its network, as a laptop
// roaming to another access point of the same network does: the new
// address (.3 on the same subnet) is added, the old one removed, and the
// default route kept. The router keeps its state.
func (b *natBed) moveHost(home int) {
	t := b.t
	t.Helper()
	old := b.hostAddr[home]
	moved := old.As4()
	moved[3] = 3
	to := netip.AddrFrom4(moved)
	mustRunWith(t, strings.NewReader(fmt.Sprintf(
		"addr add %[1]s/24 dev %[2]s\naddr del %[3]s/24 dev %[2]s\nroute replace default via %[4]s dev %[2]s\n",
		to, b.hostDev[home], old, b.gateway(home, to))), "ip", "-n", b.host[home], "-batch", "-")
	b.hostAddr[home] = to
	b.checkMapped(home)
}

// swapInterface takes home's host off its network by its only link and
// puts it back by another, as turning Wi-Fi off and plugging in a cable
// does: eth0 loses its address and goes down, and a new link, eth1, to a
// new port of the router (lan1, serving 198.18.1N.0/24) comes up with
// 198.18.1N.2 and the default route.
func (b *natBed) swapInterface(home int) {
	t := b.t
	t.Helper()
	h, r := b.host[home], b.router[home]
	if r == "" || b.hostDev[home] != "eth0" {
		t.Fatalf("home %d: swapInterface needs a router and a host still on eth0", home+1)
	}
	gw := netip.AddrFrom4([4]byte{198, 18, byte(11 + home), 1})
	to := netip.AddrFrom4([4]byte{198, 18, byte(11 + home), 2})
	mustRunWith(t, strings.NewReader("addr flush dev eth0\nlink set eth0 down\n"), "ip", "-n", h, "-batch", "-")
	mustRun(t, "ip", "-n", h, "link", "add", "eth1", "type", "veth", "peer", "name", "lan1", "netns", r)
	mustRunWith(t, strings.NewReader(fmt.Sprintf("addr add %s/24 dev lan1\nlink set lan1 up\n", gw)), "ip", "-n", r, "-batch", "-")
	mustRunWith(t, strings.NewReader(fmt.Sprintf(
		"addr add %s/24 dev eth1\nlink set eth1 up\nroute replace default via %s dev eth1\n", to, gw)), "ip", "-n", h, "-batch", "-")
	b.hostAddr[home], b.hostDev[home] = to, "eth1"
	b.checkMapped(home)
}

// gateway is the router's address on the subnet of a host address.
func (b *natBed) gateway(home int, host netip.Addr) netip.Addr {
	if b.kind[home] == natPublic {
		return bedSTUN1.Addr()
	}
	a := host.As4()
	a[3] = 1
	return netip.AddrFrom4(a)
}

// checkMapped checks with STUN, from a new socket of home's host, that the
// host reaches the public network and is seen there at its home's public
// address. The test fails if not: the change did not give what it meant
// to.
func (b *natBed) checkMapped(home int) {
	t := b.t
	t.Helper()
	m, err := natMappings(b.host[home], []netip.AddrPort{bedSTUN2}, 3*time.Second)
	if err != nil {
		t.Fatalf("home %d after the change: %v", home+1, err)
	}
	if m[0].Addr() != b.wan[home] {
		t.Fatalf("home %d after the change: seen from the public network as %s, want %s", home+1, m[0], b.wan[home])
	}
}

// bedConntrack is the connection-tracking table of the namespace ns, as
// /proc/net/nf_conntrack lists it.
func bedConntrack(t *testing.T, ns string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "cat", "/proc/net/nf_conntrack").CombinedOutput()
	if err != nil {
		t.Fatalf("reading the connection tracking of %s: %v: %s", ns, err, out)
	}
	return string(out)
}

// bedFlushConntrack empties the IPv4 connection-tracking table of the
// network namespace ns, as `conntrack -F` does (the conntrack tool is not
// among the machine's dependencies): one ctnetlink delete request with no
// tuple, and its acknowledgement.
func bedFlushConntrack(ns string) error {
	const ipctnlMsgCtDelete = 2 // IPCTNL_MSG_CT_DELETE, linux/netfilter/nfnetlink_conntrack.h
	return inNamespace(ns, func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
		if err != nil {
			return fmt.Errorf("netfilter netlink socket: %w", err)
		}
		defer unix.Close(fd)
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5}); err != nil {
			return err
		}
		kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return err
		}
		const seq = 1
		req := make([]byte, unix.NLMSG_HDRLEN+4) // header, struct nfgenmsg
		binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
		binary.NativeEndian.PutUint16(req[4:], unix.NFNL_SUBSYS_CTNETLINK<<8|ipctnlMsgCtDelete)
		binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
		binary.NativeEndian.PutUint32(req[8:], seq)
		req[unix.NLMSG_HDRLEN] = unix.AF_INET
		req[unix.NLMSG_HDRLEN+1] = unix.NFNETLINK_V0
		if err := unix.Sendto(fd, req, 0, kernel); err != nil {
			return fmt.Errorf("conntrack flush request: %w", err)
		}
		buf := make([]byte, 4096)
		for range 16 { // the acknowledgement comes first; a few stray messages at most
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return fmt.Errorf("conntrack flush: no answer: %w", err)
			}
			for m := buf[:n]; len(m) >= unix.NLMSG_HDRLEN; {
				l := int(binary.NativeEndian.Uint32(m[0:]))
				if l < unix.NLMSG_HDRLEN || l > len(m) {
					return fmt.Errorf("conntrack flush: malformed answer")
				}
				typ, gotSeq := binary.NativeEndian.Uint16(m[4:]), binary.NativeEndian.Uint32(m[8:])
				if typ == unix.NLMSG_ERROR && gotSeq == seq && l >= unix.NLMSG_HDRLEN+4 {
					if code := int32(binary.NativeEndian.Uint32(m[unix.NLMSG_HDRLEN:])); code != 0 {
						return fmt.Errorf("conntrack flush: %w", unix.Errno(-code))
					}
					return nil
				}
				if next := (l + 3) &^ 3; next < len(m) {
					m = m[next:]
				} else {
					break
				}
			}
		}
		return errors.New("conntrack flush: no acknowledgement")
	})
}
