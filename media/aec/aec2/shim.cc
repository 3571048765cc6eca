//go:build cgo

#include "shim.h"

#include <math.h>

#include <memory>
#include <new>
#include <vector>

#include "webrtc/common.h"
#include "webrtc/modules/audio_processing/include/audio_processing.h"

struct peercall_aec2 {
  std::unique_ptr<webrtc::AudioProcessing> apm;
  webrtc::StreamConfig stream;
  std::vector<float> ref, mic, out;
};

namespace {

void to_float(const int16_t *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = in[i] * (1.0f / 32768.0f);
  }
}

void to_int16(const float *in, int16_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float v = roundf(in[i] * 32768.0f);
    out[i] = v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : (int16_t)v;
  }
}

}  // namespace

extern "C" {

peercall_aec2 *peercall_aec2_new(const peercall_aec2_options *o) {
  peercall_aec2 *s = new (std::nothrow) peercall_aec2;
  if (s == nullptr) {
    return nullptr;
  }
  // Delay-agnostic mode and the extended filter are read when the module is
  // created. The experimental gain control is on unless told otherwise; it
  // only runs with gain control enabled, but is switched off here as well.
  webrtc::Config extra;
  extra.Set<webrtc::DelayAgnostic>(
      new webrtc::DelayAgnostic(o->delay_agnostic != 0));
  extra.Set<webrtc::ExtendedFilter>(
      new webrtc::ExtendedFilter(o->extended_filter != 0));
  extra.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
  extra.Set<webrtc::ExperimentalNs>(new webrtc::ExperimentalNs(false));
  s->apm.reset(webrtc::AudioProcessing::Create(extra));
  if (!s->apm) {
    delete s;
    return nullptr;
  }
  s->stream = webrtc::StreamConfig(o->rate, 1);
  size_t n = s->stream.num_frames();
  s->ref.resize(n);
  s->mic.resize(n);
  s->out.resize(n);

  webrtc::ProcessingConfig pc;
  pc.input_stream() = s->stream;
  pc.output_stream() = s->stream;
  pc.reverse_input_stream() = s->stream;
  pc.reverse_output_stream() = s->stream;
  webrtc::AudioProcessing *apm = s->apm.get();
  bool ok = apm->Initialize(pc) == webrtc::AudioProcessing::kNoError;

  webrtc::EchoCancellation *ec = apm->echo_cancellation();
  static const webrtc::EchoCancellation::SuppressionLevel levels[] = {
      webrtc::EchoCancellation::kLowSuppression,
      webrtc::EchoCancellation::kModerateSuppression,
      webrtc::EchoCancellation::kHighSuppression,
  };
  ok = ok && o->suppression >= 0 && o->suppression <= 2;
  ok = ok && ec->enable_drift_compensation(false) == 0;
  ok = ok && ec->set_suppression_level(levels[ok ? o->suppression : 0]) == 0;
  ok = ok && ec->enable_delay_logging(true) == 0;
  ok = ok && ec->Enable(true) == 0;
  ok = ok && apm->echo_control_mobile()->Enable(false) == 0;

  static const webrtc::NoiseSuppression::Level noise[] = {
      webrtc::NoiseSuppression::kLow,
      webrtc::NoiseSuppression::kModerate,
      webrtc::NoiseSuppression::kHigh,
  };
  ok = ok && o->noise >= -1 && o->noise <= 2;
  if (ok && o->noise >= 0) {
    ok = apm->noise_suppression()->set_level(noise[o->noise]) == 0 &&
         apm->noise_suppression()->Enable(true) == 0;
  } else {
    ok = ok && apm->noise_suppression()->Enable(false) == 0;
  }
  ok = ok && apm->high_pass_filter()->Enable(o->high_pass != 0) == 0;
  // No automatic gain anywhere: a gain control raises quiet frames, and the
  // quietest frames are those whose echo has just been removed.
  ok = ok && apm->gain_control()->Enable(false) == 0;
  // Analysis Peercall does not read.
  ok = ok && apm->voice_detection()->Enable(false) == 0;
  ok = ok && apm->level_estimator()->Enable(false) == 0;
  if (!ok) {
    delete s;
    return nullptr;
  }
  return s;
}

int peercall_aec2_process(peercall_aec2 *s, const int16_t *ref,
                          const int16_t *mic, int16_t *out, int delay_ms) {
  size_t n = s->stream.num_frames();
  to_float(ref, s->ref.data(), n);
  to_float(mic, s->mic.data(), n);
  float *r = s->ref.data();
  int err = s->apm->ProcessReverseStream(&r, s->stream, s->stream, &r);
  // The delay must be set before every ProcessStream; a value the module
  // clamps only draws a warning, which is not an error here.
  s->apm->set_stream_delay_ms(delay_ms);
  const float *m = s->mic.data();
  float *o = s->out.data();
  int err2 = s->apm->ProcessStream(&m, s->stream, s->stream, &o);
  if (err2 == 0) {
    to_int16(o, out, n);
  }
  return err != 0 ? err : err2;
}

int peercall_aec2_delay(peercall_aec2 *s, int *median, int *std) {
  float poor = 0;
  return s->apm->echo_cancellation()->GetDelayMetrics(median, std, &poor);
}

void peercall_aec2_free(peercall_aec2 *s) { delete s; }

}  // extern "C"
