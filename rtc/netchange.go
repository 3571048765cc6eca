package rtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// How a call survives a change of this side's network.
//
// A laptop that roams to another access point, a cable plugged in as the
// Wi-Fi goes off, a home router that restarts with a new public address:
// the path the call used dies, and the other side cannot reach this one
// where it was. The side whose network changed is the one that can fix
// it: it gathers its candidates again — host candidates on the addresses
// it has now, a new server-reflexive address, a new relay allocated from
// where it is — and checks them against every candidate the other side
// ever gave, its relay included. The other side does nothing but answer:
// a check from an address it has not seen is a peer-reflexive candidate
// to it, and the pair that works becomes the call's (paths.go). Checks
// from a new relay reach the other side's relay on the same TURN server
// because TURN permissions are per IP address.
//
// pion cannot restart ICE in band without first dropping the pair in use
// (docs/PROTOCOL.md, section 6), and here the pair is dead anyway, so the
// restart is local: this side restarts its ICE agent with the same
// credentials — they derive from the certificate, and the other side
// knows them — gathers again, and takes the other side's current
// description back as the answer to its own restart offer. Nothing is
// sent in band and the other side's state is untouched; DTLS and SCTP go
// on over whichever pair comes up. New candidates also trickle over the
// signal channel, and arrive once the path is back.
//
// This side knows its network changed when its addresses change (watched
// every netPollInterval), or, while the call is reconnecting, when a STUN
// server shows it a public address its candidates do not have (its router
// got a new one).

const (
	// netPollInterval is how often the machine's addresses are compared
	// with the sockets'.
	netPollInterval = time.Second
	// stunProbeTimeout bounds one STUN request that checks the public
	// address.
	stunProbeTimeout = time.Second
	// regatherEvery is the least time between two gatherings again.
	regatherEvery = 2 * time.Second
	// regatherRetry is how often a side whose network changed gathers
	// again while its call has not come back.
	regatherRetry = 2 * time.Second
)

// moved notes that this side's network changed and gathers again.
func (s *Session) moved(ctx context.Context) {
	s.mu.Lock()
	s.movedAt = time.Now()
	s.mu.Unlock()
	s.regather(ctx)
}

// stillMoving tells whether this side's network changed lately, the call
// has not come back since, and the last gathering is regatherRetry old.
func (s *Session) stillMoving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.movedAt.IsZero() && s.state == StateReconnecting &&
		time.Since(s.movedAt) < s.cfg.LostAfter && time.Since(s.regatheredAt) >= regatherRetry
}

// watchNetwork follows the machine's addresses while the call runs and
// gathers again when they change. It runs on a goroutine of its own from
// the first connection until the call ends.
func (s *Session) watchNetwork(ctx context.Context) {
	tick := time.NewTicker(netPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		mux, ready := s.mux, s.pcConnected
		s.mu.Unlock()
		if mux == nil || !ready {
			// A connection that has not connected yet is reached at the
			// sockets its code named: they stay as they are.
			continue
		}
		change, err := mux.refresh()
		if err != nil {
			s.log.Debug("reading the machine's addresses", "err", err)
			continue
		}
		switch {
		case change.gone > 0:
			// The path in use may have been on it.
			s.log.Info("this computer's network changed; gathering candidates again")
			s.moved(ctx)
		case change.came > 0 && s.State() != StateConnected:
			s.log.Info("this computer has a new address; gathering candidates again")
			s.moved(ctx)
		case s.stillMoving():
			// A network that changed takes a moment to settle (its
			// route, its DHCP lease, the new NAT mapping): while the call
			// has not come back, gather again now and then.
			s.log.Info("still reconnecting after this computer's network changed; gathering candidates again")
			s.regather(ctx)
		case change.came > 0:
			// A working call is left alone (a virtual machine's bridge
			// or a VPN coming up needs nothing); the new address is
			// gathered if the call ever needs a way back.
			s.mu.Lock()
			s.newAddresses = true
			s.mu.Unlock()
		}
	}
}

// checkPublicAddress asks the STUN servers, while the call is
// reconnecting, which public address this side has now, and gathers again
// when it is not one its candidates have: the router in front of this
// side got a new address and forgot its mappings.
func (s *Session) checkPublicAddress(ctx context.Context) {
	s.mu.Lock()
	pc, hosts := s.pc, s.hosts.net
	s.mu.Unlock()
	if pc == nil || hosts == nil {
		return
	}
	s.mu.Lock()
	pending := s.newAddresses
	s.mu.Unlock()
	if pending {
		s.log.Info("reconnecting with addresses that came since the last gathering; gathering candidates again")
		s.moved(ctx)
		return
	}
	known := publicAddresses(pc.LocalDescription())
	if len(known) == 0 {
		return // no server-reflexive candidate to compare with
	}
	for _, server := range s.cfg.ICEServers {
		for _, u := range server.URLs {
			addr, err := stunPublicAddress(ctx, hosts, u)
			if err != nil {
				s.log.Debug("asking a STUN server for the public address", "server", u, "err", err)
				continue
			}
			if known[addr] {
				return
			}
			s.log.Info("this side's public address changed; gathering candidates again", "now", addr.String())
			s.moved(ctx)
			return
		}
	}
}

// publicAddresses are the addresses of the server-reflexive candidates in
// d.
func publicAddresses(d *webrtc.SessionDescription) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	if d == nil {
		return out
	}
	for _, line := range strings.Split(d.SDP, "\n") {
		attr, ok := strings.CutPrefix(strings.TrimSpace(line), "a=")
		if !ok || !strings.HasPrefix(attr, "candidate:") {
			continue
		}
		c, err := ice.UnmarshalCandidate(attr)
		if err != nil || c.Type() != ice.CandidateTypeServerReflexive {
			continue
		}
		if a, err := netip.ParseAddr(c.Address()); err == nil {
			out[a.Unmap()] = true
		}
	}
	return out
}

// stunPublicAddress sends one STUN binding request to the server of a
// stun: URL, from a socket of its own, and returns the address the server
// saw it come from.
func stunPublicAddress(ctx context.Context, n transport.Net, url string) (netip.Addr, error) {
	uri, err := stun.ParseURI(url)
	if err != nil {
		return netip.Addr{}, err
	}
	if uri.Scheme != stun.SchemeTypeSTUN {
		return netip.Addr{}, fmt.Errorf("not a STUN server: %s", uri.Scheme)
	}
	server, err := n.ResolveUDPAddr("udp4", net.JoinHostPort(uri.Host, fmt.Sprint(uri.Port)))
	if err != nil {
		return netip.Addr{}, err
	}
	conn, err := n.ListenUDP("udp4", nil)
	if err != nil {
		return netip.Addr{}, err
	}
	defer conn.Close()
	deadline := time.Now().Add(stunProbeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return netip.Addr{}, err
	}
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if err != nil {
		return netip.Addr{}, err
	}
	if _, err := conn.WriteTo(req.Raw, server); err != nil {
		return netip.Addr{}, err
	}
	buf := make([]byte, 1500)
	for {
		k, _, err := conn.ReadFrom(buf)
		if err != nil {
			return netip.Addr{}, err
		}
		resp := &stun.Message{Raw: append([]byte(nil), buf[:k]...)}
		if resp.Decode() != nil || resp.TransactionID != req.TransactionID {
			continue
		}
		var mapped stun.XORMappedAddress
		if err := mapped.GetFrom(resp); err != nil {
			return netip.Addr{}, err
		}
		a, ok := netip.AddrFromSlice(mapped.IP)
		if !ok {
			return netip.Addr{}, fmt.Errorf("bad mapped address %v", mapped.IP)
		}
		return a.Unmap(), nil
	}
}

// errNotStable refuses to gather again while an offer is being applied.
var errNotStable = errors.New("rtc: a negotiation is under way")

// regather gathers this side's candidates again on the same connection
// and checks them against every candidate the other side gave. At most
// once every regatherEvery.
func (s *Session) regather(ctx context.Context) {
	s.mu.Lock()
	neg, pc, last := s.neg, s.pc, s.regatheredAt
	if neg == nil || !s.pcConnected || time.Since(last) < regatherEvery {
		s.mu.Unlock()
		return
	}
	s.regatheredAt = time.Now()
	s.newAddresses = false
	peer := append([]webrtc.ICECandidateInit(nil), s.peerCandidates...)
	s.mu.Unlock()
	// The other side as this side's agent found it (peer-reflexive: the
	// port its NAT gave the socket that checks), which its codes do not
	// name: through a NAT that filters, only that address is open to
	// this side's checks.
	peer = append(peer, s.learnedCandidates(pc)...)
	var err error
	if derr := neg.do(ctx, func() { err = neg.regather(peer) }); derr != nil {
		err = derr
	}
	if err != nil {
		s.log.Warn("gathering candidates again failed", "err", err)
		return
	}
	s.regathers.Add(1)
}

// regather restarts ICE locally with the same credentials (which gathers
// again) and takes the other side's current description back as the
// answer, so that the agent checks the new candidates against the old
// remote ones; on the loop goroutine only.
func (n *negotiator) regather(peer []webrtc.ICECandidateInit) error {
	if n.pc.SignalingState() != webrtc.SignalingStateStable {
		return errNotStable
	}
	remote, local := n.pc.CurrentRemoteDescription(), n.pc.CurrentLocalDescription()
	if remote == nil || local == nil {
		return ErrWrongStep
	}
	answer := answerFrom(*remote, *local)
	// An offer sent and not answered yet is void: its round starts over
	// when the path is back.
	if n.pending != nil {
		n.pending = nil
		defer n.negotiationNeeded()
	}
	offer, err := n.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return fmt.Errorf("restarting: %w", err)
	}
	if err := n.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("applying the restart: %w", err)
	}
	if err := n.pc.SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("taking the other side's description back: %w", err)
	}
	for _, c := range peer {
		if err := n.pc.AddICECandidate(c); err != nil {
			n.log.Debug("remote candidate not added again", "err", err)
		}
	}
	return nil
}

// answerFrom turns the other side's current description into an answer to
// this side's restart offer: as it is when it was an answer; when it was
// an offer, with the DTLS role it took in the handshake that was made
// rather than the offer's "actpass".
func answerFrom(remote, local webrtc.SessionDescription) webrtc.SessionDescription {
	if remote.Type == webrtc.SDPTypeAnswer {
		return remote
	}
	role := "active"
	if strings.Contains(local.SDP, "a=setup:active") {
		role = "passive"
	}
	return webrtc.SessionDescription{
		Type: webrtc.SDPTypeAnswer,
		SDP:  strings.ReplaceAll(remote.SDP, "a=setup:actpass", "a=setup:"+role),
	}
}

// Regathers is how often this side gathered its candidates again after
// its network changed.
func (s *Session) Regathers() uint64 { return s.regathers.Load() }

// candidatesIn lists the candidates of a description, as trickled
// candidates are given.
func candidatesIn(d webrtc.SessionDescription) []webrtc.ICECandidateInit {
	var out []webrtc.ICECandidateInit
	for _, line := range strings.Split(d.SDP, "\n") {
		attr, ok := strings.CutPrefix(strings.TrimSpace(line), "a=")
		if ok && strings.HasPrefix(attr, "candidate:") {
			out = append(out, webrtc.ICECandidateInit{Candidate: attr})
		}
	}
	return out
}

// notePeerCandidate remembers a candidate the other side trickled.
func (s *Session) notePeerCandidate(c webrtc.ICECandidateInit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.peerCandidates {
		if have.Candidate == c.Candidate {
			return
		}
	}
	s.peerCandidates = append(s.peerCandidates, webrtc.ICECandidateInit{Candidate: c.Candidate})
}

// learnedCandidates are the other side's peer-reflexive candidates pc's
// agent knows, as candidates to add.
func (s *Session) learnedCandidates(pc *webrtc.PeerConnection) []webrtc.ICECandidateInit {
	s.statsMu.RLock()
	defer s.statsMu.RUnlock()
	s.mu.Lock()
	closing := s.pcClosing
	s.mu.Unlock()
	if closing {
		return nil
	}
	var out []webrtc.ICECandidateInit
	for _, st := range pc.GetStats() {
		c, ok := st.(webrtc.ICECandidateStats)
		if !ok || c.Type != webrtc.StatsTypeRemoteCandidate || c.CandidateType != webrtc.ICECandidateTypePrflx {
			continue
		}
		if _, err := netip.ParseAddr(c.IP); err != nil || c.Port <= 0 {
			continue
		}
		line := fmt.Sprintf("candidate:%d 1 udp %d %s %d typ prflx", c.Priority, c.Priority, c.IP, c.Port)
		out = append(out, webrtc.ICECandidateInit{Candidate: line})
	}
	return out
}
