// Package room is a room simulator and a set of echo metrics for testing
// Peercall's echo cancellers: it renders a far-end talker played through a
// laptop speaker into a room, and the laptop microphone's signal, and
// measures what a canceller driven frame by frame leaves of the echo and of
// the local talker's voice.
//
// # Driving a canceller
//
// Any type with the two methods of Canceller — Playback(far) with each
// 10 ms frame handed to the speaker, Capture(mic, out) with each 10 ms
// microphone frame — can be measured; *aec.Canceller is one. Frames are
// FrameSamples (480) mono 16-bit samples at Rate (48 kHz). Scene.Run feeds
// a scene in lockstep (Playback, then Capture, for every frame) and
// Scene.Measure turns the output into a Result; Evaluate does both for a
// Subject in every scene, and Table prints a Markdown row per room:
//
//	v, err := room.Speak(dir) // espeak-ng; room.ErrNoEspeak without it
//	scenes, err := room.RenderAll(room.Rooms(33), v)
//	res, err := room.Evaluate(room.Subject{Name: "mine", Latency: 0,
//		New: func() (room.Canceller, error) { return newMine(), nil }}, scenes)
//	room.Table(os.Stdout, res)
//
// Subject.Latency is how many samples the canceller's output lags its
// input (a fixed processing delay); the metrics compare the output that
// many samples later with the input.
//
// # Speech
//
// Speak has espeak-ng read ten Harvard sentences in each of two voices
// (FarTalker: en-gb+m3, pitch 35, 165 words a minute; NearTalker:
// en-us+f3, pitch 60, 175 words a minute), about 25 s each at espeak-ng's
// 22050 Hz, and Resample takes them to 48 kHz (a Kaiser-windowed sinc,
// β 8, 32 zero crossings a side, cut off at 90 % of 11025 Hz).
//
// # Rooms
//
// Render builds a scene from a Room, in this order:
//
//   - Far end: the far talker looped to the scene's length and scaled so
//     that its active level is FarLevelDBFS (−20 dBFS), then rounded to
//     16 bits: Scene.Far, what Playback gets. The active level is the RMS
//     over the 10 ms frames whose RMS is within 40 dB of the loudest
//     frame's.
//   - Speaker: a 4th-order Butterworth high-pass at HighPassHz (250 Hz),
//     then, when THD > 0, the memoryless soft clipper y = tanh(k·x)/k, with
//     k chosen so that a sine whose peak equals the high-passed speech's
//     peak comes out with total harmonic distortion THD (the RMS of
//     harmonics 2 and up over the fundamental's). Quieter sounds distort
//     less: at 5 % THD the nonlinear part of the speech is about 32 dB
//     below its linear part (Scene.Distortion).
//   - Clock drift: with DriftPPM, the speaker signal resampled (Resample)
//     from 10⁶ to 10⁶ + DriftPPM Hz, so that the microphone's sample i is
//     the speaker's at i·(1 − DriftPPM·10⁻⁶): the echo arrives DriftPPM µs
//     later every second, as between two sound devices on their own
//     clocks, or through a sound server's resampling loopback.
//   - Echo path: the speaker signal convolved with an impulse response:
//     CaptureDelay of silence, a direct path of amplitude 1 after 0.5–1.5 ms
//     (drawn from the seed), eight early reflections 1–25 ms after it
//     (random sign, amplitude 0.2–0.6 times the room's decay), and from
//     2 ms on a diffuse tail of Gaussian noise whose amplitude falls 60 dB
//     in RT60 (300 ms) with as much energy as the direct path; the response
//     lasts 1.2·RT60 after the direct path. The echo is scaled so that its
//     RMS over the whole scene is EchoDB (−6 dB) relative to the far end's.
//     With a PathChange, a second response is drawn in the same way, its
//     echo scaled the same, and the echo switches to it at that instant
//     (the laptop moved): Scene.Echo.
//   - Double talk: the near talker speaks for TalkSpurt (2 s) of every
//     TalkPeriod (5 s) from WarmUp (3 s) on — [3, 5) s, [8, 10) s, …, 40 %
//     of the time after the warm-up — in consecutive pieces of its speech
//     faded in and out over 10 ms, through its own response (direct path at
//     1.5 ms, tail energy half the direct path's), scaled so that its RMS
//     over the spurts equals the echo's RMS over the scene (signal-to-echo
//     ratio 0 dB): Scene.Near.
//   - Microphone: Echo + Near + Gaussian white noise of RMS NoiseDBFS
//     (−60 dBFS), rounded to 16 bits with saturation: Scene.Mic.
//
// Every random draw comes from PCG generators seeded with Room.Seed, so a
// room and the same espeak-ng give the same scene every time. Rooms returns
// the standard set: reverb (Base alone), speaker distortion (THD 5 %),
// laptop moved (path change at the last of 6, 11, 16, … s in the scene's
// first half, where the far end talks alone), capture 40 ms late, double
// talk, clocks 40 ppm apart, and all at once (all but the drift).
//
// # Metrics
//
// With o the output shifted back by the latency, o[n] = out[n+Latency]
// (full scale 1.0), and the scene's Mic, Echo, Near and Noise:
//
//   - A span of samples is far-end-only when it does not overlap a
//     near-end spurt or the length of the near talker's response after
//     it, and the
//     echo's RMS over it is at most ActiveBelowDB (10 dB) below the echo's
//     RMS over the whole scene.
//   - ERLE of a span = 10·log10(Σ Mic² / (Σ o² + N·q)), where N is the
//     span's length and q = 1/(12·32768²), 16-bit rounding noise, keeps it
//     finite when the output is digital silence. The microphone's noise is
//     part of Mic and of o, so a canceller that passes the noise unchanged
//     cannot exceed the echo-to-noise ratio, reported as Result.Ceiling
//     (mean over the windows of 10·log10(Σ Echo²/Σ Noise²), about 33 dB).
//   - ERLEMean, ERLEP10 and ERLEMin: over the 1 s windows [k, k+1) s, for
//     whole k ≥ 3, that are far-end-only and have an output, the mean in dB
//     of the windows' ERLE, its 10th percentile (linear interpolation
//     between closest ranks: the value at rank 0.1·(W−1) of the W values
//     sorted), and the smallest.
//   - Recovery: ERLE over 0.25 s windows starting at the path change and
//     every 10 ms after. It is the start, relative to the change, of the
//     first window such that every far-end-only window starting in the
//     1 s from it (bounds included; at least one) has ERLE ≥ 20 dB; +Inf if
//     there is none with a full second of scene after it.
//   - SDR of the local voice: with the unshifted output u (full scale
//     1.0), over the double-talk spurts [a, b) whose output is complete, a
//     lag L common to all spurts, from Latency − 480 (but at least 0) to
//     Latency + 1920 samples (10 ms before to 40 ms after the stated
//     latency), and a gain g_p per spurt fit u[n+L] ≈ g_p·Near[n] by
//     least squares; L maximises Σ_p ⟨u_p, Near_p⟩²/‖Near_p‖². SDR =
//     10·log10(Σ_p g_p²‖Near_p‖² / Σ_p ‖u_p − g_p·Near_p‖²): what is left
//     of the echo, the noise and any damage to the voice all count as
//     distortion. NearGain = 10·log10(Σ_p g_p²‖Near_p‖² / Σ_p ‖Near_p‖²),
//     the local voice's level in the output relative to the microphone.
package room
