// Package res is Peercall's residual echo suppressor: a frequency-domain
// post-filter that runs after speexdsp's linear adaptive filter
// (media/aec with Config.LinearOnly) and takes off what the filter leaves
// of the echo, then stationary noise, filling in comfort noise. It is
// written in Go and needs no C beyond the filter itself.
//
// # Design
//
// Audio is 10 ms frames of 48 kHz mono. Each frame the suppressor takes
// the filter's output e, the filter's echo estimate y and the played frame
// x the filter used (media/aec's CaptureEcho), and analyses 20 ms
// sqrt-Hann windows every 10 ms, zero-padded to a 1024-point FFT (513
// bins, 46.9 Hz apart); synthesis is the same window and overlap-add, so
// the output lags the input by one frame. e and y are divided by the
// filter's DC notch response, so the suppressor and its output work on the
// microphone's own signal (the notch's phase turn on the local voice's
// low notes would otherwise count as distortion).
//
//   - Echo power model: the echo's power at the microphone per bin is
//     predicted from the played power over the last Lags frames (440 ms:
//     device delay plus reverberation), each lag with its own weight,
//     learnt by normalised LMS on the filter's echo estimate |Y|², which
//     the local talker does not reach. A power model does not care about
//     the fine structure of the echo path, so it stays right when the
//     laptop moves and the linear filter has to start over.
//   - Local talker: counted as speaking when, smoothed over about
//     100 ms, more than NearBands of the 8-bin bands between 280 Hz and
//     4.7 kHz have a microphone power NearDB above the predicted echo plus
//     noise, and for NearHold frames after. A voice of its own lifts many
//     bands at once; the power model's errors lift a few here and there,
//     and a path change none, since the model predicts the echo's power
//     from the played audio whatever the path.
//   - Leakage: per bin, the filter's residual over the predicted echo,
//     followed (LeakStep per frame) in bands with echo enough to learn
//     from while the far end talks alone, and held while the local talker
//     speaks. When the filter loses the path, the residual jumps to the
//     echo's level and the leakage follows within a few frames: the
//     suppression covers the filter's re-convergence. The detection lags
//     the local talker's first syllable, so when it comes the leakage goes
//     back to what it was Rollback frames earlier, before the leakage
//     learnt the voice as echo.
//   - A lost filter: where the leakage was high before the last Rollback
//     frames (the filter lost the path when the laptop moved, or double
//     talk pulled it off), EchoOver is raised up to 1 + LeakOver times
//     while the far end talks alone. The power model predicts the echo's
//     mean power, and the echo of speech fluctuates around its mean from
//     frame to frame; while the filter takes off most of the echo that
//     does not matter, but when the whole echo is left to the suppressor,
//     only a large overestimate keeps its peaks down.
//   - Noise: the minimum of the smoothed residual power per bin, rising at
//     most 3 dB a second, times 2 for the minimum's bias.
//   - Gain: 1 − (EchoOver·leak·echo + NoiseOver·noise) / error power,
//     between 10^(FloorDB/20) and 1, smoothed over three bins; DC is
//     removed. While the local talker speaks, EchoOverNear and FloorNearDB
//     replace EchoOver and FloorDB: the residual echo is underestimated
//     rather than overestimated, so the voice keeps its
//     harmonics and onsets, and what the linear filter left of the echo
//     stays well under it (full duplex). Comfort noise (Gaussian, random
//     phase) fills each bin up to the noise level less NoiseDB, so the
//     background is steady whether echo is being suppressed or not.
//
// Clock drift: the played audio reaches the filter through a delay line
// whose fractional delay follows the echo's delay, measured every half
// second by the phase transform of the played audio's and the
// microphone's cross-spectra, so that the filter sees an echo path that
// holds still when the speaker's and the microphone's clocks drift apart
// (drift.go). Without it, 40 ppm of drift, 2 samples a second, left the
// filter 13–15 dB of echo loss; with it, the drift costs nothing.
//
// No automatic gain runs anywhere, so nothing ever lifts what is left of
// an echo.
package res
