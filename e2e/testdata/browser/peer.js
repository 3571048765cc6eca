// A browser page taking part in a Peercall call, driven by browser_test.go
// through the DevTools protocol. It follows docs/PROTOCOL.md: the
// pre-negotiated data channels (chat among them), the codes' descriptions exchanged by the
// test, then the W3C perfect-negotiation example on the `signal` channel.
//
// Every entry point returns a promise of a JSON string (or nothing), so the
// test can call it with Runtime.evaluate and awaitPromise.
(() => {
  "use strict";

  const started = performance.now();
  const events = [];
  const failures = []; // every step of the call that threw
  function note(...parts) {
    const at = ((performance.now() - started) / 1000).toFixed(3);
    events.push(at + " " + parts.join(" "));
  }
  function fail(what, err) {
    note(what, "failed:", err.message);
    failures.push(what + ": " + err.message);
  }

  function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(what + ": no result within " + ms + " ms")), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  let pc = null;
  let signal = null;
  let control = null;
  let chat = null;
  const chatMessages = []; // what arrived on `chat`, as it arrived
  let polite = false;
  let local = null; // the camera and microphone stream (fake devices)
  let tracksAdded = false;
  let bootstrapping = true;
  let makingOffer = false;
  let ignoreOffer = false;
  let isSettingRemoteAnswerPending = false;
  let offersReceived = 0;
  let answersReceived = 0;
  let offersSent = 0;
  let controlMessages = [];
  const remoteTracks = []; // kind, stream id and mid of each remote track, as ontrack gave them
  // PROTOCOL.md: every message is JSON sent as a text message. Binary
  // messages are read all the same, so the call goes on, but counted.
  let binaryMessages = 0;
  let renderedFrames = 0;
  let renderedWidth = 0;
  let renderedHeight = 0;
  const remote = new MediaStream();
  let video = null;
  // What getUserMedia asks for and whether the remote video is drawn;
  // configure() changes them before the call.
  let constraints = { video: { width: 320, height: 240 }, audio: true };
  let render = true;

  function text(data) {
    if (typeof data === "string") return data;
    binaryMessages++;
    return new TextDecoder().decode(data);
  }

  function send(message) {
    if (message.description && screenTracks.size) {
      message = { description: { type: message.description.type, sdp: nameScreens(message.description.sdp) } };
    }
    signal.send(JSON.stringify(message));
  }

  // A browser cannot name a stream: the media section of a track shared as
  // a screen gets the msid "screen screen" in the SDP sent, as
  // PROTOCOL.md asks; the description applied locally stays as it was.
  const screenTracks = new Set();
  function nameScreens(sdp) {
    const sections = sdp.split(/\r\n(?=m=)/);
    return sections.map((section) => {
      const msid = section.match(/^a=msid:\S+ (\S+)$/m);
      if (!msid || !screenTracks.has(msid[1])) return section;
      return section
        .replace(/^a=msid:\S+ \S+$/mg, "a=msid:screen screen")
        .replace(/^a=ssrc:(\d+) msid:\S+ \S+$/mg, "a=ssrc:$1 msid:screen screen");
    }).join("\r\n");
  }

  async function getMedia() {
    if (!local) {
      local = await withTimeout(
        navigator.mediaDevices.getUserMedia(constraints),
        5000, "getUserMedia");
      note("getUserMedia:", local.getTracks().map((t) => t.kind + " " + t.label).join(", "));
    }
    return local;
  }

  // addTracks adds the camera and microphone tracks once. addTrack reuses a
  // transceiver of the same kind the peer's offer created, if any.
  function addTracks() {
    if (tracksAdded) return;
    tracksAdded = true;
    for (const track of local.getTracks()) pc.addTrack(track, local);
    note("tracks added");
  }

  function watchVideo() {
    if (!render) return; // received frames are still decoded
    video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.appendChild(video);
    video.srcObject = remote;
    const count = (_, meta) => {
      renderedFrames++;
      renderedWidth = meta.width;
      renderedHeight = meta.height;
      video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
  }

  function makePeerConnection(isPolite) {
    polite = isPolite;
    pc = new RTCPeerConnection();
    signal = pc.createDataChannel("signal", { negotiated: true, id: 0 });
    control = pc.createDataChannel("control", { negotiated: true, id: 1 });
    chat = pc.createDataChannel("chat", { negotiated: true, id: 2 });
    signal.binaryType = control.binaryType = chat.binaryType = "arraybuffer";
    chat.onmessage = ({ data }) => chatMessages.push(text(data));
    watchVideo();

    pc.onconnectionstatechange = () => note("connectionState", pc.connectionState);
    pc.onsignalingstatechange = () => note("signalingState", pc.signalingState);
    pc.ontrack = ({ track, streams, transceiver }) => {
      note("remote track", track.kind);
      // A shared screen is told from a camera by its stream id (PROTOCOL.md).
      remoteTracks.push({ kind: track.kind, stream: streams.length ? streams[0].id : "", mid: transceiver.mid });
      remote.addTrack(track);
      if (video) video.play().catch((err) => fail("video.play", err));
    };

    // The W3C perfect-negotiation example, unchanged apart from the
    // bootstrap guard and logging: the codes carried the first round.
    pc.onnegotiationneeded = async () => {
      if (bootstrapping || signal.readyState !== "open") return;
      try {
        makingOffer = true;
        await pc.setLocalDescription();
        send({ description: pc.localDescription });
        offersSent++;
        note("offer sent");
      } catch (err) {
        fail("making an offer", err);
      } finally {
        makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (!bootstrapping && candidate && signal.readyState === "open") send({ candidate });
    };
    signal.onmessage = async ({ data }) => {
      try {
        const { description, candidate } = JSON.parse(text(data));
        if (description) {
          const readyForOffer = !makingOffer &&
            (pc.signalingState === "stable" || isSettingRemoteAnswerPending);
          const offerCollision = description.type === "offer" && !readyForOffer;
          ignoreOffer = !polite && offerCollision;
          if (ignoreOffer) {
            note("offer collision: ignoring the peer's offer");
            return;
          }
          isSettingRemoteAnswerPending = description.type === "answer";
          note("received", description.type);
          await pc.setRemoteDescription(description);
          isSettingRemoteAnswerPending = false;
          if (description.type === "offer") {
            offersReceived++;
            // Joiner: attach our tracks to the offered transceivers
            // before answering, so the first round never collides.
            if (polite) addTracks();
            await pc.setLocalDescription();
            send({ description: pc.localDescription });
            note("answer sent");
          } else {
            answersReceived++;
          }
        } else if (candidate) {
          try {
            await pc.addIceCandidate(candidate);
          } catch (err) {
            if (!ignoreOffer) throw err;
          }
        }
      } catch (err) {
        fail("signal message", err);
      }
    };
    signal.onopen = async () => {
      note("signal open");
      if (!polite) {
        // Inviter: add our tracks and offer first.
        try {
          await getMedia();
          addTracks();
        } catch (err) {
          fail("adding the inviter's tracks", err);
        }
      }
    };
    control.onopen = () => {
      note("control open");
      control.send(JSON.stringify({ type: "media", audio: true, video: true }));
    };
    control.onmessage = ({ data }) => {
      const message = text(data);
      controlMessages.push(message);
      note("control:", message);
    };
  }

  function gathered() {
    return withTimeout(new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") resolve();
      });
    }), 5000, "ICE gathering");
  }

  function bootstrapDone() {
    const wait = new Promise((resolve) => {
      if (signal.readyState === "open") return resolve();
      signal.addEventListener("open", () => resolve());
    });
    // Until the signal channel opens, negotiationneeded events belong to
    // the bootstrap, which the codes carry.
    wait.then(() => { bootstrapping = false; });
  }

  window.peercall = {
    // configure sets, before invite or join, the camera asked for (exact
    // width, height and frame rate) and whether the remote video is drawn.
    configure(width, height, fps, draw) {
      constraints = {
        video: { width: { exact: width }, height: { exact: height }, frameRate: { exact: fps } },
        audio: true,
      };
      render = draw;
    },

    // figures: the call's figures from getStats (figures.js).
    async figures() {
      return JSON.stringify(await window.callFigures(pc));
    },

    // invite: the browser invites. Returns the offer to turn into an invite code.
    async invite() {
      // The camera first, as a call page does: a page without media
      // permission hides its host addresses behind mDNS names.
      await getMedia();
      makePeerConnection(false);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered();
      bootstrapDone();
      note("offer ready");
      return JSON.stringify(pc.localDescription);
    },

    // accept applies the answer a reply code stood for.
    async accept(answerJSON) {
      await pc.setRemoteDescription(JSON.parse(answerJSON));
      note("reply applied");
    },

    // join: the browser joins the call an invite code stood for. Returns
    // the answer to turn into a reply code.
    // shareScreen sends a canvas of text, redrawn 15 times a second, as a
    // shared screen: what getDisplayMedia gives a page, without a picker.
    async shareScreen() {
      const canvas = document.createElement("canvas");
      canvas.width = 640;
      canvas.height = 360;
      const g = canvas.getContext("2d");
      let n = 0;
      const draw = () => {
        g.fillStyle = "#fafaf7";
        g.fillRect(0, 0, 640, 360);
        g.fillStyle = "#202028";
        g.font = "16px sans-serif";
        for (let y = 24; y < 360; y += 20) g.fillText("shared from a browser page, line " + y + " frame " + n, 16, y);
        n++;
      };
      draw();
      setInterval(draw, 1000 / 15);
      const track = canvas.captureStream(15).getVideoTracks()[0];
      screenTracks.add(track.id);
      pc.addTrack(track, new MediaStream([track]));
      note("screen shared");
    },

    async join(offerJSON) {
      await getMedia();
      makePeerConnection(true);
      await pc.setRemoteDescription(JSON.parse(offerJSON));
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered();
      bootstrapDone();
      note("answer ready");
      return JSON.stringify(pc.localDescription);
    },

    // chatSend sends text as a chat message (PROTOCOL.md section 9).
    async chatSend(words) {
      chat.send(JSON.stringify({ type: "text", text: words, at: new Date().toISOString() }));
    },

    // chatSendRaw sends data on `chat` as it is: as text, or as bytes.
    async chatSendRaw(data, binary) {
      chat.send(binary ? new TextEncoder().encode(data) : data);
    },

    // chat: the chat channel's state and what arrived on it.
    async chat() {
      return JSON.stringify({ state: chat ? chat.readyState : "none", received: chatMessages });
    },

    // report: the page's view of the call, for assertions and failure logs.
    async report() {
      const r = {
        signalingState: pc && pc.signalingState,
        connectionState: pc && pc.connectionState,
        iceConnectionState: pc && pc.iceConnectionState,
        signal: signal && signal.readyState,
        control: control && control.readyState,
        offersSent, offersReceived, answersReceived, binaryMessages, failures,
        renderedFrames, renderedWidth, renderedHeight,
        controlMessages,
        remoteTracks,
        inbound: {},
        inboundByMid: {},
        outbound: {},
        events,
        localSDP: pc && pc.localDescription && pc.localDescription.sdp,
        remoteSDP: pc && pc.remoteDescription && pc.remoteDescription.sdp,
      };
      if (pc) {
        const stats = await pc.getStats();
        const codecs = {};
        stats.forEach((s) => { if (s.type === "codec") codecs[s.id] = s.mimeType; });
        stats.forEach((s) => {
          if (s.type === "inbound-rtp") {
            r.inbound[s.kind] = {
              mid: s.mid, packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived,
              framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
              codec: codecs[s.codecId],
            };
            r.inboundByMid[s.mid] = r.inbound[s.kind];
          } else if (s.type === "outbound-rtp") {
            r.outbound[s.kind] = {
              mid: s.mid, packetsSent: s.packetsSent, framesEncoded: s.framesEncoded,
              frameWidth: s.frameWidth, frameHeight: s.frameHeight, codec: codecs[s.codecId],
            };
          }
        });
      }
      return JSON.stringify(r);
    },
  };
})();
