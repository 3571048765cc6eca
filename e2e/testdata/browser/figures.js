// One end's figures from its getStats, for the CPU benchmarks in
// chromium_bench_test.go: injected before loopback.js and peer.js, which
// call window.callFigures(pc). The figures are cumulative: the test takes
// the difference between two readings.
(() => {
  "use strict";

  window.callFigures = async function figures(pc) {
    const stats = await pc.getStats();
    const codecs = {};
    stats.forEach((s) => { if (s.type === "codec") codecs[s.id] = s.mimeType; });
    const f = { timestamp: 0, transportBytesSent: 0 };
    stats.forEach((s) => {
      if (s.type === "transport") {
        f.transportBytesSent += s.bytesSent || 0;
        f.timestamp = s.timestamp;
      } else if (s.type === "outbound-rtp" && s.kind === "video") {
        f.videoBytesSent = s.bytesSent;
        f.framesEncoded = s.framesEncoded;
        f.sendWidth = s.frameWidth;
        f.sendHeight = s.frameHeight;
        f.sendFPS = s.framesPerSecond;
        f.targetBitrate = s.targetBitrate;
        f.totalEncodeTime = s.totalEncodeTime;
        f.encoder = s.encoderImplementation;
        f.qualityLimitation = s.qualityLimitationReason;
        f.sendCodec = codecs[s.codecId];
      } else if (s.type === "inbound-rtp" && s.kind === "video") {
        f.framesDecoded = s.framesDecoded;
        f.recvWidth = s.frameWidth;
        f.recvHeight = s.frameHeight;
        f.totalDecodeTime = s.totalDecodeTime;
      }
    });
    return f;
  };
})();
