//go:build aec3 && cgo

#include "shim.h"

#include <new>

#include "api/scoped_refptr.h"
#include "modules/audio_processing/include/audio_processing.h"

struct peercall_aec3 {
  rtc::scoped_refptr<webrtc::AudioProcessing> apm;
  webrtc::StreamConfig stream;
};

extern "C" {

peercall_aec3 *peercall_aec3_new(int rate, int noise_suppression) {
  peercall_aec3 *s = new (std::nothrow) peercall_aec3;
  if (s == nullptr) {
    return nullptr;
  }
  s->apm = webrtc::AudioProcessingBuilder().Create();
  if (!s->apm) {
    delete s;
    return nullptr;
  }
  s->stream = webrtc::StreamConfig(rate, 1);

  webrtc::AudioProcessing::Config cfg;
  cfg.echo_canceller.enabled = true;
  cfg.echo_canceller.mobile_mode = false;
  cfg.high_pass_filter.enabled = true;
  cfg.noise_suppression.enabled = noise_suppression != 0;
  cfg.noise_suppression.level =
      webrtc::AudioProcessing::Config::NoiseSuppression::kModerate;
  // No automatic gain anywhere: a gain control raises quiet frames, and the
  // quietest frames are those whose echo has just been removed.
  cfg.gain_controller1.enabled = false;
  cfg.gain_controller2.enabled = false;
  cfg.pre_amplifier.enabled = false;
  // Analysis Peercall does not read.
  cfg.residual_echo_detector.enabled = false;
  cfg.voice_detection.enabled = false;
  cfg.level_estimation.enabled = false;
  cfg.transient_suppression.enabled = false;
  s->apm->ApplyConfig(cfg);

  webrtc::ProcessingConfig pc;
  pc.input_stream() = s->stream;
  pc.output_stream() = s->stream;
  pc.reverse_input_stream() = s->stream;
  pc.reverse_output_stream() = s->stream;
  if (s->apm->Initialize(pc) != webrtc::AudioProcessing::kNoError) {
    delete s;
    return nullptr;
  }
  return s;
}

int peercall_aec3_process(peercall_aec3 *s, int16_t *ref, const int16_t *mic,
                          int16_t *out, int delay_ms) {
  int err = s->apm->ProcessReverseStream(ref, s->stream, s->stream, ref);
  // The delay must be set before every ProcessStream.
  s->apm->set_stream_delay_ms(delay_ms);
  int err2 = s->apm->ProcessStream(mic, s->stream, s->stream, out);
  return err != 0 ? err : err2;
}

void peercall_aec3_free(peercall_aec3 *s) { delete s; }

}  // extern "C"
