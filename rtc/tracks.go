package rtc

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"peercall/media"
)

// audioShareBps is what the audio track takes from the bandwidth estimate
// before the rest goes to video.
const audioShareBps = 40_000

// videoHeadroomPct is the part of the estimate the encoders are given at
// all: the estimate counts whole packets, the encoder's target only its
// payload, and a real-time encoder overshoots on busy pictures. Without
// this margin a capped link's queue creeps up and never drains (measured
// behind a 500 kbit/s cap: 446 ms of queueing, against under 130 ms p95
// glass to glass with it).
const videoHeadroomPct = 85

// joinerAttachDelay is how long the joiner waits for the inviter's first
// media offer before offering its own tracks itself.
const joinerAttachDelay = time.Second

// localTrack is a track this side sends. Remove it with
// Session.removeTrack.
type localTrack struct {
	Kind   string // "video" or "audio"
	track  webrtc.TrackLocal
	neg    *negotiator // of the connection it is sent on
	sender *webrtc.RTPSender
	stop   context.CancelFunc
	done   chan struct{}
	video  *media.VideoSender
	audio  *media.AudioSender
	source media.VideoSource
	input  media.AudioInput
}

// RemoteTrack describes a track the other side sends.
type RemoteTrack struct {
	Kind  string
	ID    string
	Ended bool
	Video media.VideoStats
	Audio media.AudioStats
}

type remoteTrack struct {
	kind, id string
	ended    atomic.Bool
	video    *media.VideoReceiver
	audio    *media.AudioReceiver
}

// mediaState holds the media paths of a call. Its methods are safe from any
// goroutine.
type mediaState struct {
	mu       sync.Mutex
	attached bool
	closed   bool
	local    []*localTrack
	remote   []*remoteTrack
}

func (m *mediaState) videoSenders() []*media.VideoSender {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*media.VideoSender
	for _, t := range m.local {
		if t.video != nil {
			out = append(out, t.video)
		}
	}
	return out
}

func (m *mediaState) requestKeyframe() {
	for _, v := range m.videoSenders() {
		v.RequestKeyframe()
	}
}

func (m *mediaState) setTargetBitrate(bps int) {
	senders := m.videoSenders()
	if len(senders) == 0 {
		return
	}
	video := max(bps*videoHeadroomPct/100-audioShareBps, 0)
	weights := 0
	for _, v := range senders {
		weights += sendWeight(v)
	}
	for _, v := range senders {
		v.SetTargetBitrate(video * sendWeight(v) / weights)
	}
}

// closeSources stops every send loop's source; from then on no track is
// added.
func (m *mediaState) closeSources() {
	m.mu.Lock()
	m.closed = true
	local := m.local
	m.mu.Unlock()
	for _, t := range local {
		t.stop()
		if t.source != nil {
			t.source.Close()
		}
		if t.input != nil {
			t.input.Close()
		}
	}
}

// liveOrLast returns what pick finds on the first remote track still
// running, else on the last that had it: the receiver the statistics follow.
func liveOrLast[T comparable](m *mediaState, pick func(*remoteTrack) T) T {
	m.mu.Lock()
	defer m.mu.Unlock()
	var zero, last T
	for _, r := range m.remote {
		v := pick(r)
		if v == zero {
			continue
		}
		if !r.ended.Load() {
			return v
		}
		last = v
	}
	return last
}

func (m *mediaState) remoteVideo() *media.VideoReceiver {
	return liveOrLast(m, func(r *remoteTrack) *media.VideoReceiver { return r.video })
}

// RemoteTracks lists the tracks the other side has sent, oldest first.
func (s *Session) RemoteTracks() []RemoteTrack {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	out := make([]RemoteTrack, 0, len(s.media.remote))
	for _, r := range s.media.remote {
		t := RemoteTrack{Kind: r.kind, ID: r.id, Ended: r.ended.Load()}
		if r.video != nil {
			t.Video = r.video.Stats()
		}
		if r.audio != nil && !r.ended.Load() {
			t.Audio = s.speaker.Stats()
		}
		out = append(out, t)
	}
	return out
}

// goAttachTracks asks neg's loop to add the configured tracks.
func (s *Session) goAttachTracks(neg *negotiator, delay time.Duration) {
	s.goRun(func() {
		if delay > 0 {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(delay):
			}
		}
		_ = neg.do(s.ctx, func() { s.attachTracks(neg) })
	})
}

// attachTracks adds the configured video and audio tracks, once. It runs
// on neg's loop: on the joiner inside the answer to the first offer, so
// the tracks take the offered transceivers.
func (s *Session) attachTracks(neg *negotiator) {
	select {
	case <-neg.retired:
		return // its connection was replaced: the new one attaches them
	default:
	}
	s.media.mu.Lock()
	if s.media.closed {
		s.media.mu.Unlock()
		return
	}
	if s.media.attached {
		// A resumed call's new connection: the tracks being sent go on
		// over it.
		var local []*localTrack
		for _, t := range s.media.local {
			if t.neg != neg {
				local = append(local, t)
			}
		}
		s.media.mu.Unlock()
		for _, t := range local {
			sender, err := neg.addTrack(t.track)
			if err != nil {
				s.log.Warn("track not sent on the new connection", "kind", t.Kind, "err", err)
				continue
			}
			s.media.mu.Lock()
			t.sender, t.neg = sender, neg
			s.media.mu.Unlock()
			s.goRun(func() { s.readSenderRTCP(sender, t.video) })
		}
		return
	}
	s.media.attached = true
	s.media.mu.Unlock()
	if s.cfg.Video != nil {
		t, err := s.newVideoTrack(neg, s.cfg.Video)
		if err != nil {
			s.log.Warn("video track not added", "err", err)
		} else if s.cfg.SelfView != nil {
			t.video.SetPreview(s.cfg.SelfView)
		}
	}
	if s.cfg.Audio != nil {
		if _, err := s.newAudioTrack(neg, s.cfg.Audio); err != nil {
			s.log.Warn("audio track not added", "err", err)
		}
	}
}

// negotiate runs f on the loop of the session's negotiator and waits for
// it. Work given before the call connects waits for the connection; when
// a refused reply has the connection replaced meanwhile, it goes to the
// new one.
func (s *Session) negotiate(f func(neg *negotiator)) error {
	for {
		_, neg := s.current()
		if neg == nil {
			return ErrWrongStep
		}
		err := neg.do(s.ctx, func() { f(neg) })
		if !errors.Is(err, errReplaced) {
			return err
		}
	}
}

// addVideo sends another video track during the call (a second camera, a
// screen); the session renegotiates in band and takes ownership of src.
// Called before the call connects, it waits until it does.
func (s *Session) addVideo(src media.VideoSource) (*localTrack, error) {
	var t *localTrack
	var err error
	if derr := s.negotiate(func(neg *negotiator) { t, err = s.newVideoTrack(neg, src) }); derr != nil {
		src.Close()
		return nil, derr
	}
	return t, err
}

// removeTrack stops sending a track; the session renegotiates in band.
func (s *Session) removeTrack(t *localTrack) error {
	var err error
	if derr := s.negotiate(func(neg *negotiator) { err = neg.pc.RemoveTrack(t.sender) }); derr != nil {
		return derr
	}
	t.stop()
	t.closeInputs()
	<-t.done
	s.media.mu.Lock()
	for i, l := range s.media.local {
		if l == t {
			s.media.local = append(s.media.local[:i], s.media.local[i+1:]...)
			break
		}
	}
	s.media.mu.Unlock()
	return err
}

// newVideoTrack runs on neg's loop.
func (s *Session) newVideoTrack(neg *negotiator, src media.VideoSource) (*localTrack, error) {
	return s.newVideoTrackAs(neg, src, "video", "peercall", s.cfg.FPS)
}

// newVideoTrackAs sends src, whose pictures come fps a second, as a
// track with the given track and stream ids (the msid a receiver tells a
// screen from a camera by). It runs on neg's loop.
func (s *Session) newVideoTrackAs(neg *negotiator, src media.VideoSource, id, streamID string, fps int) (*localTrack, error) {
	track, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, id, streamID)
	if err != nil {
		src.Close()
		return nil, err
	}
	vs := media.NewVideoSender(src, fps, sampleWriter(track))
	t := &localTrack{Kind: "video", video: vs, source: src}
	return t, s.startLocal(neg, t, track, func(ctx context.Context) error { return vs.Run(ctx) })
}

// newAudioTrack runs on neg's loop.
func (s *Session) newAudioTrack(neg *negotiator, in media.AudioInput) (*localTrack, error) {
	track, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "peercall")
	if err != nil {
		in.Close()
		return nil, err
	}
	as := media.NewAudioSender(in, sampleWriter(track))
	as.SetMuted(s.muted.Load())
	t := &localTrack{Kind: "audio", audio: as, input: in}
	return t, s.startLocal(neg, t, track, as.Run)
}

// startLocal adds the track to neg's connection and starts its send loop
// and its RTCP reader. It runs on neg's loop.
func (s *Session) startLocal(neg *negotiator, t *localTrack, track webrtc.TrackLocal, run func(context.Context) error) error {
	s.media.mu.Lock()
	if s.media.closed {
		s.media.mu.Unlock()
		t.closeInputs()
		return errEnded
	}
	s.media.mu.Unlock()
	sender, err := neg.addTrack(track)
	if err != nil {
		t.closeInputs()
		return err
	}
	ctx, stop := context.WithCancel(s.ctx)
	t.track, t.neg, t.sender, t.stop, t.done = track, neg, sender, stop, make(chan struct{})
	s.media.mu.Lock()
	s.media.local = append(s.media.local, t)
	s.media.mu.Unlock()
	s.goRun(func() { s.readSenderRTCP(sender, t.video) })
	s.goRun(func() {
		defer close(t.done)
		if err := run(ctx); err != nil {
			s.log.Warn("send loop stopped", "kind", t.Kind, "err", err)
		}
	})
	return nil
}

func (t *localTrack) closeInputs() {
	if t.source != nil {
		t.source.Close()
	}
	if t.input != nil {
		t.input.Close()
	}
}

func sampleWriter(track *webrtc.TrackLocalStaticSample) media.SampleWriter {
	return func(frame []byte, d time.Duration) error {
		return track.WriteSample(pionmedia.Sample{Data: frame, Duration: d})
	}
}

func (s *Session) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// readSenderRTCP drains a sender's RTCP (the interceptors act on it) and
// turns keyframe requests into keyframes.
func (s *Session) readSenderRTCP(sender *webrtc.RTPSender, vs *media.VideoSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		if vs == nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				vs.RequestKeyframe()
			}
		}
	}
}

// onTrack runs in pion's callback for a track arriving on pc: it only
// starts the reader.
func (s *Session) onTrack(pc *webrtc.PeerConnection, track *webrtc.TrackRemote) {
	s.log.Info("remote track", "kind", track.Kind().String(), "codec", track.Codec().MimeType)
	s.goRun(func() { s.readTrack(pc, track) })
}

// readTrack feeds one remote track of pc into its receive pipeline until
// the track ends; keyframe requests go back on pc.
func (s *Session) readTrack(pc *webrtc.PeerConnection, track *webrtc.TrackRemote) {
	r := &remoteTrack{kind: track.Kind().String(), id: track.ID()}
	var push func(*rtp.Packet)
	switch track.Kind() {
	case webrtc.RTPCodecTypeVideo:
		ssrc := uint32(track.SSRC())
		vr, err := media.NewVideoReceiver(s.videoSinkFor(track), func() {
			_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		})
		if err != nil {
			s.log.Warn("video receiver", "err", err)
			return
		}
		defer vr.Close()
		r.video, push = vr, vr.Push
	case webrtc.RTPCodecTypeAudio:
		ar, err := media.NewAudioReceiver()
		if err != nil {
			s.log.Warn("audio receiver", "err", err)
			return
		}
		defer ar.Close()
		s.speaker.Attach(ar)
		defer s.speaker.Detach(ar)
		r.audio, push = ar, ar.Push
	default:
		return
	}
	defer r.ended.Store(true)
	s.media.mu.Lock()
	s.media.remote = append(s.media.remote, r)
	s.media.mu.Unlock()
	defer s.remoteScreen(track)()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		push(&pkt)
	}
}
