package rtc

import (
	"fmt"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"peercall/rtc/bwe"
	"peercall/rtc/twccnorm"
)

// Payload types Peercall offers. They match a browser's usual numbers so a
// browser peer's offers and Peercall's line up.
const (
	vp8PayloadType  = 96
	opusPayloadType = 111
)

const audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
const absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

// estimatorInitialBps is congestion control's first guess, before any
// feedback: enough for a clean 640×480 picture on any link worth calling on.
const estimatorInitialBps = 800_000

// estimatorMinBps is the estimate's floor.
const estimatorMinBps = 60_000

// estimatorMaxBps is its ceiling, above what any picture size is given.
const estimatorMaxBps = 6_000_000

// nackInterval is how often missing video packets are NACKed. At 5 %
// random loss with an 80 ms round trip, 10 ms rather than 20 took the
// longest freeze of minute-long calls (three seeds, both sides) from
// 177–219 ms to 167–194 ms, for some 20 more small RTCP packets a second.
const nackInterval = 10 * time.Millisecond

// newAPI builds the WebRTC stack for one session: VP8 and Opus only, NACK,
// PLI, RTCP reports, transport-wide congestion control feedback both ways,
// and the bandwidth estimator (package bwe), which is handed to
// onEstimator.
func newAPI(se webrtc.SettingEngine, onEstimator func(cc.BandwidthEstimator)) (*webrtc.API, error) {
	// In-band descriptions then advertise the same a=max-message-size as
	// the codes, and the library closes a channel that receives a larger
	// message instead of growing its read buffer to fit it.
	se.SetSCTPMaxMessageSize(maxDataChannelMessage)
	m := &webrtc.MediaEngine{}
	videoFeedback := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBTransportCC},
		{Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"},
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		},
		PayloadType: vp8PayloadType,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1;usedtx=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: opusPayloadType,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	// Header extension ids follow a browser's numbering (audio level 1,
	// abs-send-time 2, transport-cc 3, mid 4) so no id ever means two
	// things on a connection shared with one.
	exts := []struct {
		uri   string
		kinds []webrtc.RTPCodecType
	}{
		{audioLevelURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio}},
		{absSendTimeURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}},
		{sdp.TransportCCURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio}},
		{sdp.SDESMidURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio}},
	}
	for _, e := range exts {
		for _, k := range e.kinds {
			if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, k); err != nil {
				return nil, fmt.Errorf("rtc: header extension %s: %w", e.uri, err)
			}
		}
	}

	// The interceptors log through the session's logger too: each takes
	// its own factory, and pion's default writes errors seen while a
	// connection closes ("read/write on closed pipe") to the terminal.
	logs := se.LoggerFactory
	if logs == nil {
		logs = logging.NewDefaultLoggerFactory()
	}
	reg := &interceptor.Registry{}
	// A missing packet is NACKed every nackInterval until it arrives: the
	// wait for the first NACK adds to every freeze a lost packet causes
	// (pion's responder resends a packet at most once a round trip,
	// whatever the NACKs).
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(nackInterval), nack.WithGeneratorLoggerFactory(logs))
	if err != nil {
		return nil, err
	}
	resp, err := nack.NewResponderInterceptor(nack.WithResponderLoggerFactory(logs))
	if err != nil {
		return nil, err
	}
	reg.Add(gen)
	if err := webrtc.ConfigureRTCPReportsWithOptions(reg, []report.ReceiverOption{report.WithReceiverLoggerFactory(logs)},
		report.WithSenderLoggerFactory(logs)); err != nil {
		return nil, err
	}
	// Without it GetStats has no inbound or outbound RTP figures, and the
	// statistics always showed 0 video packets received and lost.
	if err := webrtc.ConfigureStatsInterceptorWithOptions(reg, stats.WithLoggerFactory(logs)); err != nil {
		return nil, err
	}
	// The feedback normaliser (package twccnorm) must rewrite transport-cc
	// feedback before the estimator reads it. pion's chain binds RTCP
	// readers in the order interceptors were added, each wrapping the
	// reader before it (interceptor's chain.go), and each reads from the
	// one it wraps before acting on the packet: so interceptors added
	// earlier see incoming RTCP first, and the normaliser goes just before
	// the estimator.
	reg.Add(twccnorm.NewInterceptor())
	// The estimator wraps the writers of the interceptors added after it,
	// so it comes first: it must see the transport-cc sequence numbers the
	// header-extension interceptor writes.
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) { return newBandwidthEstimator(logs), nil })
	if err != nil {
		return nil, err
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { onEstimator(e) })
	reg.Add(ccf)
	twccExt, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		return nil, err
	}
	reg.Add(twccExt)
	// The NACK responder comes after the estimator, for two reasons. It
	// reads NACKs after the estimator has read the same RTCP, which hands
	// it the target bitrate: pion's responder then keeps resends within
	// that rate. Before, it had none and resent each missing packet every
	// round trip for as long as NACKs came (every nackInterval), so a
	// burst larger than a narrow link's queue (a shared screen's page of
	// text: hundreds of packets) set off a storm: behind a 1.5 Mbit/s cap
	// with a second of queue, some 35 000 packets a second met the queue,
	// and the camera froze for good. And its resends go out through the
	// estimator and the header-extension interceptor: each with a
	// transport-wide sequence number of its own, counted as sent.
	reg.Add(resp)
	twccFeedback, err := twcc.NewSenderInterceptor(twcc.SendInterval(50*time.Millisecond), twcc.WithLoggerFactory(logs))
	if err != nil {
		return nil, err
	}
	reg.Add(twccFeedback)

	return webrtc.NewAPI(
		webrtc.WithMediaEngine(m),
		webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se),
	), nil
}

// newBandwidthEstimator is Peercall's congestion control (package bwe):
// a delay-based estimate bounded by a loss-based one, as GCC's, that
// holds its rate on links that lose and reorder packets at random without
// being narrow. There is no pacer: frames leave as soon as they are
// encoded, and the encoder's own rate control keeps them near the target.
func newBandwidthEstimator(logs logging.LoggerFactory) cc.BandwidthEstimator {
	return bwe.New(bwe.Config{
		InitialBps:    estimatorInitialBps,
		MinBps:        estimatorMinBps,
		MaxBps:        estimatorMaxBps,
		LoggerFactory: logs,
	})
}
