package rtc

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// ErrReplyNotVerified refuses a reply whose sender could not prove it holds
// the certificate the reply names: someone other than the person it names
// answered the invite. The invite stays open for the genuine reply.
var ErrReplyNotVerified = errors.New("that reply was refused: whoever answered is not the one the reply code names, so someone else may have seen your invite; the invite still stands: paste the reply from the person you invited")

// How an invite survives a refused reply.
//
// A reply is only proven in the DTLS handshake: the side that answers must
// hold the certificate the reply names. When it does not, pion fails the
// whole peer connection and cannot use it again. The inviting side then
// builds a new one that answers to the same invite: the same certificate,
// hence the same ICE credentials (they derive from it), and the same host
// candidates, because the session's UDP sockets are its own, not the
// connection's (a UDP mux per connection, bound to the same addresses and
// ports each time). The STUN socket binds the same local port again, so
// behind a NAT that keeps ports the server-reflexive candidate is the same
// too; the joiner's checks reach both. Relayed candidates are new
// allocations; the inviter's checks from them reach the joiner's relay
// (TURN permissions are per IP address) and show there as peer-reflexive.
// Behind a NAT that does not keep ports, the genuine reply connects only
// through host candidates or a relay.

// replyKey identifies a reply by who it says answered: the certificate's
// fingerprint and the ICE username fragment.
type replyKey struct {
	fp    [32]byte
	ufrag string
}

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
// pion leaves out its own host candidates then.
func (k *sockets) mux(cfgNet transport.Net, interfaces []string) (ice.UDPMux, error) {
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
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Net: k.net}))
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

// rearm replaces the inviting side's peer connection of generation gen,
// whose DTLS handshake refused the other side, with a new one that answers
// to the same invite, and goes back to waiting for the reply. It never
// blocks: it runs in pion's callbacks.
func (s *Session) rearm(gen uint64) {
	s.mu.Lock()
	if gen != s.gen || s.state == StateEnded {
		s.mu.Unlock()
		return
	}
	s.gen++
	old, oldMux := s.pc, s.mux
	if s.pending != nil {
		s.refused = append(s.refused, *s.pending)
		s.pending = nil
	}
	s.refusal = ErrReplyNotVerified
	s.peerFP = nil
	s.codeAppliedAt = time.Time{}
	s.mu.Unlock()
	s.log.Warn("reply refused: the other side's certificate is not the one its code names; the invite stands")
	s.goRun(func() {
		// The old connection and its sockets go first, so the new ones
		// can bind the same ports.
		if err := old.Close(); err != nil {
			s.log.Debug("closing the refused connection", "err", err)
		}
		closeMux(oldMux)
		s.paths.reset()
		if err := s.build(); err != nil {
			s.end(fmt.Errorf("rtc: the invite could not be made ready again: %w", err))
			return
		}
		offer, err := s.pc.CreateOffer(nil)
		if err == nil {
			err = s.pc.SetLocalDescription(offer)
		}
		if err != nil {
			s.end(fmt.Errorf("rtc: the invite could not be made ready again: %w", err))
			return
		}
		s.setState(StateWaiting)
	})
}

// RefusedReply is why the last reply pasted was refused after it was
// applied (ErrReplyNotVerified), with the session back to StateWaiting for
// another; nil when no reply was refused since the last one was accepted.
func (s *Session) RefusedReply() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusal
}

// closeMux closes a peer connection's UDP mux, if any.
func closeMux(m ice.UDPMux) {
	if m != nil {
		_ = m.Close()
	}
}
