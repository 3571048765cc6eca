package rtc

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

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
// addresses and ports. An address that cannot be bound (one being removed,
// or an IPv6 address still being checked for duplicates) is left out, as
// pion leaves out its own host candidates then. The sockets' complaints go
// to logs, with the rest of the connection's.
func (k *sockets) mux(cfgNet transport.Net, interfaces []string, logs logging.LoggerFactory) (ice.UDPMux, error) {
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
	want := k.addrs
	if first {
		var err error
		if want, err = hostAddresses(k.net, interfaces); err != nil {
			return nil, err
		}
	}
	var muxes []ice.UDPMux
	var bound []*net.UDPAddr
	for _, a := range want {
		conn, err := k.net.ListenUDP("udp", a)
		if err != nil {
			continue
		}
		local, ok := conn.LocalAddr().(*net.UDPAddr)
		if !ok {
			_ = conn.Close()
			continue
		}
		bound = append(bound, local)
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Net: k.net, Logger: logs.NewLogger("ice")}))
	}
	if len(muxes) == 0 {
		return nil, fmt.Errorf("rtc: no UDP socket could be opened on %v", want)
	}
	if first {
		k.addrs = bound
	}
	return ice.NewMultiUDPMuxDefault(muxes...), nil
}

// hostAddresses lists the addresses host candidates come from: every
// address of every interface that is up (loopback included, for calls on
// one machine), of the named interfaces only when names are given, with
// port 0. Deprecated site-local and IPv4-compatible IPv6 addresses are left
// out.
func hostAddresses(n transport.Net, names []string) ([]*net.UDPAddr, error) {
	ifaces, err := n.Interfaces()
	if err != nil {
		return nil, err
	}
	// Neither kind may be a candidate (RFC 8445, 5.1.1.1); the second takes
	// ::1 along, as pion does.
	siteLocal := netip.MustParsePrefix("fec0::/10")
	v4Compatible := netip.MustParsePrefix("::/96")
	var out []*net.UDPAddr
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || (len(names) > 0 && !slices.Contains(names, iface.Name)) {
			continue
		}
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
			out = append(out, u)
		}
	}
	return out, nil
}

// closeMux closes a peer connection's UDP mux, if any.
func closeMux(m ice.UDPMux) error {
	if m == nil {
		return nil
	}
	return m.Close()
}
