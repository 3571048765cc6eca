package invite

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The offer an invite stands for, pinned (it is the example in
// docs/CODES.md).
const inviteTypicalSDP = "v=0\r\n" +
	"o=- 1068707186 2 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=group:BUNDLE 0\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:X1PNTBej\r\n" +
	"a=ice-pwd:vxVc651gKN4rIeZhyJJzKz2WVLhv6vDW\r\n" +
	"a=fingerprint:sha-256 78:5F:13:68:78:04:F1:33:6D:A0:45:13:FB:33:F3:A2:02:D2:88:3B:44:E2:F1:1B:2A:27:F0:6D:4D:4C:D9:ED\r\n" +
	"a=setup:actpass\r\n" +
	"a=mid:0\r\n" +
	"a=sctp-port:5000\r\n" +
	"a=max-message-size:262144\r\n" +
	"a=candidate:1 1 udp 2130706431 192.168.1.23 50001 typ host\r\n" +
	"a=candidate:2 1 udp 2130706175 10.8.0.5 50002 typ host\r\n" +
	"a=candidate:3 1 udp 2130705919 172.17.0.1 50003 typ host\r\n" +
	"a=candidate:4 1 udp 2130705663 100.64.12.7 50004 typ host\r\n" +
	"a=candidate:5 1 udp 1694497791 203.0.113.45 61234 typ srflx raddr 0.0.0.0 rport 0\r\n" +
	"a=end-of-candidates\r\n"

func TestDescriptionGolden(t *testing.T) {
	for _, c := range []*Code{inviteTypical, replyBrowser} {
		d := c.Description()
		t.Logf("%v → %v:\n%s", c.Kind, d.Type, d.SDP)
	}
	if got := inviteTypical.Description().SDP; got != inviteTypicalSDP {
		t.Errorf("invite SDP =\n%s\nwant\n%s", got, inviteTypicalSDP)
	}
}

// answersFor returns the invite a test reply answers.
func answersFor(c *Code) *Code {
	if c.Kind != KindReply {
		return nil
	}
	for _, inv := range []*Code{inviteTypical, inviteMixed, inviteBare, invite3} {
		if SessionIDFor(inv.Fingerprint) == c.SessionID {
			return inv
		}
	}
	panic("no invite for reply")
}

// Every code's description parses as SDP and converts back to the same code.
func TestDescriptionRoundTrip(t *testing.T) {
	for _, tc := range encodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.code.Description()
			var parsed sdp.SessionDescription
			if err := parsed.UnmarshalString(d.SDP); err != nil {
				t.Fatalf("SDP does not parse: %v\n%s", err, d.SDP)
			}
			for _, want := range []string{"a=group:BUNDLE 0\r\n", "a=mid:0\r\n", "a=sctp-port:5000\r\n", "a=max-message-size:", "a=end-of-candidates\r\n", "a=fingerprint:sha-256 "} {
				if !strings.Contains(d.SDP, want) {
					t.Errorf("SDP lacks %q", want)
				}
			}
			got, err := FromDescription(d, answersFor(tc.code))
			if err != nil {
				t.Fatalf("FromDescription: %v", err)
			}
			// FromDescription writes the current format, whatever the
			// format of the code the description came from.
			// (A version-3 reply carries one byte of the session id.)
			now := *tc.code
			now.Version = CurrentVersion
			want := complete(&now)
			if got := complete(got); !reflect.DeepEqual(got, want) {
				t.Errorf("FromDescription =\n%+v\nwant\n%+v", *got, *want)
			}
		})
	}
	if d := (&Code{}).Description(); d.SDP != "" {
		t.Errorf("unknown kind gives %q", d.SDP)
	}
}

// sdpWith builds a data-channel description with the given media lines.
func sdpWith(session string, media ...string) string {
	s := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + session
	for _, m := range media {
		s += m
	}
	return s
}

const dataMedia = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"

func fpLine(fp [32]byte) string { return "a=fingerprint:sha-256 " + FormatFingerprint(fp) + "\r\n" }

const credLines = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"

func TestFromDescriptionSelection(t *testing.T) {
	offer := sdpWith("a=group:BUNDLE 0\r\n", dataMedia, credLines, strings.ToLower(fpLine(fpA)),
		"a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n",
		"a=candidate:1 1 udp 2130706431 127.0.0.1 1000 typ host\r\n",
		"a=candidate:2 1 udp 2130706430 ::1 1001 typ host\r\n",
		"a=candidate:3 1 udp 2130706429 fe80::1%eth0 1002 typ host\r\n",
		"a=candidate:4 1 udp 2130706000 192.168.1.5 1003 typ host generation 0\r\n",
		"a=candidate:4 2 udp 2130706000 192.168.1.5 1004 typ host\r\n",
		"a=candidate:5 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active\r\n",
		"a=candidate:6 1 UDP 1694498815 203.0.113.9 1003 typ srflx raddr 192.168.1.5 rport 1003\r\n",
		"a=candidate:7 1 udp 2130706000 192.168.1.5 1003 typ host\r\n",
		"a=candidate:8 1 udp 2130706500 2001:db8::5 1005 typ host\r\n",
		"a=candidate:9 1 udp 16777215 198.51.100.1 3478 typ relay raddr 203.0.113.9 rport 1003\r\n",
		"a=candidate:10 1 udp 2130706431 0.0.0.0 1006 typ host\r\n",
		"a=candidate:11 1 udp 2130706431 10.0.0.1 1007 typ weird\r\n",
		"a=candidate:12 1 udp 2130706431 bad address 1007 typ host\r\n",
		"a=candidate:13 1 udp 2130706431 10.0.0.2 0 typ host\r\n",
		"a=candidate:14 1 udp 99999999999 10.0.0.3 1 typ host\r\n",
		"a=candidate:15 1 udp 1 10.0.0.4\r\n",
	)
	c, err := FromDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Candidate{
		{CandidateHost, "2001:db8::5", 1005},
		{CandidateHost, "192.168.1.5", 1003},
		{CandidateSrflx, "203.0.113.9", 1003},
		{CandidateRelay, "198.51.100.1", 3478},
	}
	if !reflect.DeepEqual(c.Candidates, want) {
		t.Errorf("candidates = %+v\nwant %+v", c.Candidates, want)
	}
	if c.Fingerprint != fpA || c.Ufrag != "abcd" || c.Pwd != "abcdefghijklmnopqrstuvwx" || c.Kind != KindInvite {
		t.Errorf("code = %+v", *c)
	}

	// Only loopback: kept.
	offer = sdpWith("", dataMedia, credLines, fpLine(fpA), "a=setup:actpass\r\na=mid:0\r\n",
		"a=candidate:1 1 udp 2130706431 127.0.0.1 1000 typ host\r\n")
	if c, err = FromDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}, nil); err != nil || len(c.Candidates) != 1 {
		t.Errorf("loopback-only: %v %+v", err, c)
	}

	// Too many candidates: the lowest-priority ones are dropped.
	var many []string
	for i := range 60 {
		many = append(many, "a=candidate:1 1 udp "+itoa(2000000000-i)+" 10.1.0."+itoa(i)+" "+itoa(2000+i)+" typ host\r\n")
	}
	offer = sdpWith("", append([]string{dataMedia, credLines, fpLine(fpA), "a=setup:actpass\r\na=mid:0\r\n"}, many...)...)
	if c, err = FromDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}, nil); err != nil {
		t.Fatal(err)
	}
	if s := mustEncode(c); len(rawPayload(s)) > MaxPayload || c.Candidates[0].Address != "10.1.0.0" || len(c.Candidates) != (MaxPayload-minPayloadV3-1-4-1-24)/6 {
		t.Errorf("trimmed to %d candidates, first %v", len(c.Candidates), c.Candidates[0])
	}
}

// A machine with a stable and a temporary IPv6 address in one /64 and no
// NAT on IPv6: its code names one address of the /64, and no
// server-reflexive candidate on its own address.
func TestFromDescriptionRedundant(t *testing.T) {
	offer := sdpWith("", dataMedia, fpLine(fpA), "a=setup:actpass\r\na=mid:0\r\n",
		"a=ice-ufrag:"+mustDerived(fpA)+"\r\n",
		"a=candidate:1 1 udp 2130706431 2001:db8:41:7:9a1:b2c3:d4e5:f607 50001 typ host\r\n", // temporary
		"a=candidate:2 1 udp 2130706431 2001:db8:41:7::23 50001 typ host\r\n",                // stable, same /64
		"a=candidate:3 1 udp 2130706431 2001:db8:41:8::23 50001 typ host\r\n",                // another /64
		"a=candidate:4 1 udp 2130706431 192.168.1.23 50001 typ host\r\n",
		"a=candidate:5 1 udp 2130706431 192.168.1.24 50001 typ host\r\n",                      // IPv4: kept
		"a=candidate:6 1 udp 1694498815 2001:db8:41:7:9a1:b2c3:d4e5:f607 61235 typ srflx\r\n", // its own address
		"a=candidate:7 1 udp 1694498815 2001:db8:41:7::23 61235 typ srflx\r\n",                // a host address left out: kept
		"a=candidate:8 1 udp 1694498815 203.0.113.45 61234 typ srflx\r\n",
		"a=candidate:9 1 udp 16777215 2001:db8:41:7::99 3478 typ relay\r\n", // relays are not hosts
	)
	c, err := FromDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Candidate{
		{CandidateHost, "2001:db8:41:7:9a1:b2c3:d4e5:f607", 50001},
		{CandidateHost, "2001:db8:41:8::23", 50001},
		{CandidateHost, "192.168.1.23", 50001},
		{CandidateHost, "192.168.1.24", 50001},
		{CandidateSrflx, "2001:db8:41:7::23", 61235},
		{CandidateSrflx, "203.0.113.45", 61234},
		{CandidateRelay, "2001:db8:41:7::99", 3478},
	}
	if !reflect.DeepEqual(c.Candidates, want) {
		t.Errorf("candidates = %+v\nwant %+v", c.Candidates, want)
	}
}

// mustDerived returns the ice-ufrag and ice-pwd lines' values for fp,
// joined as the SDP lines need them.
func mustDerived(fp [32]byte) string {
	u, p := DeriveCredentials(fp)
	return u + "\r\na=ice-pwd:" + p
}

func TestFromDescriptionErrors(t *testing.T) {
	good := []string{"a=group:BUNDLE 0\r\n", dataMedia, credLines, fpLine(fpA), "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n"}
	offer := func(lines ...string) webrtc.SessionDescription {
		return webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdpWith("", lines...)}
	}
	replace := func(old, new string) webrtc.SessionDescription {
		return offer(strings.Replace(strings.Join(good, ""), old, new, 1))
	}
	if _, err := FromDescription(offer(good...), nil); err != nil {
		t.Fatalf("good offer: %v", err)
	}
	inv := complete(inviteTypical)
	for name, tc := range map[string]struct {
		sd      webrtc.SessionDescription
		answers *Code
	}{
		"two sections":      {offer(append(good, dataMedia, "a=mid:1\r\n")...), nil},
		"audio":             {replace("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=audio 9 UDP/TLS/RTP/SAVPF 111"), nil},
		"old sctp":          {replace("UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000"), nil},
		"mid 1":             {replace("a=mid:0", "a=mid:1"), nil},
		"no mid":            {replace("a=mid:0\r\n", ""), nil},
		"sctp port":         {replace("a=sctp-port:5000", "a=sctp-port:5001"), nil},
		"no fingerprint":    {replace(fpLine(fpA), ""), nil},
		"sha-1 only":        {replace(fpLine(fpA), "a=fingerprint:sha-1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD\r\n"), nil},
		"two sha-256":       {replace(fpLine(fpA), fpLine(fpA)+fpLine(fpB)), nil},
		"short fingerprint": {replace(fpLine(fpA), "a=fingerprint:sha-256 AA:BB\r\n"), nil},
		"setup active":      {replace("a=setup:actpass", "a=setup:active"), nil},
		"no ufrag":          {replace("a=ice-ufrag:abcd\r\n", ""), nil},
		"short pwd":         {replace("a=ice-pwd:abcdefghijklmnopqrstuvwx", "a=ice-pwd:abc"), nil},
		"ice lite":          {offer(append([]string{"a=ice-lite\r\n"}, good...)...), nil},
		"not sdp":           {webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: "hello"}, nil},
		"rollback":          {webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}, nil},
		"offer with invite": {offer(good...), inv},
		"answer no invite":  {webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: strings.Replace(offer(good...).SDP, "actpass", "active", 1)}, nil},
		"answer actpass":    {webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: offer(good...).SDP}, inv},
	} {
		if c, err := FromDescription(tc.sd, tc.answers); err == nil {
			t.Errorf("%s: no error, got %+v", name, c)
		} else if !errors.Is(err, ErrUnsupported) && !strings.HasPrefix(err.Error(), "invite: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	// Session-level attributes are accepted too.
	sd := offer("a=group:BUNDLE 0\r\n", credLines, fpLine(fpA), "a=setup:actpass\r\n", dataMedia, "a=mid:0\r\n")
	if _, err := FromDescription(sd, nil); err != nil {
		t.Errorf("session-level attributes: %v", err)
	}
}
