/*
 * Stride-1 2-D convolutions (NHWC input, HWIO filter, float32) for the fast CPU training path.
 *
 * Thin GEMMs (K = 16 input channels) are memory-bound through BLAS; a direct convolution keeps a
 * block of output pixels' accumulators in vector registers and streams the input once. The input
 * is first copied into a zero-padded grid so the inner loops have no bounds checks. The input
 * gradient is the same forward kernel on the padded output gradient with the filter flipped and
 * transposed; the filter gradient accumulates outer products per thread and reduces at the end.
 *
 * Work is split over the machine's cores with plain pthreads that are joined before each call
 * returns: no thread outlives a call, so the library can be unloaded at any time (a persistent
 * OpenMP pool crashed the process at exit when Deno unloaded the library).
 *
 * Compiled on first use by lib/kernels/native.ts with -O3 -march=native. Written for this project;
 * no third-party code.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#define PB 4 /* output pixels per register block */
#define MAX_THREADS 64

int sg_version(void) { return 5; }

/* 1 when the 16-channel filter gradient has its AVX-512 kernel (else sgemm is faster for it). */
int sg_fast_filter16(void) {
#if defined(__AVX512F__)
  return 1;
#else
  return 0;
#endif
}

static int thread_count = 0;

/* Threads per call: SIGEO_THREADS, else the online CPUs (capped). */
int sg_threads(void) {
  if (thread_count == 0) {
    const char *e = getenv("SIGEO_THREADS");
    long n = e ? atol(e) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    thread_count = (int)n;
  }
  return thread_count;
}

typedef void (*range_fn)(void *ctx, int begin, int end, int worker);
struct job {
  range_fn fn;
  void *ctx;
  int begin, end, worker;
};
static void *run_job(void *arg) {
  struct job *j = arg;
  j->fn(j->ctx, j->begin, j->end, j->worker);
  return NULL;
}

/* fn over [0, n) split into contiguous chunks, one per thread; the caller runs chunk 0. */
static void par_for(int n, range_fn fn, void *ctx) {
  int t = sg_threads();
  if (t > n) t = n;
  if (t <= 1) {
    if (n > 0) fn(ctx, 0, n, 0);
    return;
  }
  pthread_t th[MAX_THREADS];
  struct job jobs[MAX_THREADS];
  int started[MAX_THREADS] = {0};
  for (int k = 0; k < t; k++) {
    jobs[k] = (struct job){fn, ctx, (int)((long)n * k / t), (int)((long)n * (k + 1) / t), k};
    if (k > 0) started[k] = pthread_create(&th[k], NULL, run_job, &jobs[k]) == 0;
  }
  for (int k = 1; k < t; k++)
    if (!started[k]) run_job(&jobs[k]);
  run_job(&jobs[0]);
  for (int k = 1; k < t; k++)
    if (started[k]) pthread_join(th[k], NULL);
}

struct pad_args {
  const float *x;
  float *xp;
  int H, W, C, Hp, Wp, top, left;
};
static void pad_range(void *ctx, int b0, int b1, int worker) {
  (void)worker;
  const struct pad_args *a = ctx;
  for (int b = b0; b < b1; b++) {
    float *img = a->xp + (size_t)b * a->Hp * a->Wp * a->C;
    memset(img, 0, sizeof(float) * (size_t)a->Hp * a->Wp * a->C);
    for (int h = 0; h < a->H; h++)
      memcpy(img + ((size_t)(h + a->top) * a->Wp + a->left) * a->C, a->x + ((size_t)(b * a->H + h) * a->W) * a->C,
             sizeof(float) * (size_t)a->W * a->C);
  }
}

/* Copy x [B,H,W,C] into xp [B,Hp,Wp,C] at (top,left), zeros elsewhere. */
static void pad_copy(const float *x, float *xp, int B, int H, int W, int C, int Hp, int Wp, int top, int left) {
  struct pad_args a = {x, xp, H, W, C, Hp, Wp, top, left};
  par_for(B, pad_range, &a);
}

/*
 * y[b,oh,ow,:] = sum_{kh,kw,ci} xp[b, oh+kh*dh, ow+kw*dw, ci] * w[kh,kw,ci,:] on a padded grid.
 * CO is a compile-time channel count (register accumulators) or 0 for the generic loop.
 */
struct conv_args {
  const float *xp, *w;
  float *y;
  int Hp, Wp, Ci, OH, OW, Co, KH, KW, dh, dw;
};

#define DEFINE_GRID_CONV(NAME, CO_CONST)                                                                     \
  static void NAME(void *ctx, int r0, int r1, int worker) {                                                  \
    (void)worker;                                                                                            \
    const struct conv_args *A = ctx;                                                                         \
    const float *restrict xp = A->xp, *restrict w = A->w;                                                    \
    float *restrict y = A->y;                                                                                \
    const int Hp = A->Hp, Wp = A->Wp, Ci = A->Ci, OH = A->OH, OW = A->OW, KH = A->KH, KW = A->KW;           \
    const int dh = A->dh, dw = A->dw;                                                                        \
    const int Co = (CO_CONST) ? (CO_CONST) : A->Co;                                                          \
    for (int r = r0; r < r1; r++) {                                                                          \
      const int b = r / OH, oh = r % OH;                                                                     \
      {                                                                                                      \
        float *yrow = y + ((size_t)(b * OH + oh) * OW) * Co;                                                 \
        for (int ow0 = 0; ow0 < OW; ow0 += PB) {                                                             \
          const int np = (OW - ow0) < PB ? (OW - ow0) : PB;                                                  \
          float acc[PB][(CO_CONST) ? (CO_CONST) : 1024];                                                     \
          for (int p = 0; p < PB; p++)                                                                       \
            for (int co = 0; co < Co; co++) acc[p][co] = 0.f;                                                \
          for (int kh = 0; kh < KH; kh++) {                                                                  \
            const float *xr = xp + ((size_t)(b * Hp + oh + kh * dh) * Wp) * Ci;                              \
            for (int kw = 0; kw < KW; kw++) {                                                                \
              const float *wt = w + (size_t)(kh * KW + kw) * Ci * Co;                                        \
              const float *x0 = xr + (size_t)(ow0 + kw * dw) * Ci;                                           \
              if (np == PB) {                                                                                \
                for (int ci = 0; ci < Ci; ci++) {                                                            \
                  const float *wr = wt + (size_t)ci * Co;                                                    \
                  const float a0 = x0[ci], a1 = x0[Ci + ci], a2 = x0[2 * Ci + ci], a3 = x0[3 * Ci + ci];     \
                  for (int co = 0; co < Co; co++) {                                                          \
                    const float wv = wr[co];                                                                 \
                    acc[0][co] += a0 * wv;                                                                   \
                    acc[1][co] += a1 * wv;                                                                   \
                    acc[2][co] += a2 * wv;                                                                   \
                    acc[3][co] += a3 * wv;                                                                   \
                  }                                                                                          \
                }                                                                                            \
              } else {                                                                                       \
                for (int p = 0; p < np; p++)                                                                 \
                  for (int ci = 0; ci < Ci; ci++) {                                                          \
                    const float a = x0[(size_t)p * Ci + ci];                                                 \
                    const float *wr = wt + (size_t)ci * Co;                                                  \
                    for (int co = 0; co < Co; co++) acc[p][co] += a * wr[co];                                \
                  }                                                                                          \
              }                                                                                              \
            }                                                                                                \
          }                                                                                                  \
          for (int p = 0; p < np; p++) memcpy(yrow + (size_t)(ow0 + p) * Co, acc[p], sizeof(float) * Co);   \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

DEFINE_GRID_CONV(grid_conv_16, 16)
DEFINE_GRID_CONV(grid_conv_32, 32)
DEFINE_GRID_CONV(grid_conv_64, 64)
DEFINE_GRID_CONV(grid_conv_any, 0)

static void grid_conv(const float *xp, const float *w, float *y, int B, int Hp, int Wp, int Ci, int OH, int OW,
                      int Co, int KH, int KW, int dh, int dw) {
  struct conv_args a = {xp, w, y, Hp, Wp, Ci, OH, OW, Co, KH, KW, dh, dw};
  range_fn fn = Co == 16 ? grid_conv_16 : Co == 32 ? grid_conv_32 : Co == 64 ? grid_conv_64 : grid_conv_any;
  par_for(B * OH, fn, &a);
}

/* Returns 0 on success, -1 when scratch memory cannot be had or the generic path's limit is hit. */
int sg_conv2d_s1_forward(const float *x, const float *w, float *y, int B, int H, int W, int Ci, int OH, int OW,
                         int Co, int KH, int KW, int pt, int pl, int dh, int dw) {
  if (Co > 1024) return -1;
  const int Hp = OH + (KH - 1) * dh, Wp = OW + (KW - 1) * dw;
  float *xp = malloc(sizeof(float) * (size_t)B * Hp * Wp * Ci);
  if (!xp) return -1;
  pad_copy(x, xp, B, H, W, Ci, Hp, Wp, pt, pl);
  grid_conv(xp, w, y, B, Hp, Wp, Ci, OH, OW, Co, KH, KW, dh, dw);
  free(xp);
  return 0;
}

/* dx [B,H,W,Ci] from dy [B,OH,OW,Co]: a forward conv of padded dy with the flipped, transposed filter. */
int sg_conv2d_s1_backprop_input(const float *dy, const float *w, float *dx, int B, int H, int W, int Ci, int OH,
                                int OW, int Co, int KH, int KW, int pt, int pl, int dh, int dw) {
  if (Ci > 1024) return -1;
  const int top = (KH - 1) * dh - pt, left = (KW - 1) * dw - pl;
  if (top < 0 || left < 0) return -1;
  const int Hp = H + (KH - 1) * dh, Wp = W + (KW - 1) * dw;
  float *gp = malloc(sizeof(float) * (size_t)B * Hp * Wp * Co);
  float *wf = malloc(sizeof(float) * (size_t)KH * KW * Ci * Co);
  if (!gp || !wf) {
    free(gp);
    free(wf);
    return -1;
  }
  /* dy sits at (top, left); rows/cols of dy beyond the grid (asymmetric padding) cannot occur for
     stride 1 since OH = H + pt + pb - (KH-1)*dh. */
  pad_copy(dy, gp, B, OH, OW, Co, Hp, Wp, top, left);
  for (int kh = 0; kh < KH; kh++)
    for (int kw = 0; kw < KW; kw++)
      for (int ci = 0; ci < Ci; ci++)
        for (int co = 0; co < Co; co++)
          wf[(((size_t)(KH - 1 - kh) * KW + (KW - 1 - kw)) * Co + co) * Ci + ci] =
              w[(((size_t)kh * KW + kw) * Ci + ci) * Co + co];
  grid_conv(gp, wf, dx, B, Hp, Wp, Co, H, W, Ci, KH, KW, dh, dw);
  free(gp);
  free(wf);
  return 0;
}

struct filt_args {
  const float *xp, *dy;
  float *part;
  size_t fsize;
  int Hp, Wp, Ci, OH, OW, Co, KH, KW, dh, dw;
};
static void filt_range_any(void *ctx, int r0, int r1, int worker) {
  const struct filt_args *A = ctx;
  const int Hp = A->Hp, Wp = A->Wp, Ci = A->Ci, OH = A->OH, OW = A->OW, Co = A->Co, KH = A->KH, KW = A->KW;
  const int dh = A->dh, dw = A->dw;
  float *acc = A->part + (size_t)worker * A->fsize;
  for (int r = r0; r < r1; r++) {
    const int b = r / OH, oh = r % OH;
    const float *dyr = A->dy + (size_t)r * OW * Co;
    for (int kh = 0; kh < KH; kh++) {
      const float *xr = A->xp + ((size_t)(b * Hp + oh + kh * dh) * Wp) * Ci;
      for (int kw = 0; kw < KW; kw++) {
        float *at = acc + (size_t)(kh * KW + kw) * Ci * Co;
        int ow = 0;
        for (; ow + PB <= OW; ow += PB) {
          const float *x0 = xr + (size_t)(ow + kw * dw) * Ci;
          const float *g0 = dyr + (size_t)ow * Co;
          for (int ci = 0; ci < Ci; ci++) {
            const float a0 = x0[ci], a1 = x0[Ci + ci], a2 = x0[2 * Ci + ci], a3 = x0[3 * Ci + ci];
            float *ar = at + (size_t)ci * Co;
            for (int co = 0; co < Co; co++)
              ar[co] += a0 * g0[co] + a1 * g0[Co + co] + a2 * g0[2 * Co + co] + a3 * g0[3 * Co + co];
          }
        }
        for (; ow < OW; ow++) {
          const float *x0 = xr + (size_t)(ow + kw * dw) * Ci;
          const float *g0 = dyr + (size_t)ow * Co;
          for (int ci = 0; ci < Ci; ci++) {
            const float a = x0[ci];
            float *ar = at + (size_t)ci * Co;
            for (int co = 0; co < Co; co++) ar[co] += a * g0[co];
          }
        }
      }
    }
  }
}

/*
 * Filter gradient with a CB×CO block of one tap's dW held in registers while a row of output
 * pixels streams by (the row of x and dy stays in L1). CO and CB are compile-time constants.
 */
#define DEFINE_FILT(NAME, CO, CB)                                                                            \
  static void NAME(void *ctx, int r0, int r1, int worker) {                                                  \
    const struct filt_args *A = ctx;                                                                         \
    const int Hp = A->Hp, Wp = A->Wp, Ci = A->Ci, OH = A->OH, OW = A->OW, KH = A->KH, KW = A->KW;           \
    const int dh = A->dh, dw = A->dw;                                                                        \
    float *acc = A->part + (size_t)worker * A->fsize;                                                        \
    for (int r = r0; r < r1; r++) {                                                                          \
      const int b = r / OH, oh = r % OH;                                                                     \
      const float *restrict dyr = A->dy + (size_t)r * OW * CO;                                               \
      for (int kh = 0; kh < KH; kh++) {                                                                      \
        const float *restrict xr = A->xp + ((size_t)(b * Hp + oh + kh * dh) * Wp) * Ci;                      \
        for (int kw = 0; kw < KW; kw++) {                                                                    \
          float *restrict at = acc + (size_t)(kh * KW + kw) * Ci * CO;                                       \
          for (int ci0 = 0; ci0 < Ci; ci0 += CB) {                                                           \
            float a[CB][CO];                                                                                 \
            for (int c = 0; c < CB; c++)                                                                     \
              for (int co = 0; co < CO; co++) a[c][co] = at[(size_t)(ci0 + c) * CO + co];                    \
            for (int ow = 0; ow < OW; ow++) {                                                                \
              const float *restrict xv = xr + (size_t)(ow + kw * dw) * Ci + ci0;                             \
              const float *restrict g = dyr + (size_t)ow * CO;                                               \
              for (int c = 0; c < CB; c++) {                                                                 \
                const float xc = xv[c];                                                                      \
                for (int co = 0; co < CO; co++) a[c][co] += xc * g[co];                                      \
              }                                                                                              \
            }                                                                                                \
            for (int c = 0; c < CB; c++)                                                                     \
              for (int co = 0; co < CO; co++) at[(size_t)(ci0 + c) * CO + co] = a[c][co];                    \
          }                                                                                                  \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

DEFINE_FILT(filt_16, 16, 8)

#if defined(__AVX512F__)
#include <immintrin.h>
/*
 * 16 output channels: GCC splits the generic block into 8-lane halves with a long dependency
 * chain (measured 10 GFLOP/s); with AVX-512 one 16-lane vector is one dW row, so a 16×16 block
 * of dW lives in 16 registers while a row of pixels streams by.
 */
static void filt_16_avx512(void *ctx, int r0, int r1, int worker) {
  const struct filt_args *A = ctx;
  const int Hp = A->Hp, Wp = A->Wp, Ci = A->Ci, OH = A->OH, OW = A->OW, KH = A->KH, KW = A->KW;
  const int dh = A->dh, dw = A->dw;
  float *acc = A->part + (size_t)worker * A->fsize;
  for (int r = r0; r < r1; r++) {
    const int b = r / OH, oh = r % OH;
    const float *dyr = A->dy + (size_t)r * OW * 16;
    for (int kh = 0; kh < KH; kh++) {
      const float *xr = A->xp + ((size_t)(b * Hp + oh + kh * dh) * Wp) * Ci;
      for (int kw = 0; kw < KW; kw++) {
        float *at = acc + (size_t)(kh * KW + kw) * Ci * 16;
        for (int ci0 = 0; ci0 < Ci; ci0 += 16) {
          __m512 a0 = _mm512_loadu_ps(at + (size_t)(ci0 + 0) * 16), a1 = _mm512_loadu_ps(at + (size_t)(ci0 + 1) * 16);
          __m512 a2 = _mm512_loadu_ps(at + (size_t)(ci0 + 2) * 16), a3 = _mm512_loadu_ps(at + (size_t)(ci0 + 3) * 16);
          __m512 a4 = _mm512_loadu_ps(at + (size_t)(ci0 + 4) * 16), a5 = _mm512_loadu_ps(at + (size_t)(ci0 + 5) * 16);
          __m512 a6 = _mm512_loadu_ps(at + (size_t)(ci0 + 6) * 16), a7 = _mm512_loadu_ps(at + (size_t)(ci0 + 7) * 16);
          __m512 a8 = _mm512_loadu_ps(at + (size_t)(ci0 + 8) * 16), a9 = _mm512_loadu_ps(at + (size_t)(ci0 + 9) * 16);
          __m512 a10 = _mm512_loadu_ps(at + (size_t)(ci0 + 10) * 16), a11 = _mm512_loadu_ps(at + (size_t)(ci0 + 11) * 16);
          __m512 a12 = _mm512_loadu_ps(at + (size_t)(ci0 + 12) * 16), a13 = _mm512_loadu_ps(at + (size_t)(ci0 + 13) * 16);
          __m512 a14 = _mm512_loadu_ps(at + (size_t)(ci0 + 14) * 16), a15 = _mm512_loadu_ps(at + (size_t)(ci0 + 15) * 16);
          for (int ow = 0; ow < OW; ow++) {
            const float *xv = xr + (size_t)(ow + kw * dw) * Ci + ci0;
            const __m512 g = _mm512_loadu_ps(dyr + (size_t)ow * 16);
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(xv[0]), g, a0);
            a1 = _mm512_fmadd_ps(_mm512_set1_ps(xv[1]), g, a1);
            a2 = _mm512_fmadd_ps(_mm512_set1_ps(xv[2]), g, a2);
            a3 = _mm512_fmadd_ps(_mm512_set1_ps(xv[3]), g, a3);
            a4 = _mm512_fmadd_ps(_mm512_set1_ps(xv[4]), g, a4);
            a5 = _mm512_fmadd_ps(_mm512_set1_ps(xv[5]), g, a5);
            a6 = _mm512_fmadd_ps(_mm512_set1_ps(xv[6]), g, a6);
            a7 = _mm512_fmadd_ps(_mm512_set1_ps(xv[7]), g, a7);
            a8 = _mm512_fmadd_ps(_mm512_set1_ps(xv[8]), g, a8);
            a9 = _mm512_fmadd_ps(_mm512_set1_ps(xv[9]), g, a9);
            a10 = _mm512_fmadd_ps(_mm512_set1_ps(xv[10]), g, a10);
            a11 = _mm512_fmadd_ps(_mm512_set1_ps(xv[11]), g, a11);
            a12 = _mm512_fmadd_ps(_mm512_set1_ps(xv[12]), g, a12);
            a13 = _mm512_fmadd_ps(_mm512_set1_ps(xv[13]), g, a13);
            a14 = _mm512_fmadd_ps(_mm512_set1_ps(xv[14]), g, a14);
            a15 = _mm512_fmadd_ps(_mm512_set1_ps(xv[15]), g, a15);
          }
          _mm512_storeu_ps(at + (size_t)(ci0 + 0) * 16, a0), _mm512_storeu_ps(at + (size_t)(ci0 + 1) * 16, a1);
          _mm512_storeu_ps(at + (size_t)(ci0 + 2) * 16, a2), _mm512_storeu_ps(at + (size_t)(ci0 + 3) * 16, a3);
          _mm512_storeu_ps(at + (size_t)(ci0 + 4) * 16, a4), _mm512_storeu_ps(at + (size_t)(ci0 + 5) * 16, a5);
          _mm512_storeu_ps(at + (size_t)(ci0 + 6) * 16, a6), _mm512_storeu_ps(at + (size_t)(ci0 + 7) * 16, a7);
          _mm512_storeu_ps(at + (size_t)(ci0 + 8) * 16, a8), _mm512_storeu_ps(at + (size_t)(ci0 + 9) * 16, a9);
          _mm512_storeu_ps(at + (size_t)(ci0 + 10) * 16, a10), _mm512_storeu_ps(at + (size_t)(ci0 + 11) * 16, a11);
          _mm512_storeu_ps(at + (size_t)(ci0 + 12) * 16, a12), _mm512_storeu_ps(at + (size_t)(ci0 + 13) * 16, a13);
          _mm512_storeu_ps(at + (size_t)(ci0 + 14) * 16, a14), _mm512_storeu_ps(at + (size_t)(ci0 + 15) * 16, a15);
        }
      }
    }
  }
}
#endif
DEFINE_FILT(filt_32, 32, 8)
DEFINE_FILT(filt_64, 64, 4)

/* dw [KH,KW,Ci,Co] = sum over output pixels of xpad(pixel + tap) ⊗ dy(pixel). */
int sg_conv2d_s1_backprop_filter(const float *x, const float *dy, float *dwout, int B, int H, int W, int Ci, int OH,
                                 int OW, int Co, int KH, int KW, int pt, int pl, int dh, int dw) {
  const int Hp = OH + (KH - 1) * dh, Wp = OW + (KW - 1) * dw;
  const size_t fsize = (size_t)KH * KW * Ci * Co;
  float *xp = malloc(sizeof(float) * (size_t)B * Hp * Wp * Ci);
  if (!xp) return -1;
  pad_copy(x, xp, B, H, W, Ci, Hp, Wp, pt, pl);
  int nthreads = sg_threads();
  if (nthreads > B * OH) nthreads = B * OH < 1 ? 1 : B * OH;
  float *part = calloc((size_t)nthreads * fsize, sizeof(float));
  if (!part) {
    free(xp);
    return -1;
  }
  struct filt_args fa = {xp, dy, part, fsize, Hp, Wp, Ci, OH, OW, Co, KH, KW, dh, dw};
  range_fn fn = filt_range_any;
#if defined(__AVX512F__)
  if (Co == 16 && Ci % 16 == 0) fn = filt_16_avx512;
  else
#endif
  if (Co == 16 && Ci % 8 == 0) fn = filt_16;
  else if (Co == 32 && Ci % 8 == 0) fn = filt_32;
  else if (Co == 64 && Ci % 4 == 0) fn = filt_64;
  par_for(B * OH, fn, &fa);
  memcpy(dwout, part, sizeof(float) * fsize);
  for (int t = 1; t < nthreads; t++) {
    const float *p = part + (size_t)t * fsize;
    for (size_t i = 0; i < fsize; i++) dwout[i] += p[i];
  }
  free(part);
  free(xp);
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Batch normalisation with batch statistics over the rows of a row-major [R, C] matrix (NHWC
 * activations flattened), forward and backward, in two passes each; sums in double.
 */
struct bn_args {
  const float *x, *gamma, *beta, *dy;
  float *y, *dx;
  const double *mean, *rstd, *gsum; /* gsum: [dbeta | dgamma] */
  double *part;                       /* per-worker partial sums: 2·C doubles each */
  int R, C, affine;
};

static void bn_stats_range(void *ctx, int r0, int r1, int worker) {
  const struct bn_args *a = ctx;
  double *s = a->part + (size_t)worker * 2 * a->C, *s2 = s + a->C;
  for (int r = r0; r < r1; r++) {
    const float *row = a->x + (size_t)r * a->C;
    for (int c = 0; c < a->C; c++) {
      const double v = row[c];
      s[c] += v;
      s2[c] += v * v;
    }
  }
}

static void bn_apply_range(void *ctx, int r0, int r1, int worker) {
  (void)worker;
  const struct bn_args *a = ctx;
  const int C = a->C;
  float sc[1024], sh[1024];
  for (int c = 0; c < C; c++) {
    const double g = a->affine ? a->gamma[c] : 1.0, b = a->affine ? a->beta[c] : 0.0;
    sc[c] = (float)(g * a->rstd[c]);
    sh[c] = (float)(b - a->mean[c] * g * a->rstd[c]);
  }
  for (int r = r0; r < r1; r++) {
    const float *row = a->x + (size_t)r * C;
    float *out = a->y + (size_t)r * C;
    for (int c = 0; c < C; c++) out[c] = row[c] * sc[c] + sh[c];
  }
}

/* y = γ(x−μ)/√(σ²+ε) + β; writes μ and the biased σ² (float) for running averages. */
int sg_bn_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean_out, float *var_out,
                  int R, int C, int affine, float eps) {
  if (C > 1024 || R < 1) return -1;
  const int t = sg_threads() < R ? sg_threads() : R;
  double *part = calloc((size_t)t * 2 * C + 2 * (size_t)C, sizeof(double));
  if (!part) return -1;
  double *mean = part + (size_t)t * 2 * C, *rstd = mean + C;
  struct bn_args a = {x, gamma, beta, NULL, y, NULL, mean, rstd, NULL, part, R, C, affine};
  par_for(R, bn_stats_range, &a);
  for (int c = 0; c < C; c++) {
    double s = 0, s2 = 0;
    for (int k = 0; k < t; k++) {
      s += part[(size_t)k * 2 * C + c];
      s2 += part[(size_t)k * 2 * C + C + c];
    }
    const double m = s / R;
    double v = s2 / R - m * m;
    if (v < 0) v = 0;
    mean[c] = m;
    rstd[c] = 1.0 / sqrt(v + eps);
    mean_out[c] = (float)m;
    var_out[c] = (float)v;
  }
  par_for(R, bn_apply_range, &a);
  free(part);
  return 0;
}

static void bn_gsum_range(void *ctx, int r0, int r1, int worker) {
  const struct bn_args *a = ctx;
  const int C = a->C;
  double *db = a->part + (size_t)worker * 2 * C, *dg = db + C;
  for (int r = r0; r < r1; r++) {
    const float *g = a->dy + (size_t)r * C, *row = a->x + (size_t)r * C;
    for (int c = 0; c < C; c++) {
      db[c] += g[c];
      dg[c] += g[c] * ((row[c] - a->mean[c]) * a->rstd[c]);
    }
  }
}

static void bn_dx_range(void *ctx, int r0, int r1, int worker) {
  (void)worker;
  const struct bn_args *a = ctx;
  const int C = a->C;
  float k1[1024], k2[1024], k3[1024], mu[1024], rs[1024];
  for (int c = 0; c < C; c++) {
    const double g = a->affine ? a->gamma[c] : 1.0;
    k1[c] = (float)(g * a->rstd[c]);
    k2[c] = (float)(a->gsum[c] / a->R);
    k3[c] = (float)(a->gsum[C + c] / a->R);
    mu[c] = (float)a->mean[c];
    rs[c] = (float)a->rstd[c];
  }
  for (int r = r0; r < r1; r++) {
    const float *g = a->dy + (size_t)r * C, *row = a->x + (size_t)r * C;
    float *out = a->dx + (size_t)r * C;
    for (int c = 0; c < C; c++) {
      const float xh = (row[c] - mu[c]) * rs[c];
      out[c] = k1[c] * (g[c] - k2[c] - xh * k3[c]);
    }
  }
}

/* dx, dγ, dβ of sg_bn_forward given dy and the forward's x, μ, σ². */
int sg_bn_backward(const float *dy, const float *x, const float *mean_in, const float *var_in, const float *gamma,
                   float *dx, float *dgamma, float *dbeta, int R, int C, int affine, float eps) {
  if (C > 1024 || R < 1) return -1;
  const int t = sg_threads() < R ? sg_threads() : R;
  double *part = calloc((size_t)t * 2 * C + 4 * (size_t)C, sizeof(double));
  if (!part) return -1;
  double *mean = part + (size_t)t * 2 * C, *rstd = mean + C, *gsum = rstd + C;
  for (int c = 0; c < C; c++) {
    mean[c] = mean_in[c];
    rstd[c] = 1.0 / sqrt((double)var_in[c] + eps);
  }
  struct bn_args a = {x, gamma, NULL, dy, NULL, dx, mean, rstd, gsum, part, R, C, affine};
  par_for(R, bn_gsum_range, &a);
  for (int c = 0; c < C; c++) {
    double db = 0, dg = 0;
    for (int k = 0; k < t; k++) {
      db += part[(size_t)k * 2 * C + c];
      dg += part[(size_t)k * 2 * C + C + c];
    }
    gsum[c] = db;
    gsum[C + c] = dg;
    dbeta[c] = (float)db;
    dgamma[c] = (float)dg;
  }
  par_for(R, bn_dx_range, &a);
  free(part);
  return 0;
}
