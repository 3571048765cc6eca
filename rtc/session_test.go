package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/test"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"peercall/media"
	"peercall/media/tone"
	"peercall/rtc/invite"
)

// harness owns what a test starts, so the test can release all of it
// before checking that no goroutine was left behind.
type harness struct {
	t        *testing.T
	sessions []*Session
	routers  []*vnet.Router
}

// newHarness starts the leak check and returns the harness; the caller
// defers the returned function, which closes everything and then checks.
func newHarness(t *testing.T) (*harness, func()) {
	check := checkGoroutines(t)
	h := &harness{t: t}
	return h, func() {
		h.close()
		check()
	}
}

// close closes every session; releasing a call must go cleanly whatever
// ended it.
func (h *harness) close() {
	for _, s := range h.sessions {
		if err := s.Close(); err != nil {
			h.t.Errorf("closing a session: %v", err)
		}
	}
	for _, r := range h.routers {
		_ = r.Stop()
	}
	h.sessions, h.routers = nil, nil
}

func (h *harness) newSession(cfg Config) *Session {
	h.t.Helper()
	s, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.sessions = append(h.sessions, s)
	return s
}

// vnetPair makes a virtual network with two hosts, numbered from the range
// reserved for documentation, and returns their stacks.
func (h *harness) vnetPair() (*vnet.Net, *vnet.Net) {
	t := h.t
	t.Helper()
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "198.51.100.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"198.51.100.10"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"198.51.100.20"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := router.AddNet(a); err != nil {
		t.Fatal(err)
	}
	if err := router.AddNet(b); err != nil {
		t.Fatal(err)
	}
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	h.routers = append(h.routers, router)
	return a, b
}

func patternSource(t *testing.T) media.VideoSource {
	t.Helper()
	src, err := media.NewPatternSource(160, 120, 15)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// callPair pairs two sessions through the real code path: the invite and
// the reply go through their text form, as people carry them.
func (h *harness) callPair(a, b Config) (inviter, joiner *Session) {
	t := h.t
	t.Helper()
	inviter, joiner = h.newSession(a), h.newSession(b)
	reply := joinPair(t, inviter, joiner)
	if err := inviter.AcceptReply(reply); err != nil {
		t.Fatalf("accepting the reply: %v", err)
	}
	waitConnected(t, inviter, joiner)
	return inviter, joiner
}

func joinPair(t *testing.T, inviter, joiner *Session) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inviteText, err := inviter.Invite(ctx)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	reply, err := joiner.Join(ctx, inviteText)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return reply
}

func waitConnected(t *testing.T, ss ...*Session) {
	t.Helper()
	for _, s := range ss {
		select {
		case <-s.Connected():
		case <-s.Done():
			t.Fatalf("call ended before connecting: %v", s.Err())
		case <-time.After(20 * time.Second):
			t.Fatal("no connection within 20 s")
		}
	}
}

// eventually polls cond until it holds or the time runs out.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func liveVideoFrames(s *Session) (tracks int, frames uint64) {
	for _, r := range s.RemoteTracks() {
		if r.Kind == "video" && !r.Ended {
			tracks++
			frames += r.Video.FramesDecoded
		}
	}
	return tracks, frames
}

func (h *harness) vnetConfigs() (Config, Config) {
	t := h.t
	na, nb := h.vnetPair()
	return Config{Net: na, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("inviter")},
		Config{Net: nb, Video: patternSource(t), Audio: media.NewToneInput(), FPS: 15, Logger: testLogger("joiner")}
}

func TestCallCarriesVideoAndAudioBothWays(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.callPair(ca, cb)
	for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
		eventually(t, 15*time.Second, name+" decodes video and hears audio", func() bool {
			st := s.Stats()
			return st.FramesDecoded >= 10 && st.AudioPacketsReceived >= 10 && st.Width == 160 && st.Height == 120
		})
	}
	// Media went in band: the codes carried no media sections.
	if n := len(inviter.RemoteTracks()); n != 2 {
		t.Errorf("inviter sees %d remote tracks, want 2", n)
	}
	if err := inviter.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-joiner.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the joiner did not see the hang-up")
	}
	if !errors.Is(joiner.Err(), ErrPeerHungUp) {
		t.Errorf("joiner ended with %v, want %v", joiner.Err(), ErrPeerHungUp)
	}
	if inviter.Err() != nil {
		t.Errorf("inviter ended with %v, want nil", inviter.Err())
	}
}

// stuckMux is a session's sockets whose closing reports a failure.
type stuckMux struct{ hostSockets }

var errStuck = errors.New("the sockets would not close")

func (m stuckMux) Close() error {
	_ = m.hostSockets.Close()
	return errStuck
}

// What goes wrong while a call is released reaches whoever closes it, and
// only that: hanging up stays a normal end on both sides.
func TestCloseReportsWhatReleasingReported(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.callPair(ca, cb)
	// The hang-up travels on the control channel, open by the time
	// pictures arrive.
	eventually(t, 15*time.Second, "video at the joiner", func() bool { return joiner.Stats().FramesDecoded > 0 })
	inviter.mu.Lock()
	inviter.mux = stuckMux{inviter.mux}
	inviter.mu.Unlock()
	h.sessions = slices.DeleteFunc(h.sessions, func(s *Session) bool { return s == inviter })
	if err := inviter.Close(); !errors.Is(err, errStuck) {
		t.Errorf("Close returned %v, want the sockets' failure", err)
	}
	if err := inviter.Err(); err != nil {
		t.Errorf("the call ended with %v on the side that hung up, want nil", err)
	}
	select {
	case <-joiner.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the joiner did not see the hang-up")
	}
	if err := joiner.Err(); !errors.Is(err, ErrPeerHungUp) {
		t.Errorf("the joiner's call ended with %v, want %v", err, ErrPeerHungUp)
	}
	if err := joiner.Close(); err != nil {
		t.Errorf("closing the joiner's ended call: %v", err)
	}
}

func TestAddAndRemoveTrackMidCall(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.callPair(ca, cb)
	eventually(t, 15*time.Second, "first video at the inviter", func() bool {
		n, f := liveVideoFrames(inviter)
		return n == 1 && f > 0
	})
	// The joiner (the polite side) adds a second picture, then takes it away.
	extra, err := joiner.addVideo(patternSource(t))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "second video at the inviter", func() bool {
		n, _ := liveVideoFrames(inviter)
		if n != 2 {
			return false
		}
		tracks := inviter.RemoteTracks()
		return tracks[len(tracks)-1].Video.FramesDecoded > 5
	})
	if err := joiner.removeTrack(extra); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "second video gone at the inviter", func() bool {
		n, _ := liveVideoFrames(inviter)
		return n == 1
	})
	// The call goes on.
	_, before := liveVideoFrames(inviter)
	eventually(t, 10*time.Second, "video keeps flowing", func() bool {
		_, f := liveVideoFrames(inviter)
		return f > before+5
	})
}

func TestCollisionResolves(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(90 * time.Second).Stop()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.callPair(ca, cb)
	for _, s := range []*Session{inviter, joiner} {
		eventually(t, 15*time.Second, "first round done", func() bool {
			n, f := liveVideoFrames(s)
			return n == 1 && f > 0
		})
	}
	// Both sides add a track at the same moment, several times over: the
	// offers cross on the wire and perfect negotiation settles each clash.
	for round := 1; round <= 3; round++ {
		start := make(chan struct{})
		errs := make(chan error, 2)
		for _, s := range []*Session{inviter, joiner} {
			go func() {
				<-start
				_, err := s.addVideo(patternSource(t))
				errs <- err
			}()
		}
		close(start)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for name, s := range map[string]*Session{"inviter": inviter, "joiner": joiner} {
			eventually(t, 20*time.Second, fmt.Sprintf("round %d: %s receives every picture", round, name), func() bool {
				n, _ := liveVideoFrames(s)
				if n != 1+round {
					return false
				}
				for _, r := range s.RemoteTracks() {
					if r.Kind == "video" && r.Video.FramesDecoded == 0 {
						return false
					}
				}
				return true
			})
		}
	}
	pc, _ := inviter.current()
	if st := pc.SignalingState(); st != webrtc.SignalingStateStable {
		t.Errorf("inviter signalling state %v, want stable", st)
	}
}

func TestBadPastesKeepTheCallUsable(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.newSession(ca), h.newSession(cb)
	reply := joinPair(t, inviter, joiner)

	// A reply made for another invite, one the code alone tells apart:
	// a reply carries one byte of its invite's session id, and one to an
	// invite with the same byte (1 in 256) is refused only as it connects.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var otherInvite string
	for range 20 {
		other := h.newSession(Config{Net: ca.Net})
		text, err := other.Invite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := invite.Decode(text); err == nil && c.ReplyTag() != inviter.own.ReplyTag() {
			otherInvite = text
			break
		}
	}
	if otherInvite == "" {
		t.Fatal("20 invites in a row with the inviter's reply tag")
	}
	stranger := h.newSession(Config{Net: cb.Net})
	strangerReply, err := stranger.Join(ctx, otherInvite)
	if err != nil {
		t.Fatal(err)
	}
	ownInvite := inviter.own.String()
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"reply to another invite", strangerReply, invite.ErrOtherInvite},
		{"own invite pasted back", ownInvite, invite.ErrOwnCode},
		{"damaged", reply[:20] + flip(reply[20]) + reply[21:], invite.ErrDamaged},
		{"cut short", reply[:len(reply)-15], invite.ErrTruncated},
		{"empty", "  \n", invite.ErrEmpty},
	} {
		if err := inviter.AcceptReply(tc.text); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if inviter.State() != StateWaiting {
			t.Fatalf("%s: state %v, want waiting", tc.name, inviter.State())
		}
	}
	if _, err := joiner.Join(ctx, reply); !errors.Is(err, ErrWrongStep) && err == nil {
		t.Errorf("joining twice should fail")
	}
	// The right reply still works after all that.
	if err := inviter.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, inviter, joiner)
}

func flip(c byte) string {
	if c == 'z' {
		return "y"
	}
	return "z"
}

func TestGatheringIsBoundedWhenSTUNIsUnreachable(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	na, _ := h.vnetPair()
	s := h.newSession(Config{
		Net: na,
		// Nothing answers there.
		ICEServers: []webrtc.ICEServer{{URLs: []string{"stun:198.51.100.99:3478"}}},
	})
	start := time.Now()
	text, err := s.Invite(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took > DefaultGatherTimeout+time.Second {
		t.Errorf("invite took %v with an unreachable STUN server; the bound is %v", took, DefaultGatherTimeout)
	}
	code, err := invite.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(code.Candidates) == 0 {
		t.Error("the invite carries no host candidate")
	}
}

// testLogger logs to stderr when PEERCALL_TEST_LOG is set, else nowhere.
func testLogger(side string) *slog.Logger {
	if os.Getenv("PEERCALL_TEST_LOG") == "" {
		return nil
	}
	return slog.Default().With("side", side)
}

func TestPeerMediaStateAndSafetyCode(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.callPair(ca, cb)
	if a, b := inviter.SafetyCode(), joiner.SafetyCode(); a == "" || a != b {
		t.Errorf("safety codes %q and %q: want the same on both sides", a, b)
	}
	inviter.SetLocalMedia(false, true)
	eventually(t, 10*time.Second, "joiner sees the inviter muted", func() bool {
		m := joiner.PeerMedia()
		return m.Known && m.AudioMuted && !m.CameraOff
	})
	inviter.SetLocalMedia(true, false)
	eventually(t, 10*time.Second, "joiner sees the inviter's camera off", func() bool {
		m := joiner.PeerMedia()
		return !m.AudioMuted && m.CameraOff
	})
}

// With 5 % of packets lost on the way, loss concealment and FEC keep the
// played audio continuous.
func TestAudioStaysContinuousUnderLoss(t *testing.T) {
	h, done := newHarness(t)
	defer done()
	defer test.TimeOut(60 * time.Second).Stop()
	na, nb := h.vnetPair()
	var lossy atomic.Bool
	var n atomic.Uint64
	h.routers[0].AddChunkFilter(func(c vnet.Chunk) bool {
		// Every twentieth datagram, once the call is up.
		return !lossy.Load() || n.Add(1)%20 != 0
	})
	speaker := media.NewSpeaker()
	wav := filepath.Join(t.TempDir(), "heard.wav")
	out, err := media.NewFileOutput(wav, speaker)
	if err != nil {
		t.Fatal(err)
	}
	inviter, joiner := h.callPair(
		Config{Net: na, Audio: media.NewToneInput(), Logger: testLogger("inviter")},
		Config{Net: nb, Speaker: speaker, Logger: testLogger("joiner")})
	eventually(t, 10*time.Second, "audio arrives", func() bool { return joiner.Stats().AudioPacketsReceived > 10 })
	lossy.Store(true)
	time.Sleep(8 * time.Second)
	st := joiner.Stats()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	_ = inviter
	pcm, err := media.ReadWAV(wav)
	if err != nil {
		t.Fatal(err)
	}
	gap := tone.LongestQuiet(pcm[len(pcm)-7*48000:], 48000, 200)
	if gap > 60*time.Millisecond {
		t.Errorf("a gap of %v under 5 %% loss", gap)
	}
	if st.AudioPacketsLost == 0 && st.AudioConcealedMs == 0 {
		t.Errorf("no loss was seen: %+v", st)
	}
	t.Logf("lost %d audio packets, concealed %.0f ms, longest quiet run %v", st.AudioPacketsLost, st.AudioConcealedMs, gap)
}

// A reply carried back at human speed still connects: the inviter pastes
// it five minutes after the joiner made it. It waits beside the others
// (parallel); their leak checks count only goroutines started since they
// began, so its sessions are never taken for their leaks.
func TestReplyPastedFiveMinutesLaterConnects(t *testing.T) {
	if testing.Short() {
		t.Skip("takes five minutes")
	}
	t.Parallel()
	// Runs beside other tests, so no goroutine count: the others check that.
	h := &harness{t: t}
	defer h.close()
	ca, cb := h.vnetConfigs()
	inviter, joiner := h.newSession(ca), h.newSession(cb)
	reply := joinPair(t, inviter, joiner)
	select {
	case <-joiner.Done():
		t.Fatalf("the joiner gave up while waiting: %v", joiner.Err())
	case <-time.After(5 * time.Minute):
	}
	pasted := time.Now()
	if err := inviter.AcceptReply(reply); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, inviter, joiner)
	t.Logf("connected %v after the late paste", time.Since(pasted))
	eventually(t, 15*time.Second, "video after the late paste", func() bool {
		return inviter.Stats().FramesDecoded > 0 && joiner.Stats().FramesDecoded > 0
	})
}
