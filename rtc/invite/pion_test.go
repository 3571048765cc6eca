package invite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// testTimeout bounds every wait in the pion tests.
const testTimeout = 20 * time.Second

// mdnsDisabled is ice.MulticastDNSModeDisabled (the ice package is not a
// direct dependency): no multicast queries leave the test.
const mdnsDisabled = 1

// newPeer returns a PeerConnection that uses only loopback UDP over IPv4,
// no mDNS, a fresh certificate and the ICE credentials derived from its
// fingerprint, as Peercall sets them.
func newPeer(t *testing.T, configure func(*webrtc.SettingEngine)) (*webrtc.PeerConnection, [32]byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := FingerprintOf(*cert)
	if err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetICECredentials(DeriveCredentials(fp))
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(mdnsDisabled)
	if configure != nil {
		configure(&se)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{*cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc, fp
}

// waitFor receives from ch or fails the test after testTimeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// gathered sets a local description and returns it once gathering is
// complete.
func gathered(t *testing.T, pc *webrtc.PeerConnection, sd webrtc.SessionDescription) webrtc.SessionDescription {
	t.Helper()
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(sd); err != nil {
		t.Fatal(err)
	}
	waitFor(t, done, "ICE gathering")
	return *pc.LocalDescription()
}

// TestPionRoundTrip connects two pion peers through an invite and a reply
// carried as text, and sends a message over the data channel, with the
// answerer taking either DTLS role.
func TestPionRoundTrip(t *testing.T) {
	for _, passive := range []bool{false, true} {
		name := "reply active"
		if passive {
			name = "reply passive"
		}
		t.Run(name, func(t *testing.T) {
			inviter, fpA := newPeer(t, nil)
			replier, fpB := newPeer(t, func(se *webrtc.SettingEngine) {
				if passive {
					if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
						t.Fatal(err)
					}
				}
			})

			// Both sides create the same pre-negotiated channels before the
			// first offer and answer, as docs/PROTOCOL.md says.
			channels := func(pc *webrtc.PeerConnection) *webrtc.DataChannel {
				var signal *webrtc.DataChannel
				for i, label := range []string{"signal", "control"} {
					negotiated, id := true, uint16(i)
					dc, err := pc.CreateDataChannel(label, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
					if err != nil {
						t.Fatal(err)
					}
					if i == 0 {
						signal = dc
					}
				}
				return signal
			}
			dc := channels(inviter)
			opened := make(chan struct{})
			dc.OnOpen(func() { close(opened) })
			received := make(chan string, 1)
			channels(replier).OnMessage(func(m webrtc.DataChannelMessage) {
				select {
				case received <- string(m.Data):
				default:
				}
			})

			// Inviter: offer → invite text.
			offer, err := inviter.CreateOffer(nil)
			if err != nil {
				t.Fatal(err)
			}
			offer = gathered(t, inviter, offer)
			inv, err := FromDescription(offer, nil)
			if err != nil {
				t.Fatalf("FromDescription(offer): %v\n%s", err, offer.SDP)
			}
			if inv.Fingerprint != fpA || len(inv.Candidates) == 0 {
				t.Fatalf("invite = %+v", *inv)
			}
			invText := inv.String()
			t.Logf("pion offer:\n%sinvite (%d chars): %s", offer.SDP, len(invText), invText)
			if ufrag, pwd := DeriveCredentials(fpA); inv.Ufrag != ufrag || inv.Pwd != pwd || rawPayload(invText)[0]&v2Credentials != 0 {
				t.Errorf("invite credentials are not the derived ones")
			}

			// Replier: invite text → offer → answer → reply text.
			got, err := Parse("  «"+invText+"»\n", KindInvite, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := replier.SetRemoteDescription(got.Description()); err != nil {
				t.Fatalf("SetRemoteDescription(invite): %v\n%s", err, got.Description().SDP)
			}
			answer, err := replier.CreateAnswer(nil)
			if err != nil {
				t.Fatal(err)
			}
			answer = gathered(t, replier, answer)
			rep, err := FromDescription(answer, got)
			if err != nil {
				t.Fatalf("FromDescription(answer): %v\n%s", err, answer.SDP)
			}
			if rep.Fingerprint != fpB || rep.SetupPassive != passive || rep.SessionID != SessionIDFor(fpA) {
				t.Fatalf("reply = %+v", *rep)
			}
			repText := rep.String()
			t.Logf("pion answer:\n%sreply (%d chars): %s", answer.SDP, len(repText), repText)

			// Inviter: reply text → answer.
			back, err := Parse(repText, KindReply, inv)
			if err != nil {
				t.Fatal(err)
			}
			if err := inviter.SetRemoteDescription(back.Description()); err != nil {
				t.Fatalf("SetRemoteDescription(reply): %v\n%s", err, back.Description().SDP)
			}

			waitFor(t, opened, "the data channel to open")
			if err := dc.SendText("hello over a code"); err != nil {
				t.Fatal(err)
			}
			if msg := waitFor(t, received, "the message"); msg != "hello over a code" {
				t.Errorf("received %q", msg)
			}
		})
	}
}

// A Chromium-style data-channel-only offer (random credentials, trickle,
// an mDNS host candidate, a TCP candidate, a srflx candidate on the same
// port).
const chromiumOffer = "v=0\r\n" +
	"o=- 5293874015129374632 2 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=group:BUNDLE 0\r\n" +
	"a=extmap-allow-mixed\r\n" +
	"a=msid-semantic: WMS\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=candidate:2381254874 1 udp 2113937151 7f3e9a42-5c1d-4b8e-9f60-2d4a8c7e1b35.local 58231 typ host generation 0 network-cost 999\r\n" +
	"a=candidate:1610237520 1 tcp 2113939711 7f3e9a42-5c1d-4b8e-9f60-2d4a8c7e1b35.local 9 typ host tcptype active generation 0 network-cost 999\r\n" +
	"a=candidate:3946537132 1 udp 1677729535 198.51.100.23 58231 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999\r\n" +
	"a=ice-ufrag:q7Zr\r\n" +
	"a=ice-pwd:Hn2vX0kLw9pQ4sT8yB1cR6eJ\r\n" +
	"a=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 3A:9F:C2:17:84:E5:0B:6D:D1:48:7C:A3:F0:29:5E:B6:12:8D:C7:44:9A:E0:3B:76:15:D8:6F:02:A9:C4:5B:E1\r\n" +
	"a=setup:actpass\r\n" +
	"a=mid:0\r\n" +
	"a=sctp-port:5000\r\n" +
	"a=max-message-size:262144\r\n"

func TestChromiumOffer(t *testing.T) {
	inv, err := FromDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: chromiumOffer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantFP, _ := parseFingerprint("3A:9F:C2:17:84:E5:0B:6D:D1:48:7C:A3:F0:29:5E:B6:12:8D:C7:44:9A:E0:3B:76:15:D8:6F:02:A9:C4:5B:E1")
	wantCands := []Candidate{
		{CandidateHost, "7f3e9a42-5c1d-4b8e-9f60-2d4a8c7e1b35.local", 58231},
		{CandidateSrflx, "198.51.100.23", 58231},
	}
	if inv.Fingerprint != wantFP || inv.Ufrag != "q7Zr" || inv.Pwd != "Hn2vX0kLw9pQ4sT8yB1cR6eJ" || !equalCandidates(inv.Candidates, wantCands) {
		t.Fatalf("invite = %+v", *inv)
	}
	text := inv.String()
	t.Logf("Chromium offer as an invite (%d chars): %s", len(text), text)

	dec, err := Parse(text, KindInvite, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := dec.Description()
	for _, want := range []string{"a=ice-ufrag:q7Zr\r\n", "a=ice-pwd:Hn2vX0kLw9pQ4sT8yB1cR6eJ\r\n",
		"a=fingerprint:sha-256 3A:9F:C2:17:84:E5:0B:6D:D1:48:7C:A3:F0:29:5E:B6:12:8D:C7:44:9A:E0:3B:76:15:D8:6F:02:A9:C4:5B:E1\r\n",
		"7f3e9a42-5c1d-4b8e-9f60-2d4a8c7e1b35.local 58231 typ host", "198.51.100.23 58231 typ srflx"} {
		if !strings.Contains(d.SDP, want) {
			t.Errorf("description lacks %q:\n%s", want, d.SDP)
		}
	}

	// pion accepts it (the remote IP filter keeps the test from sending
	// anything to the sample addresses) and answers; the answer becomes a
	// reply to this invite.
	pc, _ := newPeer(t, nil)
	if err := pc.SetRemoteDescription(d); err != nil {
		t.Fatalf("SetRemoteDescription: %v\n%s", err, d.SDP)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := FromDescription(answer, dec)
	if err != nil {
		t.Fatalf("FromDescription(answer): %v\n%s", err, answer.SDP)
	}
	if _, err := Parse(rep.String(), KindReply, dec); err != nil {
		t.Errorf("reply does not parse against the invite: %v", err)
	}
}

func equalCandidates(a, b []Candidate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
