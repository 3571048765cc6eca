package rtc

import (
	"crypto/sha256"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

// How a call notices a dead network path and moves to another one. The
// figures are this side's; docs/PROTOCOL.md (section 6) says what the other
// side sees.
const (
	// iceKeepalive is how often each side sends a STUN check on the pair
	// in use (and the controlling side on every other pair, below).
	iceKeepalive = 500 * time.Millisecond
	// iceDisconnectedAfter: with nothing heard on the pair in use for this
	// long, the call shows as reconnecting. LostAfter later ends it.
	iceDisconnectedAfter = 2 * time.Second
	// pathSilentAfter: with no STUN check or answer on the pair in use for
	// this long, a check arriving on another pair that has worked before
	// moves the call onto that pair.
	pathSilentAfter = 1500 * time.Millisecond
	// renominationInterval bounds how often the controlling side's ICE
	// agent may nominate another pair by itself.
	renominationInterval = time.Second
	// sctpRTOMax caps the data channels' retransmission back-off, so that
	// in-band messages resume within a second of a path coming back.
	sctpRTOMax = time.Second
)

// pathWatch keeps the call on a working candidate pair. pion (ice v4.4.8)
// never leaves a selected pair by itself and cannot restart ICE without
// first dropping that pair, which would cut the in-band channel that has to
// carry the restart. So the controlling agent keeps checking every pair
// (pion's automatic renomination does that), and on either side a check
// that arrives on another pair while the pair in use has gone silent moves
// this side onto it; the other side follows when this side's checks reach
// it there.
type pathWatch struct {
	mu    sync.Mutex
	inUse string             // the selected pair, as pairKey
	since time.Time          // when it was selected
	pair  *ice.CandidatePair // the selected pair once a check arrived on it
	seen  string             // the last pair pion reported
	moves atomic.Uint64      // pair changes after the first
}

func pairKey(localAddr string, localPort int, remoteAddr string, remotePort int) string {
	return localAddr + ":" + strconv.Itoa(localPort) + ">" + remoteAddr + ":" + strconv.Itoa(remotePort)
}

// configure sets the ICE and SCTP options path switching needs.
func (w *pathWatch) configure(se *webrtc.SettingEngine) error {
	if err := se.SetICERenomination(webrtc.WithRenominationInterval(renominationInterval)); err != nil {
		return err
	}
	se.SetICEBindingRequestHandler(w.onBindingRequest)
	se.SetSCTPRTOMax(sctpRTOMax)
	return nil
}

// reset forgets the pairs of a peer connection that is being replaced.
func (w *pathWatch) reset() {
	w.mu.Lock()
	w.inUse, w.pair, w.seen, w.since = "", nil, "", time.Time{}
	w.mu.Unlock()
}

// watch follows the selected pair of pc.
func (w *pathWatch) watch(pc *webrtc.PeerConnection) {
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(p *webrtc.ICECandidatePair) {
		if p == nil || p.Local == nil || p.Remote == nil {
			return
		}
		key := pairKey(p.Local.Address, int(p.Local.Port), p.Remote.Address, int(p.Remote.Port))
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.seen != "" && w.seen != key {
			w.moves.Add(1)
		}
		w.seen = key
		if w.inUse != key {
			w.inUse, w.pair, w.since = key, nil, time.Now()
		}
	})
}

// onBindingRequest runs in pion's ICE agent loop for every STUN check that
// arrives; true moves this side onto the pair it arrived on.
func (w *pathWatch) onBindingRequest(_ *stun.Message, local, remote ice.Candidate, pair *ice.CandidatePair) bool {
	if pair == nil {
		return false
	}
	key := pairKey(local.Address(), local.Port(), remote.Address(), remote.Port())
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.inUse == "":
		return false // not connected yet: ICE nominates as usual
	case key == w.inUse:
		w.pair = pair
		return false
	case pair.LastResponseReceivedAt().IsZero():
		return false // this one never worked
	case w.pair == nil && time.Since(w.since) < pathSilentAfter:
		// The pair in use was selected lately and no check has come on
		// it yet: silent only once that lasted as long.
		return false
	case w.pair != nil && time.Since(lastHeard(w.pair)) < pathSilentAfter:
		return false
	}
	w.inUse, w.pair, w.since = key, pair, time.Now()
	return true
}

// lastHeard is when a STUN check or answer last came in on p. (pion counts
// other packets against whichever pair is selected, not where they came.)
func lastHeard(p *ice.CandidatePair) time.Time {
	req, resp := p.LastRequestReceivedAt(), p.LastResponseReceivedAt()
	if req.After(resp) {
		return req
	}
	return resp
}

// verifyFailure returns ErrPeerNotVerified, for a connection that never
// connected, when the other side presented a certificate in the DTLS
// handshake and it is not the one its code named; otherwise otherwise.
// pion keeps the certificate it was shown even when it refused it, and
// reports the refusal as a failed connection, or as a closed one when the
// other side's close notification closes it first: either way the
// certificate tells.
func (s *Session) verifyFailure(otherwise error) error {
	s.mu.Lock()
	pc, want := s.pc, s.peerFP
	s.mu.Unlock()
	if pc != nil && want != nil {
		if cert := pc.SCTP().Transport().GetRemoteCertificate(); len(cert) > 0 && sha256.Sum256(cert) != *want {
			return ErrPeerNotVerified
		}
	}
	return otherwise
}

// PathSwitches is how often the call moved to another network path.
func (s *Session) PathSwitches() uint64 { return s.paths.moves.Load() }
