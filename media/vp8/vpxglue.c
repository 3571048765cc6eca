#include "vpxglue.h"

#include "zeropages.h"

#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

pc_enc *pc_enc_new(vpx_codec_err_t *err) {
  pc_enc *e = calloc(1, sizeof(pc_enc));
  if (e == NULL) {
    *err = VPX_CODEC_MEM_ERROR;
    return NULL;
  }
  *err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0);
  if (*err != VPX_CODEC_OK) {
    free(e);
    return NULL;
  }
  return e;
}

static vpx_codec_err_t ctl_int(vpx_codec_ctx_t *c, int id, int v) {
  return vpx_codec_control_(c, id, v);
}

static vpx_codec_err_t ctl_uint(vpx_codec_ctx_t *c, int id, unsigned int v) {
  return vpx_codec_control_(c, id, v);
}

vpx_codec_err_t pc_enc_open(pc_enc *e, const pc_enc_tuning *t) {
  // libvpx zeroes what it allocates here, and most of it (the token
  // buffer) is never written in a real-time call: see zeropages_linux.c.
  pc_zero_by_release(1);
  vpx_codec_err_t err =
      vpx_codec_enc_init(&e->codec, vpx_codec_vp8_cx(), &e->cfg, 0);
  pc_zero_by_release(0);
  if (err != VPX_CODEC_OK) return err;
  e->open = 1;

  if ((err = ctl_int(&e->codec, VP8E_SET_CPUUSED, t->cpu_used)) ||
      (err = ctl_int(&e->codec, VP8E_SET_TOKEN_PARTITIONS,
                     t->token_partitions)) ||
      (err = ctl_uint(&e->codec, VP8E_SET_NOISE_SENSITIVITY,
                      t->noise_sensitivity)) ||
      (err = ctl_uint(&e->codec, VP8E_SET_STATIC_THRESHOLD,
                      t->static_threshold)) ||
      (err = ctl_uint(&e->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT,
                      t->max_intra_pct)) ||
      (err = ctl_int(&e->codec, VP8E_SET_SCREEN_CONTENT_MODE,
                     t->screen_content))) {
    return err;
  }

  // The encoder reads the caller's planes in place: only the geometry is
  // fixed here, the plane pointers are filled in for each frame.
  memset(&e->img, 0, sizeof(e->img));
  e->img.fmt = VPX_IMG_FMT_I420;
  e->img.bit_depth = 8;
  e->img.bps = 12;
  e->img.w = e->img.d_w = e->img.r_w = e->cfg.g_w;
  e->img.h = e->img.d_h = e->img.r_h = e->cfg.g_h;
  e->img.x_chroma_shift = 1;
  e->img.y_chroma_shift = 1;
  return VPX_CODEC_OK;
}

vpx_codec_err_t pc_enc_set_bitrate(pc_enc *e, unsigned int kbps) {
  e->cfg.rc_target_bitrate = kbps;
  return vpx_codec_enc_config_set(&e->codec, &e->cfg);
}

vpx_codec_err_t pc_enc_set_denoiser(pc_enc *e, unsigned int level) {
  return ctl_uint(&e->codec, VP8E_SET_NOISE_SENSITIVITY, level);
}

vpx_codec_err_t pc_enc_encode(pc_enc *e, unsigned char *y, unsigned char *u,
                              unsigned char *v, int y_stride, int c_stride,
                              int force_key) {
  vpx_codec_err_t err;
  vpx_codec_iter_t iter = NULL;
  const vpx_codec_cx_pkt_t *pkt;

  e->out = NULL;
  e->out_len = 0;
  e->out_key = 0;

  e->img.planes[VPX_PLANE_Y] = y;
  e->img.planes[VPX_PLANE_U] = u;
  e->img.planes[VPX_PLANE_V] = v;
  e->img.stride[VPX_PLANE_Y] = y_stride;
  e->img.stride[VPX_PLANE_U] = c_stride;
  e->img.stride[VPX_PLANE_V] = c_stride;

  // VP8 copies the picture into its own lookahead buffer inside this call,
  // so the caller's planes are not referenced once it returns.
  err = vpx_codec_encode(&e->codec, &e->img, e->pts, 1,
                         force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);

  e->img.planes[VPX_PLANE_Y] = NULL;
  e->img.planes[VPX_PLANE_U] = NULL;
  e->img.planes[VPX_PLANE_V] = NULL;
  e->pts++;
  if (err != VPX_CODEC_OK) return err;

  // Without lag and without partition output VP8 emits at most one frame
  // packet per input picture; none when the rate controller drops it.
  while ((pkt = vpx_codec_get_cx_data(&e->codec, &iter)) != NULL) {
    if (pkt->kind == VPX_CODEC_CX_FRAME_PKT && e->out == NULL) {
      e->out = pkt->data.frame.buf;
      e->out_len = pkt->data.frame.sz;
      e->out_key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
  }
  return VPX_CODEC_OK;
}

const char *pc_enc_error(pc_enc *e) {
  const char *detail = vpx_codec_error_detail(&e->codec);
  return detail != NULL ? detail : vpx_codec_error(&e->codec);
}

void pc_enc_free(pc_enc *e) {
  if (e == NULL) return;
  if (e->open) vpx_codec_destroy(&e->codec);
  free(e);
}

pc_dec *pc_dec_new(unsigned int threads, vpx_codec_err_t *err) {
  vpx_codec_dec_cfg_t cfg;
  pc_dec *d = calloc(1, sizeof(pc_dec));
  if (d == NULL) {
    *err = VPX_CODEC_MEM_ERROR;
    return NULL;
  }
  memset(&cfg, 0, sizeof(cfg));
  cfg.threads = threads;
  *err = vpx_codec_dec_init(&d->codec, vpx_codec_vp8_dx(), &cfg, 0);
  if (*err != VPX_CODEC_OK) {
    free(d);
    return NULL;
  }
  d->open = 1;
  return d;
}

int pc_dec_decode(pc_dec *d, const unsigned char *data, size_t len) {
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img;
  int corrupted = 0;
  vpx_codec_err_t err =
      vpx_codec_decode(&d->codec, data, (unsigned int)len, NULL, 0);
  if (err != VPX_CODEC_OK) return err;

  img = vpx_codec_get_frame(&d->codec, &iter);
  if (img == NULL) return -1;
  if (img->fmt != VPX_IMG_FMT_I420 || img->x_chroma_shift != 1 ||
      img->y_chroma_shift != 1) {
    return VPX_CODEC_UNSUP_BITSTREAM;
  }
  if (vpx_codec_control_(&d->codec, VP8D_GET_FRAME_CORRUPTED, &corrupted) ==
          VPX_CODEC_OK &&
      corrupted) {
    return -2;
  }
  d->planes[0] = img->planes[VPX_PLANE_Y];
  d->planes[1] = img->planes[VPX_PLANE_U];
  d->planes[2] = img->planes[VPX_PLANE_V];
  d->stride[0] = img->stride[VPX_PLANE_Y];
  d->stride[1] = img->stride[VPX_PLANE_U];
  d->stride[2] = img->stride[VPX_PLANE_V];
  d->w = img->d_w;
  d->h = img->d_h;
  return VPX_CODEC_OK;
}

const char *pc_dec_error(pc_dec *d) {
  const char *detail = vpx_codec_error_detail(&d->codec);
  return detail != NULL ? detail : vpx_codec_error(&d->codec);
}

void pc_dec_free(pc_dec *d) {
  if (d == NULL) return;
  if (d->open) vpx_codec_destroy(&d->codec);
  free(d);
}
