package rtc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// The session owns its host UDP sockets rather than letting each peer
// connection bind its own, so that a connection rebuilt after a refused
// reply (rearm.go) offers the very candidates the invite named.

// sockets are the UDP addresses the session's host candidates use, kept
// from one peer connection to the next, and the local port its
// server-reflexive candidates came from.
type sockets struct {
	net   transport.Net
	addrs []*net.UDPAddr // empty until the first mux is made
	// srflxPort is the one local port the first connection's
	// server-reflexive candidates were found from, 0 if none or several.
	// A new connection binds its STUN socket there again: a NAT that
	// keeps the port (as most do) then shows the same public address, the
	// one the invite named.
	srflxPort int
	// preferred is the port the host sockets take when it is free: the
	// one the session's fingerprint stands for (invite.HostPort), which a
	// code then need not write.
	preferred int
}

// noteSrflx records the local port of the server-reflexive candidates in
// sdp, the first connection's local description.
func (k *sockets) noteSrflx(sdp string) {
	port := 0
	for _, line := range strings.Split(sdp, "\n") {
		attr, ok := strings.CutPrefix(strings.TrimSpace(line), "a=")
		if !ok || !strings.HasPrefix(attr, "candidate:") {
			continue
		}
		c, err := ice.UnmarshalCandidate(attr)
		if err != nil || c.Type() != ice.CandidateTypeServerReflexive || c.RelatedAddress() == nil {
			continue
		}
		switch p := c.RelatedAddress().Port; {
		case port == 0:
			port = p
		case port != p:
			return // several: none can be pinned for all
		}
	}
	k.srflxPort = port
}

// mux binds the host sockets: on the first call, one per local address the
// filters let through, on a port the system picks; after that, on the same
// addresses and ports where the addresses are still there, and on new
// ports for addresses that appeared since. An address that cannot be bound (one being removed,
// or an IPv6 address still being checked for duplicates) is left out, as
// pion leaves out its own host candidates then. The sockets' complaints go
// to logs, with the rest of the connection's.
func (k *sockets) mux(cfgNet transport.Net, interfaces []string, logs logging.LoggerFactory) (hostSockets, error) {
	if k.net == nil {
		k.net = cfgNet
		if k.net == nil {
			n, err := stdnet.NewNet()
			if err != nil {
				return nil, err
			}
			k.net = n
		}
	}
	first := k.addrs == nil
	if u, ok := k.net.(interface{ UpdateInterfaces() error }); ok && !first {
		_ = u.UpdateInterfaces() // the machine's addresses may have changed since
	}
	now, err := hostAddresses(k.net, interfaces)
	if err != nil {
		return nil, err
	}
	// The ports used before, on the addresses that are still there; new
	// addresses on ports the system picks.
	want := slices.Clone(k.addrs)
	for _, a := range now {
		if !slices.ContainsFunc(want, func(b *net.UDPAddr) bool { return a.IP.Equal(b.IP) && a.Zone == b.Zone }) {
			want = append(want, a)
		}
	}
	m := &hostMux{net: k.net, logs: logs, interfaces: interfaces}
	// Every host socket on one port where the system allows it: a code
	// then writes the port once for all host candidates, and not at all
	// when it is the preferred one.
	port := 0
	for _, a := range want {
		if a.Port != 0 {
			port = a.Port
			break
		}
	}
	if port == 0 {
		port = k.preferred
	}
	for _, a := range want {
		if a.Port == 0 && port != 0 {
			same := *a
			same.Port = port
			if m.bind(&same) {
				continue
			}
			if port == k.preferred && len(m.bound()) == 0 {
				port = 0 // taken: all on the port the system picks for the first
			}
		}
		if m.bind(a) && port == 0 {
			bound := m.bound()
			port = bound[len(bound)-1].Port
		}
	}
	if len(m.muxes) == 0 {
		return nil, fmt.Errorf("rtc: no UDP socket could be opened on %v", want)
	}
	if first {
		k.addrs = m.bound()
	}
	return m, nil
}

// hostMux is a connection's host sockets as pion's ICE agent takes them
// (an ice.UDPMux): one socket per local address. Unlike pion's own
// MultiUDPMuxDefault it follows the machine's addresses: refresh binds
// sockets on addresses that appeared and closes those whose address went
// away, so that candidates gathered again after a network change come
// from where the machine is now.
type hostMux struct {
	net        transport.Net
	logs       logging.LoggerFactory
	interfaces []string

	mu     sync.Mutex
	muxes  []*boundMux
	closed bool // closed with its connection: refresh binds nothing more
}

// boundMux is one host socket and pion's mux over it.
type boundMux struct {
	addr *net.UDPAddr
	mux  *ice.UDPMuxDefault
}

// bind opens a socket on a and adds it; false when it cannot be bound.
func (m *hostMux) bind(a *net.UDPAddr) bool {
	conn, err := m.net.ListenUDP("udp", a)
	if err != nil {
		return false
	}
	growReadBuffer(conn)
	local, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		_ = conn.Close()
		return false
	}
	um := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Net: m.net, Logger: m.logs.NewLogger("ice")})
	m.mu.Lock()
	if m.closed {
		// A refresh (the network watch) that ran into the close.
		m.mu.Unlock()
		_ = um.Close()
		return false
	}
	m.muxes = append(m.muxes, &boundMux{addr: local, mux: um})
	m.mu.Unlock()
	return true
}

// bound lists the addresses and ports the sockets are bound to.
func (m *hostMux) bound() []*net.UDPAddr {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*net.UDPAddr, 0, len(m.muxes))
	for _, b := range m.muxes {
		out = append(out, b.addr)
	}
	return out
}

// addressChange is what refresh found: sockets closed because their
// address went away, and sockets bound on addresses that came (link-local
// IPv6 addresses, which come with every interface, not counted).
type addressChange struct{ gone, came int }

// refresh brings the sockets in line with the machine's addresses now and
// reports what changed. (An address that cannot be bound yet, such as an
// IPv6 address still being checked for duplicates, is tried again next
// time.)
func (m *hostMux) refresh() (change addressChange, err error) {
	if u, ok := m.net.(interface{ UpdateInterfaces() error }); ok {
		// pion's network keeps the list it read when it was made.
		if err := u.UpdateInterfaces(); err != nil {
			return change, err
		}
	}
	now, err := hostAddresses(m.net, m.interfaces)
	if err != nil {
		return change, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return change, nil
	}
	var keep, gone []*boundMux
	for _, b := range m.muxes {
		if slices.ContainsFunc(now, func(a *net.UDPAddr) bool { return a.IP.Equal(b.addr.IP) && a.Zone == b.addr.Zone }) {
			keep = append(keep, b)
		} else {
			gone = append(gone, b)
		}
	}
	var fresh []*net.UDPAddr
	for _, a := range now {
		if !slices.ContainsFunc(keep, func(b *boundMux) bool { return a.IP.Equal(b.addr.IP) && a.Zone == b.addr.Zone }) {
			fresh = append(fresh, a)
		}
	}
	m.muxes = keep
	m.mu.Unlock()
	for _, b := range gone {
		_ = b.mux.Close()
	}
	change.gone = len(gone)
	for _, a := range fresh {
		if m.bind(a) && !a.IP.IsLinkLocalUnicast() {
			change.came++
		}
	}
	return change, nil
}

// GetConn implements ice.UDPMux: the connection for ufrag on the socket
// bound to addr.
func (m *hostMux) GetConn(ufrag string, addr net.Addr) (net.PacketConn, error) {
	m.mu.Lock()
	var found *ice.UDPMuxDefault
	for _, b := range m.muxes {
		if b.addr.String() == addr.String() {
			found = b.mux
			break
		}
	}
	m.mu.Unlock()
	if found == nil {
		return nil, fmt.Errorf("rtc: no host socket on %s", addr)
	}
	conn, err := found.GetConn(ufrag, addr)
	if err != nil {
		return nil, err
	}
	return newHostConn(conn), nil
}

// errSocketGone is what a write to a host socket closed under its
// candidate reports: a packet lost, as on a path that died.
var errSocketGone = errors.New("rtc: the socket of this address was closed")

// hostConn is a host candidate's connection as pion's agent gets it. Its
// socket is closed under it when the machine's address goes away, and
// pion's agent passes a write's "closed pipe" error on to DTLS, which
// takes it as fatal and ends the whole call. hostConn reports such a write
// as a failed send instead — a lost packet — so the call lives on while it
// moves to another path.
type hostConn struct {
	net.PacketConn
	addrPort ice.AddrPortReaderWriter // the connection's own, when it has one
}

func newHostConn(conn net.PacketConn) net.PacketConn {
	c := &hostConn{PacketConn: conn}
	c.addrPort, _ = conn.(ice.AddrPortReaderWriter)
	if c.addrPort == nil {
		return &plainHostConn{c}
	}
	return c
}

// WriteTo implements net.PacketConn.
func (c *hostConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(p, addr)
	return n, quietClosed(err)
}

// WriteToAddrPort implements ice.AddrPortReaderWriter, pion's
// allocation-free path.
func (c *hostConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	n, err := c.addrPort.WriteToAddrPort(p, addr)
	return n, quietClosed(err)
}

// ReadFromAddrPort implements ice.AddrPortReaderWriter.
func (c *hostConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.addrPort.ReadFromAddrPort(p)
}

// plainHostConn is a hostConn over a connection without the
// allocation-free path.
type plainHostConn struct{ c *hostConn }

func (p *plainHostConn) ReadFrom(b []byte) (int, net.Addr, error)  { return p.c.ReadFrom(b) }
func (p *plainHostConn) WriteTo(b []byte, a net.Addr) (int, error) { return p.c.WriteTo(b, a) }
func (p *plainHostConn) Close() error                              { return p.c.Close() }
func (p *plainHostConn) LocalAddr() net.Addr                       { return p.c.LocalAddr() }
func (p *plainHostConn) SetDeadline(t time.Time) error             { return p.c.SetDeadline(t) }
func (p *plainHostConn) SetReadDeadline(t time.Time) error         { return p.c.SetReadDeadline(t) }
func (p *plainHostConn) SetWriteDeadline(t time.Time) error        { return p.c.SetWriteDeadline(t) }

func quietClosed(err error) error {
	if errors.Is(err, io.ErrClosedPipe) {
		return errSocketGone
	}
	return err
}

// RemoveConnByUfrag implements ice.UDPMux.
func (m *hostMux) RemoveConnByUfrag(ufrag string) {
	m.mu.Lock()
	muxes := slices.Clone(m.muxes)
	m.mu.Unlock()
	for _, b := range muxes {
		b.mux.RemoveConnByUfrag(ufrag)
	}
}

// GetListenAddresses implements ice.UDPMux: where host candidates are.
func (m *hostMux) GetListenAddresses() []net.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]net.Addr, 0, len(m.muxes))
	for _, b := range m.muxes {
		out = append(out, b.addr)
	}
	return out
}

// Close implements ice.UDPMux: it closes every socket.
func (m *hostMux) Close() error {
	m.mu.Lock()
	muxes := m.muxes
	m.muxes, m.closed = nil, true
	m.mu.Unlock()
	var errs []error
	for _, b := range muxes {
		errs = append(errs, b.mux.Close())
	}
	return errors.Join(errs...)
}

// hostAddresses lists the addresses host candidates come from: every
// address of every interface that is up, of the named interfaces only when
// names are given, with port 0. Addresses of container and VM bridges
// (isBridge) count only when nothing else is there, and loopback addresses
// only when not even those are there, unless their interface is named: a
// bridge leads only to the containers and VMs of this machine, two apps on
// one machine reach each other on its other addresses too, and a candidate
// offered across a network that can never work there only draws checks
// and TURN permission requests. Deprecated site-local and IPv4-compatible
// IPv6 addresses are left out.
func hostAddresses(n transport.Net, names []string) ([]*net.UDPAddr, error) {
	ifaces, err := n.Interfaces()
	if err != nil {
		return nil, err
	}
	// Neither kind may be a candidate (RFC 8445, 5.1.1.1); the second takes
	// ::1 along, as pion does.
	siteLocal := netip.MustParsePrefix("fec0::/10")
	v4Compatible := netip.MustParsePrefix("::/96")
	var out, bridged, loopback []*net.UDPAddr
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || (len(names) > 0 && !slices.Contains(names, iface.Name)) {
			continue
		}
		named := slices.Contains(names, iface.Name)
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			var ip net.IP
			switch v := a.(type) {
			case *net.IPNet:
				ip = v.IP
			case *net.IPAddr:
				ip = v.IP
			default:
				continue
			}
			addr, ok := netip.AddrFromSlice(ip)
			if !ok || addr.IsUnspecified() || addr.IsMulticast() {
				continue
			}
			addr = addr.Unmap() // Go gives IPv4 addresses in 16 bytes too
			if addr.Is6() && (siteLocal.Contains(addr) || v4Compatible.Contains(addr)) {
				continue
			}
			u := &net.UDPAddr{IP: addr.AsSlice()}
			if addr.Is6() && addr.IsLinkLocalUnicast() {
				u.Zone = iface.Name
			}
			switch {
			case named:
				out = append(out, u)
			case addr.IsLoopback():
				loopback = append(loopback, u)
			case isBridge(iface.Name):
				bridged = append(bridged, u)
			default:
				out = append(out, u)
			}
		}
	}
	if len(out) == 0 {
		out = bridged
	}
	if len(out) == 0 {
		out = loopback
	}
	return out, nil
}

// bridgePrefixes start the names of the interfaces that container and VM
// software makes for the containers and VMs of this machine: Docker,
// Podman, CNI (Kubernetes, Flannel, Calico, Cilium, Weave), LXC/LXD/Incus,
// libvirt, VirtualBox and VMware. A machine's own bridge to its network
// ("br0") does not match; nor do VPN interfaces, which lead to other
// machines.
var bridgePrefixes = []string{
	"docker", "br-", "veth", "podman", "cni", "flannel", "cali", "cilium", "weave", "kube-bridge",
	"lxcbr", "lxdbr", "incusbr", "virbr", "vboxnet", "vmnet",
}

// isBridge reports whether an interface of this name leads only to
// containers or VMs on this machine.
func isBridge(name string) bool {
	return slices.ContainsFunc(bridgePrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
}

// hostSockets is what the session holds of a connection's host sockets:
// pion's ICE agent takes them as an ice.UDPMux, the session refreshes them
// when the machine's addresses change.
type hostSockets interface {
	ice.UDPMux
	refresh() (addressChange, error)
}

// closeMux closes a peer connection's host sockets, if any.
func closeMux(m hostSockets) error {
	if m == nil {
		return nil
	}
	return m.Close()
}
