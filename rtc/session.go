package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"

	"peercall/media"
	"peercall/rtc/invite"
)

// Session is one call, from the first code to hang-up.
//
// Threading: the exported methods may be called from any goroutine. The
// channels returned by Connected and Done are closed once; nothing else is
// delivered by callback, so no caller code ever runs on pion's goroutines.
type Session struct {
	cfg  Config
	log  *slog.Logger
	cert webrtc.Certificate
	fp   [32]byte

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	connected chan struct{}
	done      chan struct{}
	changed   chan struct{}
	endOnce   sync.Once
	endErr    error
	closeErr  error // what releasing the connection reported; set before done closes

	// mu guards the fields from here to estimator. pc, mux, control and
	// neg belong to one connection and are replaced together when a
	// refused reply has the invite made ready again (rearm.go): read them
	// under mu, once, and use what was read. The fields after estimator
	// keep their own locks.
	mu            sync.Mutex
	state         State
	polite        bool
	own           *invite.Code
	peerFP        *[32]byte
	peerMedia     PeerMedia
	localMedia    controlMessage
	pc            *webrtc.PeerConnection
	pionLogs      *pionLogs         // pion's logging for pc
	pcClosing     bool              // pc is being closed: no more statistics from it
	pcConnected   bool              // pc has connected (its negotiator runs; its candidates may change)
	lastTransport *transportFigures // pc's figures as last read, for after the end
	gen           uint64            // counts peer connections; callbacks of older ones are ignored
	mux           hostSockets       // the host sockets of pc
	hosts         sockets           // their addresses, kept for the next pc
	pending       *replyKey         // the reply applied to pc
	refused       []replyKey        // replies refused after they were applied
	refusal       error             // why the last reply was refused, until another is applied
	control       *webrtc.DataChannel
	neg           *negotiator
	codeAppliedAt time.Time
	connectedAt   time.Time
	lostTimer     *time.Timer
	lostAt        time.Time // when lostTimer fires while reconnecting
	hangingUp     bool
	bye           chan struct{} // closed when the other side acknowledged a hang-up
	peerHungUp    bool          // the other side's hangup arrived; the call is ending
	byeOnce       sync.Once
	// peerCandidates is every candidate the other side gave, in its code
	// and trickled in band: where to look for it after this side's
	// network changed (netchange.go).
	peerCandidates []webrtc.ICECandidateInit
	regatheredAt   time.Time // when candidates were last gathered again
	newAddresses   bool      // addresses came since the last gathering
	movedAt        time.Time // when this side's network last changed
	// lostReleased is closed once the connection lost last has let go
	// of its sockets (resume.go).
	lostReleased chan struct{}
	estimator    cc.BandwidthEstimator

	media   mediaState
	speaker *media.Speaker
	muted   atomic.Bool
	paths   pathWatch

	regathers atomic.Uint64 // gatherings again after a network change

	controlRefused refusals // control messages refused, by reason

	files fileState // files sent and received (files.go)
	chat  chatState // the chat channel and the messages received (chat.go)

	// statsMu keeps Stats from asking a peer connection for its figures
	// while the session closes it: pion's Close clears what its GetStats
	// reads, without a lock. Stats reads under it, and only while
	// pcClosing (under mu) is false; whoever closes pc sets pcClosing,
	// then takes statsMu once to let reads under way finish.
	statsMu sync.RWMutex
}

// New makes a session and its DTLS certificate. It does no networking.
func New(cfg Config) (*Session, error) {
	cfg.fillDefaults()
	cert, fp, err := newCertificate()
	if err != nil {
		return nil, err
	}
	speaker := cfg.Speaker
	if speaker == nil {
		speaker = media.NewSpeaker()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Session{
		speaker: speaker,
		cfg:     cfg, log: cfg.Logger, cert: cert, fp: fp,
		hosts: sockets{preferred: int(invite.HostPort(fp))},
		ctx:   ctx, cancel: cancel,
		connected: make(chan struct{}), done: make(chan struct{}), bye: make(chan struct{}),
		changed: make(chan struct{}, 1),
		state:   StateNew,
	}, nil
}

// Invite starts a call as the inviting side and returns the invite code.
// AcceptReply takes the other side's reply.
func (s *Session) Invite(ctx context.Context) (string, error) {
	pc, err := s.begin(false)
	if err != nil {
		return "", err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", s.fail(err)
	}
	desc, err := s.gather(ctx, pc, offer)
	if err != nil {
		return "", s.fail(err)
	}
	s.mu.Lock()
	s.hosts.noteSrflx(desc.SDP)
	s.mu.Unlock()
	code, err := invite.FromDescription(desc, nil)
	if err != nil {
		return "", s.fail(err)
	}
	text, err := invite.Encode(code)
	if err != nil {
		return "", s.fail(err)
	}
	s.mu.Lock()
	s.own = code
	s.mu.Unlock()
	s.setState(StateWaiting)
	return text, nil
}

// CheckReply tells whether text is a reply this session can take, with the
// error a person can act on when it is not. It changes nothing.
func (s *Session) CheckReply(text string) error {
	s.mu.Lock()
	own := s.own
	s.mu.Unlock()
	if own == nil {
		return ErrWrongStep
	}
	code, err := invite.Parse(text, invite.KindReply, own)
	if err != nil {
		return err
	}
	return s.refusedBefore(code)
}

// refusedBefore returns ErrReplyNotVerified for a reply from the same sender
// as one refused already, and ErrNotThePeer for one, to the invite that
// resumes a lost call, from someone else than the person the call was
// with.
func (s *Session) refusedBefore(code *invite.Code) error {
	key := replyKey{code.Fingerprint, code.Ufrag}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.refused, key) {
		return ErrReplyNotVerified
	}
	if s.peerFP != nil && code.Fingerprint != *s.peerFP {
		return ErrNotThePeer
	}
	return nil
}

// AcceptReply applies the other side's reply code; the call then connects.
// A bad code leaves the session waiting, so another paste can follow.
func (s *Session) AcceptReply(text string) error {
	s.mu.Lock()
	own, state := s.own, s.state
	s.mu.Unlock()
	if own == nil || state != StateWaiting {
		return ErrWrongStep
	}
	code, err := invite.Parse(text, invite.KindReply, own)
	if err != nil {
		return err
	}
	if err := s.refusedBefore(code); err != nil {
		return err
	}
	pc, _ := s.current()
	if err := pc.SetRemoteDescription(code.Description()); err != nil {
		return fmt.Errorf("rtc: the reply could not be applied: %w", err)
	}
	s.mu.Lock()
	s.codeAppliedAt = time.Now()
	s.peerFP = &code.Fingerprint
	s.pending = &replyKey{code.Fingerprint, code.Ufrag}
	s.refusal = nil
	s.peerCandidates = candidatesIn(code.Description())
	s.mu.Unlock()
	s.setState(StateConnecting)
	return nil
}

// Join answers an invite code and returns the reply code to send back. The
// call connects when the inviting side pastes it.
func (s *Session) Join(ctx context.Context, inviteText string) (string, error) {
	code, err := invite.Parse(inviteText, invite.KindInvite, nil)
	if err != nil {
		return "", err
	}
	if code.Fingerprint == s.fp {
		return "", invite.ErrOwnCode
	}
	pc, err := s.begin(true)
	if err != nil {
		return "", err
	}
	if err := pc.SetRemoteDescription(code.Description()); err != nil {
		return "", s.fail(fmt.Errorf("rtc: the invite could not be applied: %w", err))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", s.fail(err)
	}
	desc, err := s.gather(ctx, pc, answer)
	if err != nil {
		return "", s.fail(err)
	}
	reply, err := invite.FromDescription(desc, code)
	if err != nil {
		return "", s.fail(err)
	}
	text, err := invite.Encode(reply)
	if err != nil {
		return "", s.fail(err)
	}
	s.mu.Lock()
	s.own = reply
	s.peerFP = &code.Fingerprint
	s.codeAppliedAt = time.Now()
	s.peerCandidates = candidatesIn(code.Description())
	s.mu.Unlock()
	s.setState(StateConnecting)
	return text, nil
}

// begin builds the peer connection and the two data channels.
func (s *Session) begin(polite bool) (*webrtc.PeerConnection, error) {
	s.mu.Lock()
	if s.state != StateNew {
		s.mu.Unlock()
		return nil, ErrWrongStep
	}
	s.state = StateGathering
	s.polite = polite
	s.mu.Unlock()
	pc, err := s.build()
	if err != nil {
		return nil, s.fail(err)
	}
	return pc, nil
}

// current returns the session's peer connection and its negotiator, nil
// before the first code.
func (s *Session) current() (*webrtc.PeerConnection, *negotiator) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pc, s.neg
}

// build makes a peer connection with its two data channels, on sockets
// bound to the session's host addresses (the same ones each time), and
// makes it the session's, retiring the negotiator of the one it replaces.
func (s *Session) build() (*webrtc.PeerConnection, error) {
	plog := newPionLogs(s.log)
	s.mu.Lock()
	polite, gen := s.polite, s.gen
	mux, err := s.hosts.mux(s.cfg.Net, s.cfg.Interfaces, plog)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	srflxPort := s.hosts.srflxPort
	s.mu.Unlock()
	kept := false
	defer func() {
		if !kept {
			_ = closeMux(mux)
		}
	}()
	se := webrtc.SettingEngine{LoggerFactory: plog}
	se.SetICEUDPMux(mux)
	if srflxPort > 0 && srflxPort <= 0xffff {
		// Only the STUN sockets take ports from this range (host
		// candidates use mux, relays the system's choice).
		_ = se.SetEphemeralUDPPortRange(uint16(srflxPort), uint16(srflxPort))
	}
	ufrag, pwd := invite.DeriveCredentials(s.fp)
	se.SetICECredentials(ufrag, pwd)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	se.SetSTUNGatherTimeout(s.cfg.GatherTimeout)
	failed := 30 * time.Second
	if polite {
		// The joiner's agent starts now but the inviter's only when the
		// reply is pasted, which can take minutes.
		failed = s.cfg.ReplyWait
		keepCheckingWhileWaiting(&se, s.cfg.ReplyWait)
	}
	se.SetICETimeouts(iceDisconnectedAfter, failed, iceKeepalive)
	// Only this side closes its peer connection, where statistics reads
	// are held off first: pion closing it by itself when the other end's
	// DTLS says goodbye clears what GetStats reads without a lock. The
	// end of the data channels' association stands for that goodbye.
	se.DisableCloseByDTLS(true)
	if err := s.paths.configure(&se); err != nil {
		return nil, err
	}
	if s.cfg.Net != nil {
		se.SetNet(s.cfg.Net)
	}
	if len(s.cfg.Interfaces) > 0 {
		allowed := s.cfg.Interfaces
		se.SetInterfaceFilter(func(name string) bool { return slices.Contains(allowed, name) })
	}
	api, err := newAPI(se, s.setEstimator)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICEServers:    s.cfg.ICEServers,
		Certificates:  []webrtc.Certificate{s.cert},
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, err
	}
	negotiated := true
	signalID, controlID := uint16(SignalID), uint16(ControlID)
	signal, err := pc.CreateDataChannel(SignalLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &signalID})
	if err != nil {
		plog.closed()
		pc.Close()
		return nil, err
	}
	control, err := pc.CreateDataChannel(ControlLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &controlID})
	if err != nil {
		plog.closed()
		pc.Close()
		return nil, err
	}
	if err := s.attachFileChannel(pc); err != nil {
		plog.closed()
		pc.Close()
		return nil, err
	}
	if err := s.chat.attach(pc, s.log, s.notify); err != nil {
		plog.closed()
		pc.Close()
		return nil, err
	}
	// Every message on both channels is JSON sent as text, as a browser's
	// JSON.parse expects.
	neg := newNegotiator(pc, polite, s.log.With("part", "negotiation"), func(b []byte) error { return signal.SendText(string(b)) })
	neg.beforeAnswer = func() { s.attachTracks(neg) }
	neg.onStable = s.media.requestKeyframe
	neg.onCandidate = s.notePeerCandidate

	s.mu.Lock()
	if s.state == StateEnded || gen != s.gen {
		// The call ended (or moved on) while this was being built.
		s.mu.Unlock()
		plog.closed()
		pc.Close()
		return nil, ErrClosed
	}
	replaced := s.neg
	s.pc, s.pionLogs, s.mux, s.control, s.neg = pc, plog, mux, control, neg
	s.pcClosing = false
	s.pcConnected = false
	kept = true
	s.mu.Unlock()
	if replaced != nil {
		replaced.retire()
	}

	s.paths.watch(pc)
	pc.OnConnectionStateChange(stateNow(pc.ConnectionState, func(st webrtc.PeerConnectionState) { s.onConnectionState(gen, st) }))
	// A connection is closed one part after the other, before its state
	// says so: from the DTLS transport's end on, its parts' complaints
	// about one another (statistics read from a closed ICE agent) are
	// expected.
	pc.SCTP().Transport().OnStateChange(func(st webrtc.DTLSTransportState) {
		if st == webrtc.DTLSTransportStateClosed {
			plog.closed()
		}
	})
	pc.SCTP().OnClose(func(error) {
		// The other end closed (or its transport is gone): what pion
		// would have closed by itself, this side closes.
		plog.closed()
		go s.onConnectionState(gen, webrtc.PeerConnectionStateClosed)
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { s.onTrack(pc, track) })
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		// Candidates found after the code was made (an ICE restart)
		// trickle in band.
		if c == nil || signal.ReadyState() != webrtc.DataChannelStateOpen {
			return
		}
		init := c.ToJSON()
		if data, err := json.Marshal(signalMessage{Candidate: &init}); err == nil {
			_ = signal.SendText(string(data))
		}
	})
	signal.OnMessage(func(m webrtc.DataChannelMessage) { neg.deliver(m.Data) })
	signal.OnOpen(func() {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			neg.run(s.ctx)
		}()
		// The inviter adds its tracks and offers first; the joiner
		// attaches its own when it answers, so the first round never
		// collides. A joiner that gets no offer offers its own.
		if polite {
			s.goAttachTracks(neg, joinerAttachDelay)
		} else {
			s.goAttachTracks(neg, 0)
		}
	})
	control.OnMessage(func(m webrtc.DataChannelMessage) { s.onControl(m.Data) })
	control.OnOpen(func() { s.sendMediaState() })
	return pc, nil
}

// gather applies a local description to pc and waits, bounded, for
// candidates.
func (s *Session) gather(ctx context.Context, pc *webrtc.PeerConnection, d webrtc.SessionDescription) (webrtc.SessionDescription, error) {
	complete := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		return webrtc.SessionDescription{}, err
	}
	timer := time.NewTimer(s.cfg.GatherTimeout)
	defer timer.Stop()
	select {
	case <-complete:
	case <-timer.C:
		s.log.Info("candidate gathering cut short", "after", s.cfg.GatherTimeout)
	case <-ctx.Done():
		return webrtc.SessionDescription{}, ctx.Err()
	case <-s.done:
		return webrtc.SessionDescription{}, ErrClosed
	}
	return *pc.LocalDescription(), nil
}

func (s *Session) setEstimator(e cc.BandwidthEstimator) {
	s.mu.Lock()
	s.estimator = e
	s.mu.Unlock()
	e.OnTargetBitrateChange(s.media.setTargetBitrate)
}

// stateNow turns a peer connection's state callbacks into calls of
// handle, one at a time, each with the state the connection is in when it
// runs, and none for a state handled already. pion calls each callback on
// a goroutine of its own, so two changes close together can arrive in
// either order: a "connecting" that arrived after the "connected" that
// followed it had a call that connected taken for lost 10 s later, on a
// busy machine.
func stateNow(current func() webrtc.PeerConnectionState, handle func(webrtc.PeerConnectionState)) func(webrtc.PeerConnectionState) {
	var (
		order sync.Mutex
		last  webrtc.PeerConnectionState // PeerConnectionStateUnknown at first
	)
	return func(webrtc.PeerConnectionState) {
		order.Lock()
		defer order.Unlock()
		st := current()
		if st == last {
			return
		}
		last = st
		handle(st)
	}
}

func (s *Session) onConnectionState(gen uint64, st webrtc.PeerConnectionState) {
	s.mu.Lock()
	stale := gen != s.gen
	s.mu.Unlock()
	if stale {
		return // a peer connection replaced after a refused reply
	}
	s.log.Debug("connection state", "state", st.String())
	switch st {
	case webrtc.PeerConnectionStateConnected:
		s.mu.Lock()
		if s.lostTimer != nil {
			s.lostTimer.Stop()
			s.lostTimer = nil
			s.lostAt = time.Time{}
		}
		first := s.connectedAt.IsZero()
		if first {
			s.connectedAt = time.Now()
		}
		s.pcConnected = true
		s.mu.Unlock()
		if first {
			close(s.connected)
			s.goRun(func() { s.watchNetwork(s.ctx) })
		}
		s.setState(StateConnected)
	case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateConnecting:
		// Connecting again after a connection means candidates were
		// gathered again (netchange.go) and are being checked: as good
		// as disconnected until a pair works.
		s.mu.Lock()
		if st == webrtc.PeerConnectionStateConnecting && !s.pcConnected {
			s.mu.Unlock()
			return
		}
		if s.peerHungUp {
			s.mu.Unlock()
			return // ending: the connection goes as the other side closes it
		}
		wasConnected := !s.connectedAt.IsZero()
		if s.lostTimer == nil && wasConnected {
			s.lostTimer = time.AfterFunc(s.cfg.LostAfter, func() { s.loseOrEnd(gen) })
			s.lostAt = time.Now().Add(s.cfg.LostAfter)
		}
		s.mu.Unlock()
		s.setState(StateReconnecting)
		if wasConnected {
			// Perhaps this side's router got a new public address.
			s.goRun(func() { s.checkPublicAddress(s.ctx) })
		}
	case webrtc.PeerConnectionStateFailed:
		s.mu.Lock()
		everConnected := !s.connectedAt.IsZero()
		s.mu.Unlock()
		if everConnected {
			s.loseOrEnd(gen)
		} else {
			s.refuseOrEnd(gen, s.verifyFailure(ErrConnectFailed))
		}
	case webrtc.PeerConnectionStateClosed:
		s.mu.Lock()
		// Closed at the other end, or its transport gave up (all its
		// sockets gone with the network, say), not by this side.
		byItself := !s.connectedAt.IsZero() && !s.hangingUp && s.state != StateEnded
		s.mu.Unlock()
		if byItself {
			s.loseOrEnd(gen)
			return
		}
		s.refuseOrEnd(gen, s.verifyFailure(ErrConnectionLost))
	}
}

// refuseOrEnd ends the call with reason, unless this is the inviting side
// and the reply was refused before the call ever connected: then the invite
// is made ready for another reply.
func (s *Session) refuseOrEnd(gen uint64, reason error) {
	s.mu.Lock()
	rearm := !s.polite && s.connectedAt.IsZero() && !s.hangingUp
	s.mu.Unlock()
	if rearm && errors.Is(reason, ErrPeerNotVerified) {
		s.rearm(gen)
		return
	}
	s.end(reason)
}

func (s *Session) setState(st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == StateEnded || s.state == st {
		return
	}
	s.log.Info("call state", "state", st.String())
	s.state = st
	s.notify()
}

// ReconnectDeadline tells, while the call is reconnecting, when it stops
// trying by itself (and is lost, or ends); zero otherwise.
func (s *Session) ReconnectDeadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != StateReconnecting {
		return time.Time{}
	}
	return s.lostAt
}

// Changed delivers a signal after the state, the peer's media state or the
// call's end changed; several changes may arrive as one signal. Read the
// new values with State, PeerMedia and Err. One reader only.
func (s *Session) Changed() <-chan struct{} { return s.changed }

func (s *Session) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// State returns where the call stands now.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Connected is closed when the two apps first connect.
func (s *Session) Connected() <-chan struct{} { return s.connected }

// Done is closed when the call has ended and everything it held is released.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why the call ended, once Done is closed: nil when this side hung
// up, ErrPeerHungUp, ErrConnectionLost, ErrConnectFailed, or what failed.
func (s *Session) Err() error {
	<-s.done
	return s.endErr
}

// byeWait bounds how long Hangup waits for the other side's "bye": one
// SCTP retransmission of a lost "hangup" (pion's shortest retransmission
// time-out is a second) and the round trips around it.
const byeWait = 1500 * time.Millisecond

// Hangup tells the other side and ends the call. While the control channel
// is open it waits until the other side answers "bye" (one round trip; up
// to byeWait on a lossy link, or with a peer that does not answer), so the
// other side hears of the hang-up rather than seeing the connection drop;
// Done closes when everything is released.
func (s *Session) Hangup() {
	s.mu.Lock()
	control := s.control
	// Whatever the closing connection reports from now on, this side
	// ended the call.
	s.hangingUp = true
	s.mu.Unlock()
	// File chunks would queue in front of the hang-up: they stop first.
	s.closeFiles()
	if control != nil && control.ReadyState() == webrtc.DataChannelStateOpen {
		if data, err := json.Marshal(controlMessage{Type: controlHangup}); err == nil && control.SendText(string(data)) == nil {
			t := time.NewTimer(byeWait)
			select {
			case <-s.bye:
			case <-s.done:
			case <-t.C:
				s.log.Debug("no bye from the other side", "waited", byeWait)
			}
			t.Stop()
		}
	}
	s.end(nil)
}

// Close hangs up, if the call is still on, and waits until everything is
// released. It returns what releasing the connection and its sockets
// reported, nil when all closed cleanly. Why the call ended is Err's to
// say: a hang-up on either side is a normal end, not an error of Close.
func (s *Session) Close() error {
	s.Hangup()
	<-s.done
	return s.closeErr
}

func (s *Session) fail(err error) error {
	s.end(err)
	return err
}

// end finishes the call once, with the given reason. It never blocks, so it
// may run in pion's callbacks; the release happens on its own goroutine.
func (s *Session) end(reason error) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		switch {
		case s.hangingUp:
			reason = nil
		case s.peerHungUp:
			// The connection closing while "bye" leaves is the hang-up.
			reason = ErrPeerHungUp
		}
		s.endErr = reason
		s.state = StateEnded
		s.notify()
		if s.lostTimer != nil {
			s.lostTimer.Stop()
		}
		pc, mux := s.pc, s.mux
		if s.pionLogs != nil {
			s.pionLogs.closed()
		}
		s.pcClosing = true
		s.mu.Unlock()
		if reason != nil {
			s.log.Info("call ended", "reason", reason.Error())
		} else {
			s.log.Info("call ended")
		}
		s.cancel()
		go func() {
			// Statistics reads under way finish before the close.
			s.statsMu.Lock()
			s.statsMu.Unlock()
			s.closeFiles()
			s.closeMedia()
			var errs []error
			if pc != nil {
				if err := pc.Close(); err != nil {
					errs = append(errs, fmt.Errorf("rtc: closing the connection: %w", err))
				}
			}
			// A peer connection being rebuilt after a refused reply
			// closes itself (build sees the end).
			s.wg.Wait()
			if err := closeMux(mux); err != nil {
				errs = append(errs, fmt.Errorf("rtc: closing the sockets: %w", err))
			}
			s.closeErr = errors.Join(errs...)
			if s.closeErr != nil {
				s.log.Warn("releasing the call", "err", s.closeErr)
			}
			close(s.done)
		}()
	})
}

// closeMedia stops the send loops and closes every source, including the
// configured one when the call ended before it was attached.
func (s *Session) closeMedia() {
	s.media.mu.Lock()
	attached := s.media.attached
	s.media.mu.Unlock()
	s.media.closeSources()
	if !attached {
		if s.cfg.Video != nil {
			s.cfg.Video.Close()
		}
		if s.cfg.Audio != nil {
			s.cfg.Audio.Close()
		}
	}
}

// SetMuted sends silence instead of the microphone (or unmutes) and tells
// the other side. The camera state reported is cameraLive.
func (s *Session) SetMuted(muted, cameraLive bool) {
	s.muted.Store(muted)
	s.media.mu.Lock()
	for _, t := range s.media.local {
		if t.audio != nil {
			t.audio.SetMuted(muted)
		}
	}
	hasAudio := s.cfg.Audio != nil
	s.media.mu.Unlock()
	s.SetLocalMedia(hasAudio && !muted, cameraLive)
}
