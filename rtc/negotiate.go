package rtc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/pion/webrtc/v4"
)

// Labels and stream ids of the two data channels every call opens. Both are
// pre-negotiated (negotiated: true), so each side creates them itself
// before the first offer and neither waits for the other to announce them.
const (
	SignalLabel    = "signal"
	SignalID       = 0
	ControlLabel   = "control"
	ControlID      = 1
	maxSignalBytes = 64 << 10
)

// signalMessage is one message on the signal channel: exactly one of the
// two fields, in the shapes the browser API uses.
type signalMessage struct {
	Description *webrtc.SessionDescription `json:"description,omitempty"`
	Candidate   *webrtc.ICECandidateInit   `json:"candidate,omitempty"`
}

// negotiator runs perfect negotiation over the signal channel. One goroutine
// (run) owns every change to the peer connection's descriptions and
// transceivers; pion callbacks and other goroutines only hand it work.
//
// pion cannot roll back a local offer, so an offer is sent first and applied
// only when its answer arrives. On a collision the polite side simply drops
// its unsent-in-effect offer and answers the other one; the impolite side
// ignores the other offer and keeps waiting for its answer. Transceivers
// this side creates get mids from a namespace of their own, so a dropped
// offer's mids can never be matched against the other side's media lines.
type negotiator struct {
	pc     *webrtc.PeerConnection
	polite bool
	log    *slog.Logger
	send   func([]byte) error

	// beforeAnswer runs on the loop goroutine when a remote offer has been
	// applied and before the answer is made: the joiner attaches its
	// tracks to the offered transceivers there.
	beforeAnswer func()
	// onStable runs on the loop goroutine after each completed round.
	onStable func()
	// onCandidate runs on the loop goroutine for each candidate the other
	// side trickles, once it is added.
	onCandidate func(webrtc.ICECandidateInit)

	mu    sync.Mutex
	inbox [][]byte
	wake  chan struct{}
	need  chan struct{}
	work  chan func()

	// retired is closed when a refused reply has the session replace this
	// negotiator's connection (rearm.go): its loop never ran, and work
	// waiting for it goes to the new one.
	retired    chan struct{}
	retireOnce sync.Once

	pending   *webrtc.SessionDescription
	midPrefix string
	mids      int

	refused refusals // signal messages refused, by reason
}

func newNegotiator(pc *webrtc.PeerConnection, polite bool, log *slog.Logger, send func([]byte) error) *negotiator {
	prefix := "i"
	if polite {
		prefix = "j"
	}
	return &negotiator{
		pc: pc, polite: polite, log: log, send: send,
		wake: make(chan struct{}, 1), need: make(chan struct{}, 1), work: make(chan func()),
		retired:   make(chan struct{}),
		midPrefix: prefix,
	}
}

// deliver queues a message that arrived on the signal channel. It never
// blocks, so it is safe in pion's callbacks.
func (n *negotiator) deliver(data []byte) {
	if err := tooLarge(data, maxSignalBytes); err != nil {
		n.refused.note(n.log, SignalLabel, err, len(data))
		return
	}
	n.mu.Lock()
	full := len(n.inbox) >= maxSignalQueue
	if !full {
		n.inbox = append(n.inbox, data)
	}
	n.mu.Unlock()
	if full {
		n.refused.note(n.log, SignalLabel, errQueueFull, len(data))
		return
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// negotiationNeeded is pion's OnNegotiationNeeded handler; it never blocks.
func (n *negotiator) negotiationNeeded() {
	select {
	case n.need <- struct{}{}:
	default:
	}
}

// retire tells work waiting for this negotiator that its connection was
// replaced.
func (n *negotiator) retire() { n.retireOnce.Do(func() { close(n.retired) }) }

// do runs f on the loop goroutine and waits for it. It returns
// errReplaced, without running f, when the negotiator is retired first.
func (n *negotiator) do(ctx context.Context, f func()) error {
	finished := make(chan struct{})
	select {
	case n.work <- func() { f(); close(finished) }:
	case <-n.retired:
		return errReplaced
	case <-ctx.Done():
		return ErrClosed
	}
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ErrClosed
	}
}

// run is the loop. It returns when ctx ends.
func (n *negotiator) run(ctx context.Context) {
	n.pc.OnNegotiationNeeded(n.negotiationNeeded)
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-n.work:
			f()
		case <-n.need:
			n.makeOffer()
		case <-n.wake:
			for {
				n.mu.Lock()
				if len(n.inbox) == 0 {
					n.mu.Unlock()
					break
				}
				data := n.inbox[0]
				n.inbox = n.inbox[1:]
				n.mu.Unlock()
				n.handle(data)
			}
		}
	}
}

// addTrack adds a local track; on the loop goroutine only. A new
// transceiver gets a mid from this side's namespace.
func (n *negotiator) addTrack(track webrtc.TrackLocal) (*webrtc.RTPSender, error) {
	sender, err := n.pc.AddTrack(track)
	if err != nil {
		return nil, err
	}
	for _, t := range n.pc.GetTransceivers() {
		if t.Sender() == sender && t.Mid() == "" {
			n.mids++
			if err := t.SetMid(n.midPrefix + strconv.Itoa(n.mids)); err != nil {
				return nil, err
			}
		}
	}
	return sender, nil
}

func (n *negotiator) makeOffer() {
	if n.pending != nil || n.pc.SignalingState() != webrtc.SignalingStateStable {
		return // the round under way ends in stable, which checks again
	}
	offer, err := n.pc.CreateOffer(nil)
	if err != nil {
		n.log.Warn("creating an offer failed", "err", err)
		return
	}
	if err := n.sendMessage(signalMessage{Description: &offer}); err != nil {
		n.log.Warn("sending an offer failed", "err", err)
		return
	}
	n.pending = &offer
	n.log.Debug("offer sent")
}

func (n *negotiator) sendMessage(m signalMessage) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return n.send(data)
}

func (n *negotiator) handle(data []byte) {
	m, err := parseSignal(data)
	if err != nil {
		n.refused.note(n.log, SignalLabel, err, len(data))
		return
	}
	switch {
	case m.Description != nil:
		if err := n.handleDescription(*m.Description); err != nil {
			n.log.Warn("negotiation step failed", "type", m.Description.Type.String(), "err", err)
		}
	case m.Candidate != nil:
		if err := n.pc.AddICECandidate(*m.Candidate); err != nil {
			n.log.Debug("remote candidate not added", "err", err)
		} else if n.onCandidate != nil {
			n.onCandidate(*m.Candidate)
		}
	}
}

func (n *negotiator) handleDescription(d webrtc.SessionDescription) error {
	switch d.Type {
	case webrtc.SDPTypeOffer:
		collision := n.pending != nil || n.pc.SignalingState() != webrtc.SignalingStateStable
		if collision && !n.polite {
			n.log.Debug("offer collision: ignoring the peer's offer")
			return nil
		}
		dropped := n.pending != nil
		if dropped {
			n.log.Debug("offer collision: dropping our offer")
			n.pending = nil
		}
		if err := n.pc.SetRemoteDescription(d); err != nil {
			return err
		}
		if n.beforeAnswer != nil {
			n.beforeAnswer()
		}
		answer, err := n.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := n.pc.SetLocalDescription(answer); err != nil {
			return err
		}
		if err := n.sendMessage(signalMessage{Description: &answer}); err != nil {
			return err
		}
		n.roundDone()
		if dropped {
			// What the dropped offer carried still needs a round of its
			// own; do not count on pion noticing it again.
			n.negotiationNeeded()
		}
	case webrtc.SDPTypeAnswer:
		if n.pending == nil {
			return errNoOfferPending
		}
		offer := *n.pending
		n.pending = nil
		if err := n.pc.SetLocalDescription(offer); err != nil {
			return fmt.Errorf("applying our offer: %w", err)
		}
		if err := n.pc.SetRemoteDescription(d); err != nil {
			return err
		}
		n.roundDone()
	default:
		return fmt.Errorf("unexpected description type %q", d.Type.String())
	}
	return nil
}

func (n *negotiator) roundDone() {
	if n.onStable != nil {
		n.onStable()
	}
}
