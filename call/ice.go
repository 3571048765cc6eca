package call

import (
	"strings"

	"github.com/pion/webrtc/v4"

	"peercall/rtc/probe"
)

// DefaultSTUN is the STUN server a call uses when its options name none:
// a public one, so that two people behind ordinary home routers connect
// with no setup.
const DefaultSTUN = "stun:stun.l.google.com:19302"

// NoSTUN, as an entry of Options.STUN, means no STUN server at all (host
// candidates and TURN only).
const NoSTUN = "none"

// ICEServers builds the server list a session gathers candidates with:
// the STUN servers (DefaultSTUN when stun is nil, none when an entry is
// NoSTUN) and the TURN servers with their credentials. Entries are read
// with probe.ParseSTUN and probe.ParseTURN, the parsers the settings check
// them with; one those refuse is passed on with "stun:" or "turn:" added
// when it has no scheme.
func ICEServers(stun, turn []string, turnUser, turnPass string) []webrtc.ICEServer {
	if stun == nil {
		stun = []string{DefaultSTUN}
	}
	var servers []webrtc.ICEServer
	for _, u := range stun {
		u = strings.TrimSpace(u)
		if u == "" || u == NoSTUN {
			continue
		}
		if s, err := probe.ParseSTUN(u); err == nil {
			u = s.URL
		} else if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
			u = "stun:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}})
	}
	for _, u := range turn {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if s, err := probe.ParseTURN(u); err == nil {
			u = s.URL
		} else if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			u = "turn:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}, Username: turnUser, Credential: turnPass})
	}
	return servers
}
