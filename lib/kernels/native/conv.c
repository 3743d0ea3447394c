/*
 * Direct stride-1 2-D convolutions (NHWC input, HWIO filter [KH,KW,Ci,Co], float32): forward,
 * input gradient and filter gradient, for the fast CPU training path.
 *
 * Why: through BLAS a stride-1 conv is KH·KW thin GEMMs with K = Ci (16–64 in NAS-Bench-201),
 * which are memory-bound. Here a block of output pixels × output channels is accumulated in vector
 * registers over all taps and input channels, so every weight vector loaded is reused by the
 * whole pixel block and every input value by the whole channel block.
 *
 * Layout of the work:
 * - Vectors run along the contiguous channel axis (Co for forward and filter gradient; Ci for the
 *   input gradient, which is the forward kernel on dy with the filter flipped and transposed to
 *   [KH,KW,Co,Ci] in a small scratch).
 * - Forward: 8 output pixels along W × 32 output channels of accumulators (AVX-512), so each
 *   weight vector load feeds 8 FMAs. Filter gradient: 16 input × 16 output channels of one tap
 *   held in registers while a tile of pixels streams by.
 * - Ci = Co = 16, 32, 64 get kernels with every size a compile-time constant; other sizes run the
 *   same kernels on chunks of output channels with run-time strides; the last Co mod 16 channels
 *   use weights zero-padded to 16 lanes (forward) or a scalar loop (filter gradient).
 * - Borders are handled by bounds checks, not a padded copy of the input: rows outside the input
 *   are skipped; a pixel block that straddles the left/right edge copies its few input pixels
 *   (zeros outside) into a small per-thread buffer first.
 * - Threads take output rows (forward, input gradient) or fixed parts of the batch with one
 *   partial filter gradient each, added in a fixed order (so results do not depend on scheduling).
 *   Threads come from a small persistent pool (below), or OpenMP when compiled with -fopenmp
 *   (not recommended: libgomp's pool crashes Deno at exit).
 *
 * Vectors use the GNU C vector extension (gcc and clang), which compiles to AVX-512, AVX2 or SSE
 * depending on -march; no intrinsics.
 *
 * Written for this project; no third-party code.
 */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#else
#include <pthread.h>
#endif

#if !defined(__GNUC__)
#error "conv.c needs the GNU C vector extension (gcc or clang)"
#endif

#define SGC_VERSION 4

#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX__)
#define VL 8
#else
#define VL 4
#endif

typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), may_alias));
static inline vf vload(const float *p) { return *(const vfu *)p; }
static inline void vstore(float *p, vf v) { *(vfu *)p = v; }

#define MAX_THREADS 64
#define STR2(x) #x
#define STR(x) STR2(x)
#define UNROLL(n) _Pragma(STR(GCC unroll n))

/* Version of the exported ABI; native_conv.ts refuses a library with another one. */
int sgc_version(void) { return SGC_VERSION; }

/* Vector length in floats the kernels were compiled for (16 with AVX-512). */
int sgc_vector_length(void) { return VL; }

/* 1 when built with OpenMP. */
int sgc_openmp(void) {
#ifdef _OPENMP
  return 1;
#else
  return 0;
#endif
}

static int thread_count = 0;

/* Threads per call: SIGEO_THREADS, else the online CPUs (capped at 64). */
int sgc_threads(void) {
  if (thread_count == 0) {
    const char *e = getenv("SIGEO_THREADS");
    long n = e ? atol(e) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    thread_count = (int)n;
  }
  return thread_count;
}

/* ------------------------------------------------------------------------------------------- */
/* par_for(n, t, fn, ctx): fn over [0, n) in chunks on up to t threads; returns when all are done. */

typedef void (*range_fn)(void *ctx, int begin, int end, int worker);

#ifdef _OPENMP
static void par_for(int n, int t, range_fn fn, void *ctx) {
  if (t > n) t = n;
  if (t <= 1) {
    if (n > 0) fn(ctx, 0, n, 0);
    return;
  }
#pragma omp parallel num_threads(t)
  {
    const int k = omp_get_thread_num(), nt = omp_get_num_threads();
    fn(ctx, (int)((long)n * k / nt), (int)((long)n * (k + 1) / nt), k);
  }
}
#else
/*
 * A persistent pool of workers sleeping on a condition variable, with dynamic scheduling: the
 * caller starts on the work at once and a worker takes chunks from a shared counter when it wakes,
 * so a slow wake-up (tens of µs on a VM) or a busy core costs only the share it delays, not a
 * static half. (Creating and joining threads per call cost ~40 µs a call.) The pool is stopped and
 * joined by the library's destructor, which runs before the library is unmapped (dlclose, or
 * exit); a pool left running then — libgomp's — crashes the process at exit. One parallel call at
 * a time: a concurrent caller runs single-threaded.
 */
#include <stdatomic.h>
struct pool_job {
  range_fn fn;
  void *ctx;
  int n, t, grain;
};
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t call_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t pool_threads[MAX_THREADS];
static int pool_size = 0; /* workers 1..pool_size are running */
static int pool_quit = 0;
static unsigned long pool_gen = 0, pool_start_gen[MAX_THREADS];
static struct pool_job pool_current;
/* (generation << 32) | next index: a worker holding a stale job cannot take the next call's work */
static _Atomic unsigned long long pool_next;
static _Atomic long pool_done_items;

static void run_chunks(const struct pool_job *j, unsigned gen, int worker) {
  for (;;) {
    unsigned long long v = atomic_load(&pool_next);
    int c;
    do {
      if ((unsigned)(v >> 32) != gen) return;
      c = (int)(v & 0xffffffffu);
      if (c >= j->n) return;
    } while (!atomic_compare_exchange_weak(&pool_next, &v, v + (unsigned)j->grain));
    const int e = j->n - c > j->grain ? c + j->grain : j->n;
    j->fn(j->ctx, c, e, worker);
    atomic_fetch_add(&pool_done_items, e - c);
  }
}

static void *pool_worker(void *arg) {
  const int k = (int)(intptr_t)arg;
  pthread_mutex_lock(&pool_mu);
  unsigned long seen = pool_start_gen[k];
  for (;;) {
    while (!pool_quit && pool_gen == seen) pthread_cond_wait(&pool_wake, &pool_mu);
    if (pool_quit) break;
    seen = pool_gen;
    const struct pool_job j = pool_current;
    pthread_mutex_unlock(&pool_mu);
    if (k < j.t) run_chunks(&j, (unsigned)seen, k);
    pthread_mutex_lock(&pool_mu);
  }
  pthread_mutex_unlock(&pool_mu);
  return NULL;
}

__attribute__((destructor)) static void pool_stop(void) {
  pthread_mutex_lock(&pool_mu);
  pool_quit = 1;
  pthread_cond_broadcast(&pool_wake);
  const int n = pool_size;
  pool_size = 0;
  pthread_mutex_unlock(&pool_mu);
  for (int k = 1; k <= n; k++) pthread_join(pool_threads[k], NULL);
}

static void par_for(int n, int t, range_fn fn, void *ctx) {
  if (t > n) t = n;
  if (t > 1 && pthread_mutex_trylock(&call_mu) != 0) t = 1;
  if (t <= 1) {
    if (n > 0) fn(ctx, 0, n, 0);
    return;
  }
  pthread_mutex_lock(&pool_mu);
  while (pool_size < t - 1 && !pool_quit) {
    /* a new worker starts before this call's generation, so it takes part in this call */
    pool_start_gen[pool_size + 1] = pool_gen;
    if (pthread_create(&pool_threads[pool_size + 1], NULL, pool_worker, (void *)(intptr_t)(pool_size + 1)) != 0)
      break;
    pool_size++;
  }
  if (t > pool_size + 1) t = pool_size + 1;
  int grain = n / (t * 8);
  if (grain < 1) grain = 1;
  const struct pool_job j = {fn, ctx, n, t, grain};
  pool_current = j;
  pool_gen++;
  const unsigned gen = (unsigned)pool_gen;
  atomic_store(&pool_done_items, 0);
  atomic_store(&pool_next, (unsigned long long)gen << 32);
  if (t > 1) pthread_cond_broadcast(&pool_wake);
  pthread_mutex_unlock(&pool_mu);
  run_chunks(&j, gen, 0);
  while (atomic_load(&pool_done_items) < n) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  pthread_mutex_unlock(&call_mu);
}
#endif

/* ------------------------------------------------------------------------------------------- */
/* Forward: y[b,oh,ow,co] = sum_{kh,kw,ci} x[b, oh-pt+kh*dh, ow-pl+kw*dw, ci] * w[kh,kw,ci,co]. */

struct fwd_args {
  const float *x, *w;
  float *y;
  float *scratch; /* per worker: PW_MAX·Ci floats for border pixel blocks, PW_MAX·16 for the tail */
  const float *wpad; /* the last Co mod 16 output channels' weights, zero-padded to 16 lanes */
  int B, H, W, Ci, OH, OW, Co, KH, KW, pt, pl, dh, dw;
};

/*
 * Register blocking, by vector length (measured on Zen 4 with AVX-512, single thread, NB201
 * shapes: 111–118 GFLOP/s, about the FMA peak). Forward: FPW pixels × FCO output channels of
 * accumulators (8 × 32 = 16 zmm); wider channel blocks with fewer pixels reload the weights more
 * often (64 × 4 pixels: 70 GFLOP/s). Filter gradient: GCB input × 16 output channels.
 */
#if VL == 16
#define FPW 8
#define FCO 32
#define GCB 16
#elif VL == 8
#define FPW 4
#define FCO 16
#define GCB 6
#else
#define FPW 2
#define FCO 16
#define GCB 3
#endif
#define PW_MAX FPW

/* Filter gradient parts (one partial sum each), a fixed number whatever the thread count (so the sum's
   order, and the result, do not depend on it: a run on K worker processes of one thread each gives
   the bits of a run on K threads); 16 = 2 parts per thread up to 8 threads, for dynamic load balance. */
#define FILT_PARTS 16

/*
 * One block of PW output pixels (ow0..ow0+PW-1 of row (b, oh)) × CO output channels: weights
 * from `w` (row stride ld, the first of the block's channels), outputs to `yo` (pixel stride ld).
 * CI and LD are compile-time when nonzero.
 */
#define DEF_FWD(NAME, CI_, CO, LD_, PW)                                                                     \
  static void NAME(const struct fwd_args *a, float *restrict xbuf, int b, int oh, int ow0,                  \
                   const float *restrict w, float *restrict yo, int ld_) {                                  \
    enum { NV = (CO) / VL };                                                                                \
    const int Ci = (CI_) ? (CI_) : a->Ci;                                                                   \
    const int ld = (LD_) ? (LD_) : ld_;                                                                     \
    const int H = a->H, W = a->W, KW = a->KW;                                                               \
    vf acc[PW][NV];                                                                                         \
    UNROLL(8) for (int p = 0; p < PW; p++) UNROLL(4) for (int v = 0; v < NV; v++) acc[p][v] = (vf){0};      \
    for (int kh = 0; kh < a->KH; kh++) {                                                                    \
      const int ih = oh - a->pt + kh * a->dh;                                                               \
      if ((unsigned)ih >= (unsigned)H) continue;                                                            \
      const float *xrow = a->x + ((size_t)b * H + ih) * W * Ci;                                             \
      for (int kw = 0; kw < KW; kw++) {                                                                     \
        const int iw0 = ow0 - a->pl + kw * a->dw;                                                           \
        const float *restrict xb;                                                                           \
        if (iw0 >= 0 && iw0 + (PW) <= W) {                                                                  \
          xb = xrow + (size_t)iw0 * Ci;                                                                     \
        } else {                                                                                            \
          for (int p = 0; p < PW; p++) {                                                                    \
            const int iw = iw0 + p;                                                                         \
            if ((unsigned)iw < (unsigned)W)                                                                 \
              memcpy(xbuf + (size_t)p * Ci, xrow + (size_t)iw * Ci, sizeof(float) * Ci);                    \
            else                                                                                            \
              memset(xbuf + (size_t)p * Ci, 0, sizeof(float) * Ci);                                         \
          }                                                                                                 \
          xb = xbuf;                                                                                        \
        }                                                                                                   \
        const float *restrict wt = w + (size_t)(kh * KW + kw) * Ci * ld;                                    \
        for (int ci = 0; ci < Ci; ci++) {                                                                   \
          vf wv[NV];                                                                                        \
          UNROLL(4) for (int v = 0; v < NV; v++) wv[v] = vload(wt + (size_t)ci * ld + v * VL);               \
          UNROLL(8) for (int p = 0; p < PW; p++) {                                                          \
            const float s = xb[(size_t)p * Ci + ci];                                                        \
            UNROLL(4) for (int v = 0; v < NV; v++) acc[p][v] += wv[v] * s;                                  \
          }                                                                                                 \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
    UNROLL(8) for (int p = 0; p < PW; p++) UNROLL(4) for (int v = 0; v < NV; v++)                           \
      vstore(yo + (size_t)p * ld + v * VL, acc[p][v]);                                                      \
  }

typedef void (*fwd_block_fn)(const struct fwd_args *, float *, int, int, int, const float *, float *, int);

/* Kernels with every size fixed for Ci = Co = 16, 32, 64; chunk kernels with run-time strides. */
DEF_FWD(fwd_16_16, 16, 16, 16, FPW)
DEF_FWD(fwd_32_32, 32, FCO, 32, FPW)
DEF_FWD(fwd_64_64, 64, FCO, 64, FPW)
DEF_FWD(fwd_any_wide, 0, FCO, 0, FPW)
DEF_FWD(fwd_any_16, 0, 16, 0, FPW)
DEF_FWD(fwd_any_wide_1, 0, FCO, 0, 1)
DEF_FWD(fwd_any_16_1, 0, 16, 0, 1)

/* A row of output pixels for one channel chunk: blocks of pw, the last one overlapping its
   neighbour (outputs are written, not accumulated, so recomputing a pixel is harmless). */
static void fwd_row_chunk(const struct fwd_args *a, float *xbuf, int b, int oh, int co0, fwd_block_fn blk, int pw,
                          fwd_block_fn one) {
  const int OW = a->OW, Co = a->Co;
  const float *w = a->w + co0;
  float *yrow = a->y + ((size_t)b * a->OH + oh) * OW * Co + co0;
  if (OW < pw) {
    for (int ow = 0; ow < OW; ow++) one(a, xbuf, b, oh, ow, w, yrow + (size_t)ow * Co, Co);
    return;
  }
  for (int ow0 = 0;; ow0 += pw) {
    if (ow0 + pw > OW) ow0 = OW - pw;
    blk(a, xbuf, b, oh, ow0, w, yrow + (size_t)ow0 * Co, Co);
    if (ow0 + pw >= OW) break;
  }
}

/* The last n < 16 output channels of a row, with the weights zero-padded to 16 lanes (a->wpad)
   and the block written to a small buffer first. */
static void fwd_row_tail(const struct fwd_args *a, float *xbuf, float *tmp, int b, int oh, int co0) {
  const int OW = a->OW, Co = a->Co, n = Co - co0;
  float *yrow = a->y + ((size_t)b * a->OH + oh) * OW * Co + co0;
  for (int ow0 = 0; ow0 < OW; ow0 += FPW) {
    const int np = OW - ow0 < FPW ? OW - ow0 : FPW;
    if (np == FPW)
      fwd_any_16(a, xbuf, b, oh, ow0, a->wpad, tmp, 16);
    else
      for (int p = 0; p < np; p++) fwd_any_16_1(a, xbuf, b, oh, ow0 + p, a->wpad, tmp + (size_t)p * 16, 16);
    for (int p = 0; p < np; p++) memcpy(yrow + (size_t)(ow0 + p) * Co, tmp + (size_t)p * 16, sizeof(float) * n);
  }
}

static void fwd_range(void *ctx, int r0, int r1, int worker) {
  const struct fwd_args *a = ctx;
  float *xbuf = a->scratch + (size_t)worker * (PW_MAX * (size_t)a->Ci + PW_MAX * 16);
  float *tmp = xbuf + PW_MAX * (size_t)a->Ci;
  const int Ci = a->Ci, Co = a->Co;
  for (int r = r0; r < r1; r++) {
    const int b = r / a->OH, oh = r % a->OH;
    int co0 = 0;
    if (Ci == Co && (Co == 16 || Co == 32 || Co == 64)) {
      const fwd_block_fn blk = Co == 16 ? fwd_16_16 : Co == 32 ? fwd_32_32 : fwd_64_64;
      const int step = Co == 16 ? 16 : FCO;
      const fwd_block_fn one = step == 16 ? fwd_any_16_1 : fwd_any_wide_1;
      for (; co0 < Co; co0 += step) fwd_row_chunk(a, xbuf, b, oh, co0, blk, FPW, one);
      continue;
    }
    for (; co0 + FCO <= Co; co0 += FCO) fwd_row_chunk(a, xbuf, b, oh, co0, fwd_any_wide, FPW, fwd_any_wide_1);
    for (; co0 + 16 <= Co; co0 += 16) fwd_row_chunk(a, xbuf, b, oh, co0, fwd_any_16, FPW, fwd_any_16_1);
    if (co0 < Co) fwd_row_tail(a, xbuf, tmp, b, oh, co0);
  }
}

/* Below this many multiply-adds a call runs on one thread (waking a worker costs more). */
#define PARALLEL_MIN_MACS 500000.0

static int threads_for(double macs) { return macs < PARALLEL_MIN_MACS ? 1 : sgc_threads(); }

static int fwd_run(struct fwd_args *a) {
  const int t = threads_for((double)a->B * a->OH * a->OW * a->Co * a->Ci * a->KH * a->KW);
  const int tail = a->Co % 16, co0 = a->Co - tail;
  const size_t per_worker = PW_MAX * (size_t)a->Ci + PW_MAX * 16;
  const size_t taps = (size_t)a->KH * a->KW * a->Ci;
  a->scratch = malloc(sizeof(float) * (t * per_worker + (tail ? taps * 16 : 0)));
  if (!a->scratch) return -1;
  a->wpad = NULL;
  if (tail) {
    float *wpad = a->scratch + t * per_worker;
    memset(wpad, 0, sizeof(float) * taps * 16);
    for (size_t k = 0; k < taps; k++) memcpy(wpad + k * 16, a->w + k * a->Co + co0, sizeof(float) * tail);
    a->wpad = wpad;
  }
  par_for(a->B * a->OH, t, fwd_range, a);
  free(a->scratch);
  return 0;
}

static int bad_geometry(int B, int H, int W, int Ci, int OH, int OW, int Co, int KH, int KW, int dh, int dw) {
  return B < 0 || H < 0 || W < 0 || Ci < 1 || OH < 0 || OW < 0 || Co < 1 || KH < 1 || KW < 1 || dh < 1 || dw < 1;
}

/*
 * y [B,OH,OW,Co] = conv(x [B,H,W,Ci], w [KH,KW,Ci,Co]), stride 1, dilation (dh, dw), padding
 * (pt, pl) at the top/left (bottom/right padding follows from OH, OW). Returns 0, or -1 on bad
 * geometry or when scratch memory cannot be had.
 */
int sgc_forward(const float *x, const float *w, float *y, int B, int H, int W, int Ci, int OH, int OW, int Co,
                int KH, int KW, int pt, int pl, int dh, int dw) {
  if (bad_geometry(B, H, W, Ci, OH, OW, Co, KH, KW, dh, dw)) return -1;
  struct fwd_args a = {x, w, y, NULL, NULL, B, H, W, Ci, OH, OW, Co, KH, KW, pt, pl, dh, dw};
  return fwd_run(&a);
}

/*
 * dx [B,H,W,Ci] from dy [B,OH,OW,Co]: the forward kernel on dy with the filter flipped and
 * transposed to [KH,KW,Co,Ci] and padding (KH-1)*dh - pt, (KW-1)*dw - pl.
 */
int sgc_backprop_input(const float *dy, const float *w, float *dx, int B, int H, int W, int Ci, int OH, int OW,
                       int Co, int KH, int KW, int pt, int pl, int dh, int dw) {
  if (bad_geometry(B, H, W, Ci, OH, OW, Co, KH, KW, dh, dw)) return -1;
  float *wf = malloc(sizeof(float) * (size_t)KH * KW * Ci * Co);
  if (!wf) return -1;
  for (int kh = 0; kh < KH; kh++)
    for (int kw = 0; kw < KW; kw++) {
      const float *src = w + ((size_t)kh * KW + kw) * Ci * Co;
      float *dst = wf + ((size_t)(KH - 1 - kh) * KW + (KW - 1 - kw)) * Co * Ci;
      for (int ci = 0; ci < Ci; ci++)
        for (int co = 0; co < Co; co++) dst[(size_t)co * Ci + ci] = src[(size_t)ci * Co + co];
    }
  struct fwd_args a = {dy, wf, dx, NULL, NULL, B, OH, OW, Co, H, W, Ci, KH, KW, (KH - 1) * dh - pt, (KW - 1) * dw - pl,
                       dh, dw};
  const int rc = fwd_run(&a);
  free(wf);
  return rc;
}

/* ------------------------------------------------------------------------------------------- */
/* Filter gradient: dw[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh-pt+kh*dh, ow-pl+kw*dw, ci] * dy[b,oh,ow,co]. */

struct filt_args {
  const float *x, *dy;
  float *dwout;
  float *part; /* partial sums of parts 1.. (part 0 sums into dwout) */
  size_t fsize;
  int tile; /* output rows per tile */
  int ntiles, nparts;
  int B, H, W, Ci, OH, OW, Co, KH, KW, pt, pl, dh, dw;
};

/*
 * Accumulates one CB × CO block (input channels ci0.., output channels co0..) of tap (kh, kw)
 * over output rows [r0, r1), keeping the block in registers while the rows' pixels stream by.
 */
#define DEF_FILT(NAME, CI_, CO, LDW_, CB)                                                                   \
  static void NAME(const struct filt_args *a, float *restrict acc_out, int r0, int r1, int kh, int kw,      \
                   int ci0, int co0) {                                                                      \
    enum { NV = (CO) / VL };                                                                                \
    const int Ci = (CI_) ? (CI_) : a->Ci;                                                                   \
    const int ldw = (LDW_) ? (LDW_) : a->Co;                                                                \
    const int H = a->H, W = a->W, OH = a->OH, OW = a->OW;                                                   \
    const int shift = kw * a->dw - a->pl;                                                                   \
    int lo = -shift, hi = W - shift;                                                                        \
    if (lo < 0) lo = 0;                                                                                     \
    if (hi > OW) hi = OW;                                                                                   \
    if (hi <= lo) return;                                                                                   \
    vf acc[CB][NV];                                                                                         \
    float *restrict at = acc_out + ((size_t)(kh * a->KW + kw) * Ci + ci0) * ldw + co0;                      \
    UNROLL(16) for (int c = 0; c < CB; c++) UNROLL(4) for (int v = 0; v < NV; v++) acc[c][v] =              \
        vload(at + (size_t)c * ldw + v * VL);                                                               \
    for (int r = r0; r < r1; r++) {                                                                         \
      const int b = r / OH, oh = r % OH;                                                                    \
      const int ih = oh - a->pt + kh * a->dh;                                                               \
      if ((unsigned)ih >= (unsigned)H) continue;                                                            \
      const float *restrict xr = a->x + (((size_t)b * H + ih) * W + lo + shift) * Ci + ci0;                 \
      const float *restrict g = a->dy + ((size_t)r * OW + lo) * ldw + co0;                                  \
      for (int ow = lo; ow < hi; ow++, xr += Ci, g += ldw) {                                                \
        vf gv[NV];                                                                                          \
        UNROLL(4) for (int v = 0; v < NV; v++) gv[v] = vload(g + v * VL);                                   \
        UNROLL(16) for (int c = 0; c < CB; c++) {                                                           \
          const float s = xr[c];                                                                            \
          UNROLL(4) for (int v = 0; v < NV; v++) acc[c][v] += gv[v] * s;                                    \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
    UNROLL(16) for (int c = 0; c < CB; c++) UNROLL(4) for (int v = 0; v < NV; v++)                          \
      vstore(at + (size_t)c * ldw + v * VL, acc[c][v]);                                                     \
  }

typedef void (*filt_block_fn)(const struct filt_args *, float *, int, int, int, int, int, int);

/* Fixed sizes for Ci = Co = 16, 32, 64 (16 output channels a block); run-time strides otherwise. */
DEF_FILT(filt_16_16, 16, 16, 16, GCB)
DEF_FILT(filt_32_32, 32, 16, 32, GCB)
DEF_FILT(filt_64_64, 64, 16, 64, GCB)
DEF_FILT(filt_any, 0, 16, 0, GCB)
DEF_FILT(filt_any_4, 0, 16, 0, 4)
DEF_FILT(filt_any_1, 0, 16, 0, 1)

/* Scalar fallback for output channels [co0, Co) (fewer than 16), all input channels. */
static void filt_scalar(const struct filt_args *a, float *acc_out, int r0, int r1, int kh, int kw, int co0) {
  const int Ci = a->Ci, Co = a->Co, n = Co - co0;
  for (int r = r0; r < r1; r++) {
    const int b = r / a->OH, oh = r % a->OH;
    const int ih = oh - a->pt + kh * a->dh;
    if ((unsigned)ih >= (unsigned)a->H) continue;
    for (int ow = 0; ow < a->OW; ow++) {
      const int iw = ow - a->pl + kw * a->dw;
      if ((unsigned)iw >= (unsigned)a->W) continue;
      const float *xp = a->x + (((size_t)b * a->H + ih) * a->W + iw) * Ci;
      const float *g = a->dy + ((size_t)r * a->OW + ow) * Co + co0;
      float *at = acc_out + (size_t)(kh * a->KW + kw) * Ci * Co + co0;
      for (int ci = 0; ci < Ci; ci++)
        for (int c = 0; c < n; c++) at[(size_t)ci * Co + c] += xp[ci] * g[c];
    }
  }
}

/* All input channels of one 16-output-channel chunk: GCB at a time, then 4, then 1. */
static void filt_chunk(const struct filt_args *a, float *acc, int r0, int r1, int kh, int kw, int co0,
                       filt_block_fn blk) {
  int ci0 = 0;
  for (; ci0 + GCB <= a->Ci; ci0 += GCB) blk(a, acc, r0, r1, kh, kw, ci0, co0);
  for (; ci0 + 4 <= a->Ci; ci0 += 4) filt_any_4(a, acc, r0, r1, kh, kw, ci0, co0);
  for (; ci0 < a->Ci; ci0++) filt_any_1(a, acc, r0, r1, kh, kw, ci0, co0);
}

/* Parts [p0, p1): part p sums tiles [p·ntiles/nparts, (p+1)·ntiles/nparts) into its own buffer. */
static void filt_parts(void *ctx, int p0, int p1, int worker) {
  (void)worker;
  const struct filt_args *a = ctx;
  const int Ci = a->Ci, Co = a->Co, rows = a->B * a->OH;
  const filt_block_fn blk = Ci != Co ? filt_any
                            : Co == 16 ? filt_16_16 : Co == 32 ? filt_32_32 : Co == 64 ? filt_64_64 : filt_any;
  for (int p = p0; p < p1; p++) {
    float *acc = p == 0 ? a->dwout : a->part + (size_t)(p - 1) * a->fsize;
    const int t0 = (int)((long)a->ntiles * p / a->nparts), t1 = (int)((long)a->ntiles * (p + 1) / a->nparts);
    for (int t = t0; t < t1; t++) {
      const int r0 = t * a->tile, r1 = r0 + a->tile < rows ? r0 + a->tile : rows;
      for (int kh = 0; kh < a->KH; kh++)
        for (int kw = 0; kw < a->KW; kw++) {
          int co0 = 0;
          for (; co0 + 16 <= Co; co0 += 16) filt_chunk(a, acc, r0, r1, kh, kw, co0, blk);
          if (co0 < Co) filt_scalar(a, acc, r0, r1, kh, kw, co0);
        }
    }
  }
}

/* dw [KH,KW,Ci,Co] from x [B,H,W,Ci] and dy [B,OH,OW,Co]; same geometry arguments as sgc_forward. */
int sgc_backprop_filter(const float *x, const float *dy, float *dwout, int B, int H, int W, int Ci, int OH, int OW,
                        int Co, int KH, int KW, int pt, int pl, int dh, int dw) {
  if (bad_geometry(B, H, W, Ci, OH, OW, Co, KH, KW, dh, dw)) return -1;
  const size_t fsize = (size_t)KH * KW * Ci * Co;
  const int rows = B * OH;
  /* tiles of about 16 KiB of dy, so a tile's dy and x stay in L1/L2 across all taps and blocks */
  int tile = (int)(16384 / ((size_t)(OW > 0 ? OW : 1) * Co * sizeof(float)));
  if (tile < 1) tile = 1;
  const int ntiles = rows > 0 ? (rows + tile - 1) / tile : 0;
  const int t = threads_for((double)rows * OW * Co * Ci * KH * KW);
  /* A fixed split into parts with one partial sum each, added in order: the result depends neither
     on which thread ran which part (dynamic scheduling) nor on the thread count. */
  int nparts = FILT_PARTS;
  if (nparts > ntiles) nparts = ntiles > 0 ? ntiles : 1;
  float *part = NULL;
  if (nparts > 1) {
    part = calloc((size_t)(nparts - 1) * fsize, sizeof(float));
    if (!part) return -1;
  }
  struct filt_args a = {x, dy, dwout, part, fsize, tile, ntiles, nparts, B, H, W, Ci, OH, OW, Co, KH, KW, pt, pl, dh, dw};
  memset(dwout, 0, sizeof(float) * fsize);
  par_for(nparts, t, filt_parts, &a);
  for (int k = 1; k < nparts; k++) {
    const float *p = part + (size_t)(k - 1) * fsize;
    for (size_t i = 0; i < fsize; i++) dwout[i] += p[i];
  }
  free(part);
  return 0;
}

/* ------------------------------------------------------------------------------------------- */
/*
 * Batch normalisation with batch statistics over the rows of a row-major [R, C] matrix (NHWC
 * activations flattened), forward and backward, two passes each. Sums are in double, over a fixed
 * split into BN_PARTS row ranges added in order, so results do not depend on the thread count.
 */
#define BN_PARTS 16
#define BN_MAX_C 1024

struct bn_args {
  const float *x, *gamma, *beta, *dy;
  float *y, *dx;
  const double *mean, *rstd, *gsum; /* gsum: [dbeta | dgamma] */
  double *part;                       /* per-part partial sums: 2·C doubles each */
  int R, C, parts;
};

static void bn_stats_parts(void *ctx, int p0, int p1, int worker) {
  (void)worker;
  const struct bn_args *a = ctx;
  for (int p = p0; p < p1; p++) {
    double *s = a->part + (size_t)p * 2 * a->C, *s2 = s + a->C;
    const int r0 = (int)((long)a->R * p / a->parts), r1 = (int)((long)a->R * (p + 1) / a->parts);
    for (int r = r0; r < r1; r++) {
      const float *row = a->x + (size_t)r * a->C;
      for (int c = 0; c < a->C; c++) {
        const double v = row[c];
        s[c] += v;
        s2[c] += v * v;
      }
    }
  }
}

static void bn_apply_range(void *ctx, int r0, int r1, int worker) {
  (void)worker;
  const struct bn_args *a = ctx;
  const int C = a->C;
  float sc[BN_MAX_C], sh[BN_MAX_C];
  for (int c = 0; c < C; c++) {
    sc[c] = (float)(a->gamma[c] * a->rstd[c]);
    sh[c] = (float)(a->beta[c] - a->mean[c] * a->gamma[c] * a->rstd[c]);
  }
  for (int r = r0; r < r1; r++) {
    const float *row = a->x + (size_t)r * C;
    float *out = a->y + (size_t)r * C;
    for (int c = 0; c < C; c++) out[c] = row[c] * sc[c] + sh[c];
  }
}

/* Sum the per-part partials of one statistic pair into out0/out1 (in part order). */
static void bn_reduce(const struct bn_args *a, double *out0, double *out1) {
  for (int c = 0; c < a->C; c++) {
    double s = 0, s2 = 0;
    for (int k = 0; k < a->parts; k++) {
      s += a->part[(size_t)k * 2 * a->C + c];
      s2 += a->part[(size_t)k * 2 * a->C + a->C + c];
    }
    out0[c] = s;
    out1[c] = s2;
  }
}

/* y = γ(x−μ)/√(σ²+ε) + β; writes μ and the biased σ² (float) for running averages. 0 or -1. */
int sgc_bn_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean_out, float *var_out,
                   int R, int C, float eps) {
  if (C < 1 || C > BN_MAX_C || R < 1) return -1;
  const int parts = R < BN_PARTS ? R : BN_PARTS;
  double *part = calloc((size_t)parts * 2 * C + 4 * (size_t)C, sizeof(double));
  if (!part) return -1;
  double *mean = part + (size_t)parts * 2 * C, *rstd = mean + C, *s = rstd + C, *s2 = s + C;
  struct bn_args a = {x, gamma, beta, NULL, y, NULL, mean, rstd, NULL, part, R, C, parts};
  const int t = threads_for((double)R * C);
  par_for(parts, t, bn_stats_parts, &a);
  bn_reduce(&a, s, s2);
  for (int c = 0; c < C; c++) {
    const double m = s[c] / R;
    double v = s2[c] / R - m * m;
    if (v < 0) v = 0;
    mean[c] = m;
    rstd[c] = 1.0 / sqrt(v + eps);
    mean_out[c] = (float)m;
    var_out[c] = (float)v;
  }
  par_for(R, t, bn_apply_range, &a);
  free(part);
  return 0;
}

static void bn_gsum_parts(void *ctx, int p0, int p1, int worker) {
  (void)worker;
  const struct bn_args *a = ctx;
  const int C = a->C;
  for (int p = p0; p < p1; p++) {
    double *db = a->part + (size_t)p * 2 * C, *dg = db + C;
    const int r0 = (int)((long)a->R * p / a->parts), r1 = (int)((long)a->R * (p + 1) / a->parts);
    for (int r = r0; r < r1; r++) {
      const float *g = a->dy + (size_t)r * C, *row = a->x + (size_t)r * C;
      for (int c = 0; c < C; c++) {
        db[c] += g[c];
        dg[c] += g[c] * ((row[c] - a->mean[c]) * a->rstd[c]);
      }
    }
  }
}

static void bn_dx_range(void *ctx, int r0, int r1, int worker) {
  (void)worker;
  const struct bn_args *a = ctx;
  const int C = a->C;
  float k1[BN_MAX_C], k2[BN_MAX_C], k3[BN_MAX_C], mu[BN_MAX_C], rs[BN_MAX_C];
  for (int c = 0; c < C; c++) {
    k1[c] = (float)(a->gamma[c] * a->rstd[c]);
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

/* dx, dγ, dβ of sgc_bn_forward given dy and the forward's x, μ, σ². 0 or -1. */
int sgc_bn_backward(const float *dy, const float *x, const float *mean_in, const float *var_in, const float *gamma,
                    float *dx, float *dgamma, float *dbeta, int R, int C, float eps) {
  if (C < 1 || C > BN_MAX_C || R < 1) return -1;
  const int parts = R < BN_PARTS ? R : BN_PARTS;
  double *part = calloc((size_t)parts * 2 * C + 4 * (size_t)C, sizeof(double));
  if (!part) return -1;
  double *mean = part + (size_t)parts * 2 * C, *rstd = mean + C, *gsum = rstd + C;
  for (int c = 0; c < C; c++) {
    mean[c] = mean_in[c];
    rstd[c] = 1.0 / sqrt((double)var_in[c] + eps);
  }
  struct bn_args a = {x, gamma, NULL, dy, NULL, dx, mean, rstd, gsum, part, R, C, parts};
  const int t = threads_for((double)R * C);
  par_for(parts, t, bn_gsum_parts, &a);
  bn_reduce(&a, gsum, gsum + C);
  for (int c = 0; c < C; c++) {
    dbeta[c] = (float)gsum[c];
    dgamma[c] = (float)gsum[C + c];
  }
  par_for(R, t, bn_dx_range, &a);
  free(part);
  return 0;
}

/* ------------------------------------------------------------------------------------------- */
/*
 * Optimizer updates in place, PyTorch's rules (lib/train/optim.ts): one pass over the parameters,
 * their gradients and slots instead of a JavaScript loop (Adam's divisions and square root cost
 * ~8 ns an element there: 6 ms of a 13 ms MLP step). The arithmetic is the JavaScript loop's —
 * double intermediates, float32 stores, same order, no fused multiply-adds — so the results are
 * the same bits. Elements are independent: any split over threads gives the same result.
 */
#if defined(__clang__)
#define NO_CONTRACT _Pragma("clang fp contract(off)")
#define NO_CONTRACT_FN
#else
#define NO_CONTRACT
#define NO_CONTRACT_FN __attribute__((optimize("fp-contract=off")))
#endif

#define OPT_BLOCK 4096

struct opt_args {
  float *p, *m, *v;
  const float *g;
  long n;
  double lr, b1, b2, eps, wd, c1, c2;
  int first, nesterov;
};

NO_CONTRACT_FN static void adam_range(void *ctx, int k0, int k1, int worker) {
  NO_CONTRACT
  (void)worker;
  const struct opt_args *a = ctx;
  const long i0 = (long)k0 * OPT_BLOCK, i1 = (long)k1 * OPT_BLOCK < a->n ? (long)k1 * OPT_BLOCK : a->n;
  float *restrict p = a->p, *restrict m = a->m, *restrict v = a->v;
  const float *restrict g = a->g;
  const double b1 = a->b1, b2 = a->b2, ob1 = 1 - a->b1, ob2 = 1 - a->b2, lr = a->lr, eps = a->eps, wd = a->wd,
               c1 = a->c1, c2 = a->c2;
  for (long i = i0; i < i1; i++) {
    const double d = (double)g[i] + wd * (double)p[i];
    m[i] = (float)(b1 * (double)m[i] + ob1 * d);
    v[i] = (float)(b2 * (double)v[i] + ob2 * d * d);
    p[i] = (float)((double)p[i] - lr * ((double)m[i] / c1) / (sqrt((double)v[i] / c2) + eps));
  }
}

/* Adam step on n parameters: m, v are the moment slots; c1, c2 the bias corrections 1−β^t. 0 or -1. */
int sgc_adam(float *p, const float *g, float *m, float *v, int n, double lr, double b1, double b2, double eps,
             double wd, double c1, double c2) {
  if (n < 0) return -1;
  struct opt_args a = {p, m, v, g, n, lr, b1, b2, eps, wd, c1, c2, 0, 0};
  const int blocks = (int)((n + OPT_BLOCK - 1) / OPT_BLOCK);
  par_for(blocks, threads_for(8.0 * n), adam_range, &a);
  return 0;
}

NO_CONTRACT_FN static void sgd_range(void *ctx, int k0, int k1, int worker) {
  NO_CONTRACT
  (void)worker;
  const struct opt_args *a = ctx;
  const long i0 = (long)k0 * OPT_BLOCK, i1 = (long)k1 * OPT_BLOCK < a->n ? (long)k1 * OPT_BLOCK : a->n;
  float *restrict p = a->p, *restrict buf = a->m;
  const float *restrict g = a->g;
  const double lr = a->lr, mom = a->b1, wd = a->wd;
  for (long i = i0; i < i1; i++) {
    double d = (double)g[i] + wd * (double)p[i];
    if (buf) {
      buf[i] = (float)(a->first ? d : mom * (double)buf[i] + d);
      d = a->nesterov ? d + mom * (double)buf[i] : (double)buf[i];
    }
    p[i] = (float)((double)p[i] - lr * d);
  }
}

/*
 * SGD step on n parameters with momentum buffer `buf` (NULL: no momentum), PyTorch's rule: the
 * buffer starts as the first gradient (`first` = 1 on the first step). 0 or -1.
 */
int sgc_sgd(float *p, const float *g, float *buf, int n, double lr, double momentum, double wd, int first,
            int nesterov) {
  if (n < 0) return -1;
  struct opt_args a = {p, buf, NULL, g, n, lr, momentum, 0, 0, wd, 0, 0, first, nesterov};
  const int blocks = (int)((n + OPT_BLOCK - 1) / OPT_BLOCK);
  par_for(blocks, threads_for(4.0 * n), sgd_range, &a);
  return 0;
}

/* ------------------------------------------------------------------------------------------- */
/*
 * ReLU's gradient in one pass: dx = dy·step(x), the bits of tfjs' mul(dy, cast(step(x))) (step is
 * 1 for x > 0, 0 otherwise, NaN for NaN), which on the wasm backend is three kernels, two of them
 * allocating full-size temporaries.
 */
struct relu_args {
  const float *dy, *x;
  float *dx;
  long n;
};

static void relu_grad_range(void *ctx, int k0, int k1, int worker) {
  (void)worker;
  const struct relu_args *a = ctx;
  const long i0 = (long)k0 * OPT_BLOCK, i1 = (long)k1 * OPT_BLOCK < a->n ? (long)k1 * OPT_BLOCK : a->n;
  const float *restrict dy = a->dy, *restrict x = a->x;
  float *restrict dx = a->dx;
  for (long i = i0; i < i1; i++) {
    float s = x[i] > 0 ? 1.0f : 0.0f;
    if (x[i] != x[i]) s = x[i];
    dx[i] = dy[i] * s;
  }
}

/* dx[i] = dy[i]·step(x[i]) over n floats (dx may be dy). 0 or -1. */
int sgc_relu_grad(const float *dy, const float *x, float *dx, int n) {
  if (n < 0) return -1;
  struct relu_args a = {dy, x, dx, n};
  const int blocks = (int)((n + OPT_BLOCK - 1) / OPT_BLOCK);
  par_for(blocks, threads_for(2.0 * n), relu_grad_range, &a);
  return 0;
}

/* ------------------------------------------------------------------------------------------- */
/*
 * A dense layer's epilogue in place: y[r,c] = act(y[r,c] + bias[c]) over a row-major [rows, cols]
 * matrix just written by sgemm, while it is still in cache. The bits of tfjs' Add (bias broadcast)
 * then Relu, which on the wasm backend are two kernels each allocating a full-size output. ReLU
 * maps x < 0 to +0 and keeps everything else (NaN stays NaN, as in PyTorch).
 */
struct bias_act_args {
  float *y;
  const float *bias;
  long rows, cols;
  int relu;
};

static void bias_act_range(void *ctx, int r0, int r1, int worker) {
  (void)worker;
  const struct bias_act_args *a = ctx;
  const long cols = a->cols;
  const float *restrict b = a->bias;
  for (long r = r0; r < r1; r++) {
    float *restrict y = a->y + r * cols;
    if (b)
      for (long c = 0; c < cols; c++) y[c] += b[c];
    if (a->relu)
      for (long c = 0; c < cols; c++) y[c] = y[c] < 0 ? 0.0f : y[c];
  }
}

/* y = act(y + bias) in place (bias NULL: none; relu 0 or 1). 0 or -1. */
int sgc_bias_act(float *y, const float *bias, int rows, int cols, int relu) {
  if (rows < 0 || cols < 0) return -1;
  struct bias_act_args a = {y, bias, rows, cols, relu != 0};
  par_for(rows, threads_for(2.0 * rows * cols), bias_act_range, &a);
  return 0;
}
