package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
)

// DefaultTimeout bounds one Ask when its context has no deadline.
const DefaultTimeout = 3 * time.Second

// Result is what a server said.
type Result struct {
	Server Server
	// OK is true when the server answered as it should: a STUN server
	// with the address it sees, a TURN server with a relay.
	OK bool
	// Seen is the address the server saw the question come from (the
	// public address, behind a NAT); Relay the relayed address a TURN
	// server gave.
	Seen, Relay netip.AddrPort
	// Message says it in a sentence a person can act on.
	Message string
	// Took is how long the server took to answer.
	Took time.Duration
}

// Ask asks s whether it answers: a STUN server a Binding request, a TURN
// server an Allocate with user and pass (the allocation is released at
// once). It gives up after DefaultTimeout, or when ctx ends. The answer is
// always a Result with a sentence; Ask never blocks past its bound.
func Ask(ctx context.Context, s Server, user, pass string) Result {
	timeout := DefaultTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d).Round(time.Second)
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := time.Now()
	r := ask(ctx, s, user, pass, timeout)
	r.Server = s
	r.Took = time.Since(start)
	return r
}

func ask(ctx context.Context, s Server, user, pass string, timeout time.Duration) Result {
	name := s.Name()
	silent := func() Result {
		secs := max(1, int(timeout/time.Second))
		return Result{Message: fmt.Sprintf("%s did not answer in %d s", name, secs)}
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", s.Host)
	if err != nil || len(addrs) == 0 {
		if ctx.Err() != nil {
			return silent()
		}
		return Result{Message: fmt.Sprintf("the name %s is not known (no such server in DNS)", s.Host)}
	}
	ip := addrs[0].Unmap()
	for _, a := range addrs {
		if a.Unmap().Is4() {
			ip = a.Unmap()
			break
		}
	}
	server := netip.AddrPortFrom(ip, uint16(s.Port))

	conn, err := dial(ctx, s, server)
	if err != nil {
		var op *net.OpError
		switch {
		case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
			return silent()
		case errors.As(err, &op) && strings.Contains(err.Error(), "refused"):
			return Result{Message: fmt.Sprintf("%s refused the connection (nothing listens on port %d over TCP)", name, s.Port)}
		case s.Secure:
			return Result{Message: fmt.Sprintf("%s did not complete the secure (TLS) connection: %v", name, err)}
		}
		return Result{Message: fmt.Sprintf("%s could not be reached: %v", name, err)}
	}
	defer conn.Close()

	cfg := &turn.ClientConfig{
		Conn:          conn,
		Username:      user,
		Password:      pass,
		Software:      "Peercall",
		RTO:           250 * time.Millisecond,
		LoggerFactory: quietLogs{},
	}
	if s.TURN {
		cfg.TURNServerAddr = server.String()
	} else {
		cfg.STUNServerAddr = server.String()
	}
	c, err := turn.NewClient(cfg)
	if err != nil {
		return Result{Message: fmt.Sprintf("%s could not be asked: %v", name, err)}
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return Result{Message: fmt.Sprintf("%s could not be asked: %v", name, err)}
	}

	to := net.UDPAddrFromAddrPort(server)
	// Each answer the server gives shows the address it saw.
	msg, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if err != nil {
		return Result{Message: err.Error()}
	}
	res, err := c.PerformTransactionWithContext(msg, to, false, ctx)
	if err != nil {
		if ctx.Err() != nil {
			return silent()
		}
		return Result{Message: fmt.Sprintf("%s did not answer: %v", name, err)}
	}
	var seen stun.XORMappedAddress
	if err := seen.GetFrom(res.Msg); err != nil {
		if res.Msg.Type.Class == stun.ClassErrorResponse {
			return Result{Message: fmt.Sprintf("%s answered with an error (%s)", name, errorText(res.Msg))}
		}
		return Result{Message: fmt.Sprintf("%s answered, but not with an address: it may not be a STUN server", name)}
	}
	seenAt := addrPort(seen.IP, seen.Port)
	if !s.TURN {
		return Result{OK: true, Seen: seenAt, Message: fmt.Sprintf("%s answered: you are seen as %s", name, seenAt)}
	}

	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		var te *stun.TurnError
		var tev stun.TurnError
		code := stun.ErrorCode(0)
		if errors.As(err, &te) {
			code = te.ErrorCodeAttr.Code
		} else if errors.As(err, &tev) {
			code = tev.ErrorCodeAttr.Code
		}
		switch {
		case code == stun.CodeUnauthorized:
			return Result{Seen: seenAt, Message: "the TURN server refused the user name or password"}
		case code == stun.CodeForbidden:
			return Result{Seen: seenAt, Message: "the TURN server refused this user a relay (forbidden)"}
		case code == stun.CodeAllocQuotaReached:
			return Result{Seen: seenAt, Message: "the TURN server refused a relay: this user has all the relays allowed"}
		case code == stun.CodeInsufficientCapacity:
			return Result{Seen: seenAt, Message: "the TURN server is full: it has no relay to give"}
		case code != 0:
			return Result{Seen: seenAt, Message: fmt.Sprintf("the TURN server refused a relay (error %d)", int(code))}
		case ctx.Err() != nil:
			return Result{Seen: seenAt, Message: fmt.Sprintf("%s answered a STUN request but gave no relay in %d s", name, max(1, int(timeout/time.Second)))}
		}
		return Result{Seen: seenAt, Message: fmt.Sprintf("%s answered a STUN request but gave no relay: %v", name, err)}
	}
	var relayAt netip.AddrPort
	if ua, ok := relay.LocalAddr().(*net.UDPAddr); ok {
		relayAt = addrPort(ua.IP, ua.Port)
	}
	_ = relay.Close() // releases the allocation on the server
	return Result{OK: true, Seen: seenAt, Relay: relayAt,
		Message: fmt.Sprintf("%s answered: you are seen as %s, and it gave a relay at %s", name, seenAt, relayAt)}
}

// dial opens the socket the questions go over: UDP, TCP or TLS.
func dial(ctx context.Context, s Server, server netip.AddrPort) (net.PacketConn, error) {
	if s.Transport == "udp" {
		network := "udp4"
		if server.Addr().Is6() {
			network = "udp6"
		}
		var lc net.ListenConfig
		return lc.ListenPacket(ctx, network, ":0")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", server.String())
	if err != nil {
		return nil, err
	}
	if s.Secure {
		tc := tls.Client(c, &tls.Config{ServerName: s.Host})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	return turn.NewSTUNConn(c), nil
}

func addrPort(ip net.IP, port int) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), uint16(port))
}

func errorText(m *stun.Message) string {
	var code stun.ErrorCodeAttribute
	if err := code.GetFrom(m); err != nil {
		return "no reason given"
	}
	return code.String()
}

// quietLogs keeps the TURN client's own logs out of the way.
type quietLogs struct{}

func (quietLogs) NewLogger(string) logging.LeveledLogger {
	return logging.NewDefaultLeveledLoggerForScope("", logging.LogLevelDisabled, nil)
}
