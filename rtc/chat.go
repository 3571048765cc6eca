package rtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"
)

// Text chat travels on a data channel of its own, `chat` (id 2), created by
// each side like the other two. docs/PROTOCOL.md (section 9) gives the
// schema and says why chat is not on `control`.
const (
	ChatLabel = "chat"
	ChatID    = 2

	// MaxChatText is the most text one chat message carries, in bytes of
	// UTF-8: about two pages of prose.
	MaxChatText = 4096
	// maxChatBytes bounds one chat message on the wire. JSON escapes at
	// most 6 bytes for each byte of text (\u00XX), so a message of
	// MaxChatText always fits with room for its other fields.
	maxChatBytes = 32 << 10
	// chatBacklog is how many received messages wait for the front-end;
	// more are dropped (and logged) until it reads.
	chatBacklog = 256
	// chatBufferLimit is how much may wait to leave on the channel before
	// SendChat refuses more: a peer that stopped reading.
	chatBufferLimit = 1 << 20
	// chatType is the one message type there is.
	chatType = "text"
)

// What SendChat refuses. The front-ends show their own sentences for them.
var (
	// ErrChatEmpty: there is nothing but white space to send.
	ErrChatEmpty = errors.New("the message is empty")
	// ErrChatTooLong: the text is over MaxChatText bytes.
	ErrChatTooLong = fmt.Errorf("the message is too long: the most is %d bytes", MaxChatText)
	// ErrChatNotText: the text is not valid UTF-8.
	ErrChatNotText = errors.New("the message is not text (not valid UTF-8)")
	// ErrChatNotOpen: the chat channel is not open (the call is not
	// connected yet, or no longer).
	ErrChatNotOpen = errors.New("the chat is not connected")
	// ErrChatBusy: too much is still waiting to leave.
	ErrChatBusy = errors.New("the chat is busy: earlier messages have not left yet")
)

// Why a received chat message was refused, beside errTooLarge and
// errUnreadable.
var (
	errBinary  = errors.New("binary message on a text channel")
	errNotUTF8 = errors.New("message is not valid UTF-8")
	errNoText  = errors.New("chat message without text")
	errLong    = errors.New("chat text over the limit")
)

// ChatMessage is one message of the chat, sent or received.
type ChatMessage struct {
	Text string
	// At is when this side sent or received it.
	At time.Time
	// Sent is when the sender says it sent it, by its clock; zero when it
	// did not say. Clocks differ: show At.
	Sent time.Time
	// Mine: this side sent it.
	Mine bool
}

// chatWire is one chat message as it travels.
type chatWire struct {
	Type string `json:"type"`
	Text string `json:"text"`
	// At: when the sender sent it, RFC 3339. Optional.
	At string `json:"at,omitempty"`
}

// chatState is the session's chat: its channel (replaced with the peer
// connection), the messages received and not yet read, and the refusals.
type chatState struct {
	mu      sync.Mutex
	dc      *webrtc.DataChannel
	in      chan ChatMessage
	dropped int
	refused refusals
}

func (c *chatState) inbox() chan ChatMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in == nil {
		c.in = make(chan ChatMessage, chatBacklog)
	}
	return c.in
}

// attach creates the chat channel on pc and makes it the session's;
// opened runs when it opens.
func (c *chatState) attach(pc *webrtc.PeerConnection, log *slog.Logger, opened func()) error {
	negotiated := true
	id := uint16(ChatID)
	dc, err := pc.CreateDataChannel(ChatLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
	if err != nil {
		return err
	}
	in := c.inbox()
	dc.OnMessage(func(m webrtc.DataChannelMessage) { c.receive(m, in, log) })
	dc.OnOpen(opened)
	c.mu.Lock()
	c.dc = dc
	c.mu.Unlock()
	return nil
}

// receive reads one message of the chat channel, on pion's goroutine:
// it never blocks.
func (c *chatState) receive(m webrtc.DataChannelMessage, in chan ChatMessage, log *slog.Logger) {
	msg, err := parseChat(m.Data, m.IsString)
	if err != nil {
		c.refused.note(log, ChatLabel, err, len(m.Data))
		return
	}
	if msg == nil {
		return // a type this side does not know
	}
	msg.At = time.Now()
	select {
	case in <- *msg:
	default:
		c.mu.Lock()
		c.dropped++
		first := c.dropped == 1
		c.mu.Unlock()
		if first {
			log.Warn("chat messages dropped: nobody reads them", "waiting", chatBacklog)
		}
	}
}

// parseChat reads one message of the chat channel. It refuses a binary
// message, one over maxChatBytes (before reading it), one that is not
// valid UTF-8 or not a JSON object of the right shape, and a text message
// whose text is empty, only white space, or over MaxChatText bytes. A
// message of another type is returned as nil, for the receiver to ignore.
func parseChat(data []byte, isString bool) (*ChatMessage, error) {
	if !isString {
		return nil, fmt.Errorf("%w: %d bytes", errBinary, len(data))
	}
	if err := tooLarge(data, maxChatBytes); err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, errNotUTF8
	}
	var w chatWire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	if w.Type != chatType {
		return nil, nil
	}
	if err := checkChatText(w.Text); err != nil {
		switch {
		case errors.Is(err, ErrChatTooLong):
			return nil, fmt.Errorf("%w: %d bytes", errLong, len(w.Text))
		case errors.Is(err, ErrChatNotText):
			// A lone surrogate escaped in JSON (\ud800) reads as U+FFFD
			// in Go, so this does not happen; kept for safety.
			return nil, errNotUTF8
		}
		return nil, errNoText
	}
	msg := &ChatMessage{Text: w.Text}
	if t, err := time.Parse(time.RFC3339Nano, w.At); err == nil {
		msg.Sent = t
	}
	return msg, nil
}

// checkChatText tells whether text may be sent as one chat message.
func checkChatText(text string) error {
	switch {
	case !utf8.ValidString(text):
		return ErrChatNotText
	case strings.TrimSpace(text) == "":
		return ErrChatEmpty
	case len(text) > MaxChatText:
		return ErrChatTooLong
	}
	return nil
}

// CheckChat tells whether text may be sent as one chat message:
// ErrChatEmpty, ErrChatTooLong, ErrChatNotText or nil. It sends nothing.
func CheckChat(text string) error { return checkChatText(text) }

// SendChat sends text to the other side as one chat message and returns
// it as sent. It refuses text CheckChat refuses, and returns
// ErrChatNotOpen while the chat channel is not open (before the call
// connects, after it ends or is lost) and ErrChatBusy when a megabyte of
// earlier messages still waits to leave.
func (s *Session) SendChat(text string) (ChatMessage, error) {
	if err := checkChatText(text); err != nil {
		return ChatMessage{}, err
	}
	s.chat.mu.Lock()
	dc := s.chat.dc
	s.chat.mu.Unlock()
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen {
		return ChatMessage{}, ErrChatNotOpen
	}
	if dc.BufferedAmount() > chatBufferLimit {
		return ChatMessage{}, ErrChatBusy
	}
	now := time.Now()
	data, err := json.Marshal(chatWire{Type: chatType, Text: text, At: now.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return ChatMessage{}, err
	}
	if err := dc.SendText(string(data)); err != nil {
		return ChatMessage{}, fmt.Errorf("%w: %v", ErrChatNotOpen, err)
	}
	return ChatMessage{Text: text, At: now, Sent: now, Mine: true}, nil
}

// ChatOpen tells whether chat messages can be sent now. Changed signals
// when the chat channel opens.
func (s *Session) ChatOpen() bool {
	s.chat.mu.Lock()
	dc := s.chat.dc
	s.chat.mu.Unlock()
	return dc != nil && dc.ReadyState() == webrtc.DataChannelStateOpen
}

// Chat delivers the chat messages the other side sends, in order. Up to
// 256 wait to be read; more are dropped. One reader only.
func (s *Session) Chat() <-chan ChatMessage { return s.chat.inbox() }

func init() {
	// Each reason is logged once on the chat channel.
	refusalReasons = append(refusalReasons, errBinary, errNotUTF8, errNoText, errLong)
}
