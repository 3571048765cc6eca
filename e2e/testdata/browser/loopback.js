// Chromium in a call with itself, for BenchmarkChromiumCall640x480 in
// chromium_bench_test.go: one page holds both ends of a two-way call, each
// end a peer connection sending its own camera (Chromium's fake one) and
// microphone, VP8 for the video — the work each Peercall process does in
// `peercall bench`, done by the browser, so that Peercall's CPU can be set
// against it on the same machine in the same run.
//
// The remote pictures are decoded (Chromium decodes every received frame,
// shown or not) but not drawn: Peercall's headless peers draw nothing
// either. Entry points return promises of JSON strings, for
// Runtime.evaluate with awaitPromise.
(() => {
  "use strict";

  const ends = [];

  // vp8First keeps VP8 and the helpers Chromium sends with it (resends,
  // RED and FEC) and leaves the other video codecs out of the offer.
  function vp8First(transceiver) {
    const caps = RTCRtpReceiver.getCapabilities("video").codecs;
    const keep = (mime) => ["video/rtx", "video/red", "video/ulpfec", "video/flexfec-03"].includes(mime);
    transceiver.setCodecPreferences([
      ...caps.filter((c) => c.mimeType === "video/VP8"),
      ...caps.filter((c) => keep(c.mimeType)),
    ]);
  }

  function camera(width, height, fps) {
    return navigator.mediaDevices.getUserMedia({
      video: { width: { exact: width }, height: { exact: height }, frameRate: { exact: fps } },
      audio: true,
    });
  }

  function connected(pc) {
    if (pc.connectionState === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      pc.addEventListener("connectionstatechange", () => {
        if (pc.connectionState === "connected") resolve();
        if (pc.connectionState === "failed") reject(new Error("the connection failed"));
      });
    });
  }

  window.loopback = {
    // start makes the call: the first end offers its camera and
    // microphone, the second answers with its own on the offered lines,
    // candidates are handed across in the page.
    async start(width, height, fps) {
      const a = new RTCPeerConnection(), b = new RTCPeerConnection();
      ends.push(a, b);
      a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate); };
      b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
      const [mediaA, mediaB] = await Promise.all([camera(width, height, fps), camera(width, height, fps)]);
      for (const track of mediaA.getTracks()) {
        const t = a.addTransceiver(track, { direction: "sendrecv" });
        if (track.kind === "video") vp8First(t);
      }
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription);
      // addTrack takes the offered transceiver of the track's kind.
      for (const track of mediaB.getTracks()) b.addTrack(track, mediaB);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription);
      await Promise.all([connected(a), connected(b)]);
      const settings = mediaA.getVideoTracks()[0].getSettings();
      return JSON.stringify({ camera: settings.width + "x" + settings.height + "@" + settings.frameRate });
    },

    // stop ends the call and releases the cameras.
    stop() {
      for (const pc of ends) {
        for (const s of pc.getSenders()) if (s.track) s.track.stop();
        pc.close();
      }
      ends.length = 0;
    },

    async figures() {
      return JSON.stringify(await Promise.all(ends.map(window.callFigures)));
    },
  };
})();
