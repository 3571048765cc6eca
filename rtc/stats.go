package rtc

import (
	"runtime"
	"time"

	"peercall/media"

	"github.com/pion/webrtc/v4"
)

// Stats is a snapshot of a call, as the headless mode writes it (one JSON
// object a line). Times in milliseconds; -1 where not known yet.
type Stats struct {
	Time                 string  `json:"time"`
	State                string  `json:"state"`
	ConnectedMs          float64 `json:"connected_ms"`   // from the last code applied to connected
	FirstFrameMs         float64 `json:"first_frame_ms"` // from the last code applied to the first decoded remote frame
	FramesDecoded        uint64  `json:"frames_decoded"`
	FramesDropped        uint64  `json:"frames_dropped"`
	KeyframesAsked       uint64  `json:"keyframes_asked"`
	FPS                  float64 `json:"fps"`
	Width                int     `json:"width"`
	Height               int     `json:"height"`
	LatencyP50Ms         float64 `json:"latency_ms_p50"`
	LatencyP95Ms         float64 `json:"latency_ms_p95"`
	LongestFreezeMs      float64 `json:"longest_freeze_ms"` // longest time between two decoded frames
	AudioPacketsReceived uint64  `json:"audio_packets_received"`
	AudioPacketsSent     uint64  `json:"audio_packets_sent"`
	AudioPacketsLost     uint64  `json:"audio_packets_lost"`
	AudioLevelDBFS       float64 `json:"audio_level"`        // dBFS of what is played
	AudioLatencyMs       float64 `json:"audio_latency_ms"`   // mouth to ear, from the tone's markers; 0 unknown
	AudioConcealedMs     float64 `json:"audio_concealed_ms"` // audio made up for lost packets
	AudioBufferMs        float64 `json:"audio_buffer_ms"`    // audio waiting in the jitter buffer
	FramesSent           uint64  `json:"frames_sent"`
	KeyframesSent        uint64  `json:"keyframes_sent"`
	EncodeMsAvg          float64 `json:"encode_ms_avg"`
	TargetKbps           float64 `json:"target_kbps"`
	SendWidth            int     `json:"send_width"` // picture size being sent: smaller when bandwidth is short
	SendHeight           int     `json:"send_height"`
	SendFPS              float64 `json:"send_fps"`
	PacketsReceived      uint64  `json:"packets_received"` // video RTP packets
	PacketsLost          int64   `json:"packets_lost"`     // video RTP packets never received
	BytesSent            uint64  `json:"bytes_sent"`
	BytesReceived        uint64  `json:"bytes_received"`
	RTTMs                float64 `json:"rtt_ms"`
	Codec                string  `json:"codec"`
	Source               string  `json:"source"`
	LocalCandidate       string  `json:"local_candidate"`
	RemoteCandidate      string  `json:"remote_candidate"`
	End                  string  `json:"end,omitempty"`
	Goroutines           int     `json:"goroutines"`    // in the whole process, to spot leaks in long calls
	PathSwitches         uint64  `json:"path_switches"` // moves to another network path mid-call
}

func msSince(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() {
		return -1
	}
	return float64(to.Sub(from).Microseconds()) / 1000
}

// Stats gathers a snapshot. FPS is left zero: it needs two snapshots
// (see Stats.RateSince).
func (s *Session) Stats() Stats {
	s.mu.Lock()
	st := Stats{
		Time:        time.Now().UTC().Format(time.RFC3339Nano),
		State:       s.state.String(),
		ConnectedMs: msSince(s.codeAppliedAt, s.connectedAt),
		Goroutines:  runtime.NumGoroutine(),
		Codec:       "",
	}
	applied := s.codeAppliedAt
	s.mu.Unlock()

	vr := s.media.remoteVideo()
	var vs *media.VideoSender
	var as *media.AudioSender
	s.media.mu.Lock()
	for _, t := range s.media.local {
		if vs == nil && t.video != nil {
			vs = t.video
		}
		if as == nil && t.audio != nil {
			as = t.audio
		}
	}
	s.media.mu.Unlock()

	st.FirstFrameMs = -1
	if vr != nil {
		v := vr.Stats()
		st.FirstFrameMs = msSince(applied, v.FirstFrameAt)
		st.FramesDecoded, st.FramesDropped, st.KeyframesAsked = v.FramesDecoded, v.FramesDropped, v.KeyframesAsked
		st.Width, st.Height = v.Width, v.Height
		st.LatencyP50Ms = float64(v.LatencyP50.Microseconds()) / 1000
		st.LatencyP95Ms = float64(v.LatencyP95.Microseconds()) / 1000
		st.LongestFreezeMs = float64(v.LongestFreeze.Microseconds()) / 1000
		st.Codec = "VP8"
	}
	a := s.speaker.Stats()
	st.AudioPacketsReceived, st.AudioPacketsLost = a.PacketsReceived, a.PacketsLost
	st.AudioLevelDBFS = a.LevelDBFS
	st.AudioConcealedMs = a.ConcealedMs
	st.AudioBufferMs = float64(a.BufferDelay.Microseconds()) / 1000
	st.AudioLatencyMs = float64(a.MouthToEar.Microseconds()) / 1000
	if vs != nil {
		v := vs.Stats()
		st.FramesSent, st.KeyframesSent = v.FramesSent, v.Keyframes
		if v.FramesSent > 0 {
			st.EncodeMsAvg = float64(v.EncodeTotal.Microseconds()) / 1000 / float64(v.FramesSent)
		}
		st.TargetKbps = float64(v.TargetBps) / 1000
		st.SendWidth, st.SendHeight, st.SendFPS = v.Width, v.Height, v.FPS
		st.Source = v.SourceName
	}
	if as != nil {
		st.AudioPacketsSent = as.PacketsSent()
	}
	st.PathSwitches = s.PathSwitches()
	if f := s.transport(); f != nil {
		f.fill(&st)
	}
	return st
}

// transport returns the connection's figures: read now while it is open,
// else as last read (nil if never).
func (s *Session) transport() *transportFigures {
	s.statsMu.RLock()
	defer s.statsMu.RUnlock()
	s.mu.Lock()
	pc, closing, last := s.pc, s.pcClosing, s.lastTransport
	s.mu.Unlock()
	if pc == nil || closing {
		return last
	}
	f := readTransport(pc)
	s.mu.Lock()
	s.lastTransport = f
	s.mu.Unlock()
	return f
}

// RateSince fills FPS from an earlier snapshot taken at prevAt.
func (st *Stats) RateSince(prev Stats, prevAt, now time.Time) {
	if d := now.Sub(prevAt).Seconds(); d > 0 && st.FramesDecoded >= prev.FramesDecoded {
		st.FPS = float64(st.FramesDecoded-prev.FramesDecoded) / d
	}
}

// transportFigures are the statistics only the peer connection knows.
type transportFigures struct {
	packetsReceived       uint64
	packetsLost           int64
	bytesSent, bytesRecvd uint64
	rttMs                 float64
	localCand, remoteCand string
}

func (f *transportFigures) fill(st *Stats) {
	st.PacketsReceived, st.PacketsLost = f.packetsReceived, f.packetsLost
	st.BytesSent, st.BytesReceived = f.bytesSent, f.bytesRecvd
	st.RTTMs = f.rttMs
	st.LocalCandidate, st.RemoteCandidate = f.localCand, f.remoteCand
}

// readTransport asks pc for its figures. Never while pc is being closed:
// pion's Close clears what GetStats reads without a lock (see statsMu).
func readTransport(pc *webrtc.PeerConnection) *transportFigures {
	var f transportFigures
	report := pc.GetStats()
	var pairID string
	for _, v := range report {
		if in, ok := v.(webrtc.InboundRTPStreamStats); ok && in.Kind == "video" {
			f.packetsReceived += uint64(in.PacketsReceived)
			f.packetsLost += int64(in.PacketsLost)
		}
		if t, ok := v.(webrtc.TransportStats); ok {
			f.bytesSent += t.BytesSent
			f.bytesRecvd += t.BytesReceived
			if t.SelectedCandidatePairID != "" {
				pairID = t.SelectedCandidatePairID
			}
		}
	}
	for _, v := range report {
		p, ok := v.(webrtc.ICECandidatePairStats)
		if !ok || (pairID != "" && p.ID != pairID) || (pairID == "" && !p.Nominated) {
			continue
		}
		f.rttMs = p.CurrentRoundTripTime * 1000
		if c, ok := report[p.LocalCandidateID].(webrtc.ICECandidateStats); ok {
			f.localCand = c.CandidateType.String()
		}
		if c, ok := report[p.RemoteCandidateID].(webrtc.ICECandidateStats); ok {
			f.remoteCand = c.CandidateType.String()
		}
		break
	}
	return &f
}

// Decoded tells how many remote frames have been decoded so far and when
// the first one was (zero before).
func (s *Session) Decoded() (frames uint64, first time.Time) {
	vr := s.media.remoteVideo()
	if vr == nil {
		return 0, time.Time{}
	}
	v := vr.Stats()
	return v.FramesDecoded, v.FirstFrameAt
}
