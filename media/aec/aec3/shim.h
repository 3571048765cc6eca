//go:build aec3 && cgo

// A C interface to WebRTC's audio processing module for cgo: one mono
// stream, 10 ms int16 frames, echo canceller AEC3.
#ifndef PEERCALL_AEC3_SHIM_H
#define PEERCALL_AEC3_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct peercall_aec3 peercall_aec3;

// peercall_aec3_new creates an audio processing module for mono audio at
// rate Hz with the echo canceller and the high-pass filter on, noise
// suppression as asked and every gain control off. It returns NULL if the
// module could not be created or rejected the configuration.
peercall_aec3 *peercall_aec3_new(int rate, int noise_suppression);

// peercall_aec3_process hands ref, the 10 ms frame most recently played, to
// the echo canceller as its reference, then removes the echo from mic and
// writes the result to out. delay_ms is the expected delay from playing a
// frame to capturing its echo (a hint; AEC3 estimates it). ref is used as
// scratch. It returns 0 or the module's error code.
int peercall_aec3_process(peercall_aec3 *s, int16_t *ref, const int16_t *mic,
                          int16_t *out, int delay_ms);

void peercall_aec3_free(peercall_aec3 *s);

#ifdef __cplusplus
}
#endif

#endif
