package call

import (
	"strings"

	"github.com/pion/webrtc/v4"
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
// NoSTUN) and the TURN servers with their credentials. A URL without its
// scheme gets "stun:" or "turn:".
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
		if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
			u = "stun:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}})
	}
	for _, u := range turn {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			u = "turn:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}, Username: turnUser, Credential: turnPass})
	}
	return servers
}
