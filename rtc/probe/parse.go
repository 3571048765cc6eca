// Package probe reads STUN and TURN server entries as a person types them,
// refusing what a call could not use in plain words, and asks a server
// whether it answers: a STUN Binding request, or a TURN Allocate with the
// user name and password.
package probe

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/stun/v4"
)

// Server is one STUN or TURN server entry, read.
type Server struct {
	Entry     string // as typed, trimmed
	URL       string // what the call hands to WebRTC: "stun:host:port", "turn:host:port?transport=tcp"
	TURN      bool   // a TURN server (turn: or turns:)
	Secure    bool   // stuns: or turns: (TLS over TCP)
	Host      string
	Port      int
	Transport string // "udp" or "tcp"
}

// Address is the server's host and port, for dialling.
func (s Server) Address() string { return joinHostPort(s.Host, s.Port) }

// Name is how messages name the server: its host, with the port when it is
// not the usual one.
func (s Server) Name() string {
	if s.Port == defaultPort(s.Secure) {
		return s.Host
	}
	return s.Address()
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

func defaultPort(secure bool) int {
	if secure {
		return 5349
	}
	return 3478
}

// SplitList splits a list of servers as typed: one a line, or separated by
// commas. Spaces inside an entry stay, so that "my stun server please" is
// one entry (and refused), not four servers.
func SplitList(text string) []string {
	var out []string
	for _, e := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// ParseSTUN reads a STUN server entry: host, host:port, stun:host[:port]
// or stuns:host[:port]. The port is 3478 (5349 for stuns:) when none is
// given.
func ParseSTUN(entry string) (Server, error) {
	s, err := parse(entry, false)
	if err != nil {
		return s, err
	}
	if s.TURN {
		return s, fmt.Errorf("%q is a TURN server: put it in the TURN server field", s.Entry)
	}
	return s, nil
}

// ParseTURN reads a TURN server entry: host[:port], turn:host[:port] or
// turns:host[:port], each optionally followed by ?transport=udp or
// ?transport=tcp. The port is 3478 (5349 for turns:) when none is given.
func ParseTURN(entry string) (Server, error) {
	s, err := parse(entry, true)
	if err != nil {
		return s, err
	}
	if !s.TURN {
		return s, fmt.Errorf("%q is a STUN server: a TURN server's address starts with turn: or turns:", s.Entry)
	}
	return s, nil
}

// CheckTURN refuses what a call could not use with a TURN server: a
// server with no user name or password.
func CheckTURN(user, pass string) error {
	switch {
	case user == "" && pass == "":
		return fmt.Errorf("a TURN server needs a user name and a password")
	case user == "":
		return fmt.Errorf("a TURN server needs a user name as well as the password")
	case pass == "":
		return fmt.Errorf("a TURN server needs a password as well as the user name")
	}
	return nil
}

func parse(entry string, turn bool) (Server, error) {
	entry = strings.TrimSpace(entry)
	s := Server{Entry: entry}
	if entry == "" {
		return s, fmt.Errorf("the server's address is empty")
	}
	notAddr := func(why string) error {
		return fmt.Errorf("%q is not a server address: %s", entry, why)
	}
	if strings.ContainsAny(entry, " \t") {
		return s, notAddr("an address has no spaces (give one server a line)")
	}
	rest := entry
	scheme := "stun"
	if turn {
		scheme = "turn"
	}
	if i := strings.Index(rest, ":"); i > 0 {
		switch strings.ToLower(rest[:i]) {
		case "stun", "stuns", "turn", "turns":
			scheme, rest = strings.ToLower(rest[:i]), rest[i+1:]
		case "http", "https":
			return s, notAddr("it is a web address; give the server's name, such as stun.example.org")
		default:
			if _, err := netip.ParseAddr(rest); err != nil && strings.Contains(rest[i+1:], ":") && isLetters(rest[:i]) {
				return s, notAddr("it starts with " + rest[:i] + ": — use stun:, stuns:, turn: or turns:")
			}
		}
	}
	rest = strings.TrimPrefix(rest, "//")
	s.TURN = strings.HasPrefix(scheme, "turn")
	s.Secure = strings.HasSuffix(scheme, "s")
	s.Transport = "udp"
	if s.Secure {
		s.Transport = "tcp"
	}
	if host, query, ok := strings.Cut(rest, "?"); ok {
		rest = host
		if !s.TURN {
			return s, notAddr("a STUN address takes nothing after \"?\"")
		}
		switch strings.ToLower(query) {
		case "transport=udp":
			s.Transport = "udp"
		case "transport=tcp":
			s.Transport = "tcp"
		default:
			return s, notAddr("after \"?\" only transport=udp or transport=tcp may follow")
		}
		if s.Secure && s.Transport == "udp" {
			return s, notAddr("turns: runs over TCP; use turn: for UDP")
		}
	}
	host, port, err := splitHostPort(rest, defaultPort(s.Secure))
	if err != nil {
		return s, notAddr(err.Error())
	}
	s.Host, s.Port = host, port
	s.URL = scheme + ":" + joinHostPort(host, port)
	if s.TURN && s.Transport != map[bool]string{false: "udp", true: "tcp"}[s.Secure] {
		s.URL += "?transport=" + s.Transport
	}
	// The call hands the URL to WebRTC, which reads it with this parser:
	// whatever is accepted here must be accepted there.
	if _, err := stun.ParseURI(s.URL); err != nil {
		return s, notAddr("WebRTC cannot read it (" + err.Error() + ")")
	}
	return s, nil
}

// splitHostPort reads host, host:port, [v6] or [v6]:port.
func splitHostPort(hp string, def int) (string, int, error) {
	host, portText := hp, ""
	switch {
	case strings.HasPrefix(hp, "["):
		end := strings.Index(hp, "]")
		if end < 0 {
			return "", 0, fmt.Errorf("the \"[\" before an IPv6 address needs its \"]\"")
		}
		host = hp[1:end]
		after := hp[end+1:]
		if after != "" {
			if !strings.HasPrefix(after, ":") {
				return "", 0, fmt.Errorf("only :port may follow the IPv6 address")
			}
			portText = after[1:]
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", 0, fmt.Errorf("%s is not an IPv6 address", host)
		}
	case strings.Count(hp, ":") > 1:
		if a, err := netip.ParseAddr(hp); err == nil && a.Is6() {
			return hp, def, nil
		}
		return "", 0, fmt.Errorf("too many \":\"; write an IPv6 address in brackets, such as [2001:db8::1]:3478")
	case strings.Contains(hp, ":"):
		host, portText, _ = strings.Cut(hp, ":")
	}
	port := def
	if portText != "" || strings.HasSuffix(hp, ":") {
		p, err := strconv.Atoi(portText)
		if err != nil || p < 1 || p > 65535 {
			return "", 0, fmt.Errorf("the port must be a number from 1 to 65535")
		}
		port = p
	}
	if host == "" {
		return "", 0, fmt.Errorf("the server's name is missing")
	}
	if strings.Contains(hp, "[") {
		return host, port, nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return host, port, nil
	}
	if !validHostname(host) {
		return "", 0, fmt.Errorf("use a name such as stun.example.org or an address such as 203.0.113.7")
	}
	return strings.ToLower(host), port, nil
}

// validHostname reports whether h is a DNS name: letters, digits and
// hyphens in dot-separated labels of at most 63 characters, not all
// digits at the end (that would be a broken IP address).
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	if _, err := strconv.Atoi(last); err == nil {
		return false
	}
	return true
}

func isLetters(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
