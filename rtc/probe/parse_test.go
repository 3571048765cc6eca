package probe

import (
	"slices"
	"testing"
)

func TestSplitList(t *testing.T) {
	for text, want := range map[string][]string{
		"":                                    nil,
		"stun.a.org\nstun.b.org:3478\n\n":     {"stun.a.org", "stun.b.org:3478"},
		"stun.a.org, stun.b.org":              {"stun.a.org", "stun.b.org"},
		"my stun server please":               {"my stun server please"},
		"  stun:203.0.113.7 \r\n198.51.100.1": {"stun:203.0.113.7", "198.51.100.1"},
	} {
		if got := SplitList(text); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}

// Entries a person may type are read into the URL WebRTC takes; anything
// else is refused with a sentence that names the entry.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		entry, url string
		turn       bool
	}{
		{"stun.example.org", "stun:stun.example.org:3478", false},
		{"stun.example.org:19302", "stun:stun.example.org:19302", false},
		{"STUN:Stun.Example.org:19302", "stun:stun.example.org:19302", false},
		{"stun://stun.example.org", "stun:stun.example.org:3478", false},
		{"stuns:stun.example.org", "stuns:stun.example.org:5349", false},
		{"203.0.113.7", "stun:203.0.113.7:3478", false},
		{"[2001:db8::1]:3479", "stun:[2001:db8::1]:3479", false},
		{"2001:db8::1", "stun:[2001:db8::1]:3478", false},
		{"turn:turn.example.org", "turn:turn.example.org:3478", true},
		{"turn.example.org:443", "turn:turn.example.org:443", true},
		{"turn:turn.example.org:3478?transport=tcp", "turn:turn.example.org:3478?transport=tcp", true},
		{"turns:turn.example.org", "turns:turn.example.org:5349", true},
		{"turns:turn.example.org:443?transport=tcp", "turns:turn.example.org:443", true},
	} {
		parse := ParseSTUN
		if tc.turn {
			parse = ParseTURN
		}
		s, err := parse(tc.entry)
		if err != nil || s.URL != tc.url || s.TURN != tc.turn {
			t.Errorf("%q: %+v, %v; want %s", tc.entry, s, err, tc.url)
		}
	}
	for _, tc := range []struct {
		entry, msg string
		turn       bool
	}{
		{"my stun server please", `"my stun server please" is not a server address: an address has no spaces (give one server a line)`, false},
		{"hello world", `"hello world" is not a server address: an address has no spaces (give one server a line)`, true},
		{"stun.example.org:99999", `"stun.example.org:99999" is not a server address: the port must be a number from 1 to 65535`, false},
		{"stun.example.org:port", `"stun.example.org:port" is not a server address: the port must be a number from 1 to 65535`, false},
		{"stun.example.org:", `"stun.example.org:" is not a server address: the port must be a number from 1 to 65535`, false},
		{"stun_server!", `"stun_server!" is not a server address: use a name such as stun.example.org or an address such as 203.0.113.7`, false},
		{"203.0.113.300", `"203.0.113.300" is not a server address: use a name such as stun.example.org or an address such as 203.0.113.7`, false},
		{"udp:stun.example.org:3478", `"udp:stun.example.org:3478" is not a server address: it starts with udp: — use stun:, stuns:, turn: or turns:`, false},
		{"https://stun.example.org", `"https://stun.example.org" is not a server address: it is a web address; give the server's name, such as stun.example.org`, false},
		{"stun:stun.example.org?transport=udp", `"stun:stun.example.org?transport=udp" is not a server address: a STUN address takes nothing after "?"`, false},
		{"turn:t.example.org?transport=sctp", `"turn:t.example.org?transport=sctp" is not a server address: after "?" only transport=udp or transport=tcp may follow`, true},
		{"turns:t.example.org?transport=udp", `"turns:t.example.org?transport=udp" is not a server address: turns: runs over TCP; use turn: for UDP`, true},
		{"turn:t.example.org", `"turn:t.example.org" is a TURN server: put it in the TURN server field`, false},
		{"stun:s.example.org", `"stun:s.example.org" is a STUN server: a TURN server's address starts with turn: or turns:`, true},
		{"stun:", `"stun:" is not a server address: the server's name is missing`, false},
		{"[2001:db8::1", `"[2001:db8::1" is not a server address: the "[" before an IPv6 address needs its "]"`, false},
	} {
		parse := ParseSTUN
		if tc.turn {
			parse = ParseTURN
		}
		if _, err := parse(tc.entry); err == nil || err.Error() != tc.msg {
			t.Errorf("%q: %v\n want %s", tc.entry, err, tc.msg)
		}
	}
	if err := CheckTURN("", ""); err == nil || err.Error() != "a TURN server needs a user name and a password" {
		t.Errorf("no credentials: %v", err)
	}
	if CheckTURN("a", "") == nil || CheckTURN("", "b") == nil || CheckTURN("a", "b") != nil {
		t.Error("CheckTURN with one of the two, or both")
	}
}
