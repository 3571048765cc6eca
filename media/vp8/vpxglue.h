// Thin C layer between Peercall's Go VP8 wrapper and libvpx. Each Go call
// into the codec crosses cgo once: these helpers bundle the libvpx calls a
// frame needs and keep every libvpx structure in C memory, so Go never
// stores a Go pointer in C memory and C never keeps one past a call.

#ifndef PEERCALL_VPXGLUE_H
#define PEERCALL_VPXGLUE_H

#include <stddef.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

typedef struct {
  vpx_codec_ctx_t codec;
  vpx_codec_enc_cfg_t cfg;
  vpx_image_t img;  // plane pointers are set only during pc_enc_encode
  vpx_codec_pts_t pts;
  int open;

  // Result of the last pc_enc_encode; data points into libvpx's buffer.
  const unsigned char *out;
  size_t out_len;
  int out_key;
} pc_enc;

typedef struct {
  int cpu_used;
  int token_partitions;  // log2 of the partition count (0..3)
  unsigned int static_threshold;
  unsigned int max_intra_pct;
  unsigned int noise_sensitivity;  // VP8E_SET_NOISE_SENSITIVITY, 0 = off
  int screen_content;              // VP8E_SET_SCREEN_CONTENT_MODE, 0 = camera
} pc_enc_tuning;

typedef struct {
  vpx_codec_ctx_t codec;
  int open;

  // Picture of the last successful pc_dec_decode (libvpx-owned memory).
  unsigned char *planes[3];
  int stride[3];
  unsigned int w, h;
} pc_dec;

// pc_enc_new allocates an encoder whose cfg holds libvpx's VP8 defaults.
pc_enc *pc_enc_new(vpx_codec_err_t *err);
// pc_enc_open initialises the codec from e->cfg and applies the tuning.
vpx_codec_err_t pc_enc_open(pc_enc *e, const pc_enc_tuning *t);
// pc_enc_set_bitrate applies a new target without reinitialising.
vpx_codec_err_t pc_enc_set_bitrate(pc_enc *e, unsigned int kbps);
// pc_enc_set_denoiser changes the denoiser's level without reinitialising.
vpx_codec_err_t pc_enc_set_denoiser(pc_enc *e, unsigned int level);
// pc_enc_encode encodes one I420 picture given by its planes; the planes are
// only read during the call.
vpx_codec_err_t pc_enc_encode(pc_enc *e, unsigned char *y, unsigned char *u,
                              unsigned char *v, int y_stride, int c_stride,
                              int force_key);
const char *pc_enc_error(pc_enc *e);
void pc_enc_free(pc_enc *e);

pc_dec *pc_dec_new(unsigned int threads, vpx_codec_err_t *err);
// pc_dec_decode returns VPX_CODEC_OK with d->planes set, or an error code.
// Extra codes: -1 no picture came out, -2 the picture is corrupt.
int pc_dec_decode(pc_dec *d, const unsigned char *data, size_t len);
const char *pc_dec_error(pc_dec *d);
void pc_dec_free(pc_dec *d);

#endif
