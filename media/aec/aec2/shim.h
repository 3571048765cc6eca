//go:build cgo

// A C interface to the audio processing module of webrtc-audio-processing
// 0.3 for cgo: one mono stream, 10 ms int16 frames, echo canceller AEC2.
#ifndef PEERCALL_AEC2_SHIM_H
#define PEERCALL_AEC2_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peercall_aec2 peercall_aec2;

// peercall_aec2_options is what peercall_aec2_new configures.
typedef struct {
  int rate;             // Hz: 16000, 32000 or 48000
  int suppression;      // 0 low, 1 moderate, 2 high
  int delay_agnostic;   // estimate the delay from the signals
  int extended_filter;  // the longer filter and its gentler delay tracking
  int noise;            // -1 off, 0 low, 1 moderate, 2 high
  int high_pass;        // the microphone's high-pass filter
} peercall_aec2_options;

// peercall_aec2_new creates an audio processing module for mono audio with
// the echo canceller configured by o and every gain control off. It returns
// NULL if the module could not be created or rejected the configuration.
peercall_aec2 *peercall_aec2_new(const peercall_aec2_options *o);

// peercall_aec2_process hands ref, the 10 ms frame most recently played, to
// the echo canceller as its reference, then removes the echo from mic and
// writes the result to out. delay_ms is the expected delay from playing a
// frame to capturing its echo, set before every microphone frame. It
// returns 0 or the module's error code.
int peercall_aec2_process(peercall_aec2 *s, const int16_t *ref,
                          const int16_t *mic, int16_t *out, int delay_ms);

// peercall_aec2_delay writes the canceller's own delay estimate (median and
// standard deviation, ms, over the last second) and returns 0, or returns
// the module's error code when it has none.
int peercall_aec2_delay(peercall_aec2 *s, int *median, int *std);

void peercall_aec2_free(peercall_aec2 *s);

#ifdef __cplusplus
}
#endif

#endif
