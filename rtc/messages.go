package rtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Every message that arrives on the two data channels goes through
// parseSignal or parseControl before anything acts on it. A message they
// refuse changes nothing; the channel and the call go on. docs/PROTOCOL.md
// (section 2) states the limits for other implementations.
//
// The limits: maxSignalBytes (64 KiB, in negotiate.go) is many times the
// largest description Peercall makes (an offer with its data and two
// media sections is about 2 KiB, and a candidate line adds under 100
// bytes) and roomy for a browser's, which lists more codecs and
// extensions. maxControlBytes
// (4 KiB, in control.go) is ninety times the largest control message (a
// "media" message is at most 44 bytes). A peer that needs more is not one
// Peercall understands.
//
// Below these, the WebRTC library bounds what it will hold for one
// message: maxDataChannelMessage is what each side advertises in
// a=max-message-size, and a larger message closes that data channel in the
// library before Peercall sees it.
const (
	// maxDataChannelMessage is Chromium's limit, the one invite codes
	// promise (a=max-message-size:262144 in docs/CODES.md).
	maxDataChannelMessage = 256 << 10
	// maxSignalQueue bounds the signal messages waiting for the
	// negotiation loop; more are refused. A round that restarts ICE
	// trickles a few dozen candidates at most.
	maxSignalQueue = 64
)

var refusalReasons = []error{errTooLarge, errUnreadable, errBadDescription, errQueueFull}

// tooLarge returns errTooLarge when data is over limit bytes.
func tooLarge(data []byte, limit int) error {
	if len(data) > limit {
		return fmt.Errorf("%w: %d bytes, the limit is %d", errTooLarge, len(data), limit)
	}
	return nil
}

// parseSignal reads one message of the signal channel. It refuses a
// message over maxSignalBytes before reading any of it, anything that is
// not a JSON object with fields of the right types, and a description
// that is not an offer or an answer with SDP the WebRTC library can read.
// A message with neither field is returned as it is (empty): a receiver
// ignores what it does not know.
func parseSignal(data []byte) (signalMessage, error) {
	if err := tooLarge(data, maxSignalBytes); err != nil {
		return signalMessage{}, err
	}
	return decodeSignal(data)
}

// decodeSignal is parseSignal without the size limit.
func decodeSignal(data []byte) (signalMessage, error) {
	var m signalMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return signalMessage{}, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	if d := m.Description; d != nil {
		if d.Type != webrtc.SDPTypeOffer && d.Type != webrtc.SDPTypeAnswer {
			return signalMessage{}, fmt.Errorf("%w: type %q", errBadDescription, d.Type.String())
		}
		if d.SDP == "" {
			return signalMessage{}, fmt.Errorf("%w: no SDP", errBadDescription)
		}
		var parsed sdp.SessionDescription
		if err := parsed.UnmarshalString(d.SDP); err != nil {
			return signalMessage{}, fmt.Errorf("%w: %v", errBadDescription, err)
		}
	}
	return m, nil
}

// parseControl reads one message of the control channel. It refuses a
// message over maxControlBytes before reading any of it, and anything that
// is not a JSON object with fields of the right types. Unknown types are
// returned as they are, for the receiver to ignore.
func parseControl(data []byte) (controlMessage, error) {
	if err := tooLarge(data, maxControlBytes); err != nil {
		return controlMessage{}, err
	}
	return decodeControl(data)
}

// decodeControl is parseControl without the size limit.
func decodeControl(data []byte) (controlMessage, error) {
	var m controlMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return controlMessage{}, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	return m, nil
}

// refusals counts the messages one channel refused and logs the first of
// each reason, so a peer that keeps sending garbage cannot fill the log.
// The zero value is ready to use.
type refusals struct {
	mu     sync.Mutex
	counts map[error]int
}

// note records that a message of size bytes was refused with err.
func (r *refusals) note(log *slog.Logger, channel string, err error, size int) {
	reason := errUnreadable
	for _, e := range refusalReasons {
		if errors.Is(err, e) {
			reason = e
			break
		}
	}
	r.mu.Lock()
	if r.counts == nil {
		r.counts = make(map[error]int)
	}
	r.counts[reason]++
	first := r.counts[reason] == 1
	r.mu.Unlock()
	if first {
		log.Warn("message refused; later ones refused for the same reason are not logged",
			"channel", channel, "bytes", size, "err", err)
	}
}

// total returns how many messages were refused, for every reason.
func (r *refusals) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}
