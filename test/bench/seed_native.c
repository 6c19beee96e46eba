/*
 * The seed's workload in C: how fast this machine runs one full-batch iteration of the 784-10-10 network when
 * the compiler, not V8, writes the machine code. A yardstick for the benchmark's seed row, not part of digits.
 *
 * It does what `digits train --preset seed` does each iteration, the way digits does it: the 41,000 training
 * rows kept as compressed sparse rows (Uint16 pixel indices, Uint8 values, scaled by 1/255 on the fly), split
 * into one contiguous slice per thread; per row, the first layer's forward product over the non-zero pixels (ten
 * running sums), ReLU, the 10x10 output layer, a stable softmax and cross-entropy, and back again, adding the
 * first layer's weight gradient over the same pixels; then the threads' gradients are added up and a gradient
 * descent step (alpha 0.1) is taken. Weights start uniform in [-0.5, 0.5]; the first 1000 rows are held out.
 *
 * Built twice by run.mjs, so that the table can say where the time limit lies:
 *   scalar   cc -O2 -fno-tree-vectorize -fno-tree-slp-vectorize -ffp-contract=off
 *            one double operation at a time, as V8 runs digits' Float64Array loops (JavaScript has no SIMD);
 *   simd128  cc -O3 -mno-avx -ffp-contract=off
 *            vectorised two doubles at a time (SSE2), the width of WebAssembly's SIMD.
 *
 * Not here: reading CSV properly (a plain numeric reader, label column first), shuffling, anything but timing.
 *
 * Output, like seed_numpy.py: `BENCH {json}` lines on stderr, one after every tenth iteration with the seconds
 * since training began, so the slope between two of them leaves loading and start-up out.
 *
 * Usage: seed_native train.csv [--iterations 121] [--threads 2]
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { I = 784, H = 10, K = 10, HELD_OUT = 1000 };

/* The ten sums of a pixel's loop kept in registers, as digits' hand-unrolled loops keep them in locals. */
#define UNROLLED _Pragma("GCC unroll 10")

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *message) {
  fprintf(stderr, "seed_native: %s\n", message);
  exit(2);
}

/* Training rows as compressed sparse rows: row r's pixels are indices/values[offsets[r] .. offsets[r+1]). */
typedef struct {
  int rows;
  uint32_t *offsets;
  uint16_t *indices;
  uint8_t *values;
  uint8_t *labels;
} SparseRows;

/* Reads label,pixel0..pixel783 lines after the header, skipping the first HELD_OUT rows. */
static SparseRows read_rows(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) die("cannot open the CSV file");
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (!text || fread(text, 1, (size_t)size, file) != (size_t)size) die("cannot read the CSV file");
  fclose(file);
  text[size] = '\n';
  long lines = 0;
  for (long k = 0; k < size; k++) lines += text[k] == '\n';
  SparseRows data = {0};
  data.offsets = malloc(sizeof(uint32_t) * (size_t)(lines + 1));
  data.indices = malloc(sizeof(uint16_t) * (size_t)lines * I);
  data.values = malloc((size_t)lines * I);
  data.labels = malloc((size_t)lines);
  char *header = memchr(text, '\n', (size_t)size);
  if (!header) die("the CSV file has no data rows");
  char *at = header + 1;
  char *end = text + size;
  int seen = 0;
  uint32_t nonZero = 0;
  while (at < end) {
    if (*at == '\n' || *at == '\r') { at++; continue; }
    int fields[I + 1];
    for (int f = 0; f <= I; f++) {
      int value = 0;
      while (*at >= '0' && *at <= '9') value = value * 10 + (*at++ - '0');
      fields[f] = value;
      if (*at == ',') at++;
    }
    while (at < end && *at != '\n') at++;
    if (seen++ < HELD_OUT) continue;
    data.labels[data.rows] = (uint8_t)fields[0];
    data.offsets[data.rows] = nonZero;
    for (int i = 0; i < I; i++) {
      if (fields[i + 1] == 0) continue;
      data.indices[nonZero] = (uint16_t)i;
      data.values[nonZero] = (uint8_t)fields[i + 1];
      nonZero++;
    }
    data.rows++;
  }
  data.offsets[data.rows] = nonZero;
  free(text);
  if (data.rows == 0) die("no rows left to train on after the 1000 held out");
  return data;
}

/* w1 (I,H), b1 (H), w2 (H,K), b2 (K): digits' layout, input i's outgoing weights contiguous. */
typedef struct {
  double w1[I * H], b1[H], w2[H * K], b2[K];
} Parameters;

typedef struct {
  const SparseRows *data;
  const Parameters *params;
  Parameters grads;
  int start, end;
  double lossSum;
  int correct;
} Slice;

/* The gradient of the summed cross-entropy of rows [start, end), scaled by 1/rows, into slice->grads. */
static void slice_gradient(Slice *slice) {
  const SparseRows *data = slice->data;
  const Parameters *p = slice->params;
  Parameters *g = &slice->grads;
  memset(g, 0, sizeof *g);
  const double scale = 1.0 / 255.0;
  const double lossScale = 1.0 / data->rows;
  double lossSum = 0;
  int correct = 0;
  for (int r = slice->start; r < slice->end; r++) {
    const uint32_t from = data->offsets[r], to = data->offsets[r + 1];
    double z[H], a[H], logits[K], d[K], back[H];
    for (int h = 0; h < H; h++) z[h] = p->b1[h];
    for (uint32_t q = from; q < to; q++) {
      const double x = data->values[q] * scale;
      const double *w = p->w1 + data->indices[q] * H;
      UNROLLED for (int h = 0; h < H; h++) z[h] += x * w[h];
    }
    for (int h = 0; h < H; h++) a[h] = z[h] > 0 ? z[h] : 0;
    for (int k = 0; k < K; k++) logits[k] = p->b2[k];
    for (int h = 0; h < H; h++) {
      if (!(a[h] > 0)) continue;
      for (int k = 0; k < K; k++) logits[k] += a[h] * p->w2[h * K + k];
    }
    double max = logits[0];
    int best = 0;
    for (int k = 1; k < K; k++) {
      if (logits[k] > max) { max = logits[k]; best = k; }
    }
    double sum = 0;
    for (int k = 0; k < K; k++) { d[k] = exp(logits[k] - max); sum += d[k]; }
    const int label = data->labels[r];
    lossSum += log(sum) + max - logits[label];
    correct += best == label;
    for (int k = 0; k < K; k++) d[k] = d[k] / sum * lossScale;
    d[label] -= lossScale;
    for (int k = 0; k < K; k++) g->b2[k] += d[k];
    for (int h = 0; h < H; h++) {
      back[h] = 0;
      if (!(a[h] > 0)) continue;
      for (int k = 0; k < K; k++) {
        back[h] += d[k] * p->w2[h * K + k];
        g->w2[h * K + k] += a[h] * d[k];
      }
    }
    for (int h = 0; h < H; h++) g->b1[h] += back[h];
    for (uint32_t q = from; q < to; q++) {
      const double x = data->values[q] * scale;
      double *w = g->w1 + data->indices[q] * H;
      UNROLLED for (int h = 0; h < H; h++) w[h] += x * back[h];
    }
  }
  slice->lossSum = lossSum;
  slice->correct = correct;
}

static void *run_slice(void *slice) {
  slice_gradient(slice);
  return NULL;
}

static uint64_t random_state = 42;
static double uniform(void) {
  random_state = random_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(random_state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
  const char *path = NULL;
  int iterations = 121, threads = 2;
  for (int k = 1; k < argc; k++) {
    if (!strcmp(argv[k], "--iterations") && k + 1 < argc) iterations = atoi(argv[++k]);
    else if (!strcmp(argv[k], "--threads") && k + 1 < argc) threads = atoi(argv[++k]);
    else if (!path) path = argv[k];
    else die("usage: seed_native train.csv [--iterations 121] [--threads 2]");
  }
  if (!path || iterations < 1 || threads < 1 || threads > 64) die("usage: seed_native train.csv [--iterations 121] [--threads 2]");
  const double loadStarted = seconds_now();
  SparseRows data = read_rows(path);
  fprintf(stderr, "BENCH {\"event\": \"loaded\", \"seconds\": %.6f, \"train_rows\": %d, \"nonzero\": %u}\n",
          seconds_now() - loadStarted, data.rows, data.offsets[data.rows]);

  Parameters *params = malloc(sizeof *params);
  double *flat = (double *)params;
  for (size_t k = 0; k < sizeof *params / sizeof(double); k++) flat[k] = uniform() - 0.5;
  Slice *slices = calloc((size_t)threads, sizeof *slices);
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  for (int t = 0; t < threads; t++) {
    slices[t].data = &data;
    slices[t].params = params;
    slices[t].start = (int)((long)t * data.rows / threads);
    slices[t].end = (int)((long)(t + 1) * data.rows / threads);
  }

  const double started = seconds_now();
  for (int i = 0; i < iterations; i++) {
    for (int t = 1; t < threads; t++) {
      if (pthread_create(&ids[t], NULL, run_slice, &slices[t]) != 0) die("cannot start a thread");
    }
    slice_gradient(&slices[0]);
    for (int t = 1; t < threads; t++) pthread_join(ids[t], NULL);
    double lossSum = 0;
    int correct = 0;
    for (int t = 0; t < threads; t++) { lossSum += slices[t].lossSum; correct += slices[t].correct; }
    const size_t count = sizeof *params / sizeof(double);
    for (size_t k = 0; k < count; k++) {
      double sum = 0;
      for (int t = 0; t < threads; t++) sum += ((const double *)&slices[t].grads)[k];
      flat[k] -= 0.1 * sum;
    }
    if (i % 10 == 0) {
      fprintf(stderr, "BENCH {\"event\": \"iteration\", \"iterations\": %d, \"seconds\": %.6f, \"loss\": %.6f, \"accuracy\": %.6f}\n",
              i + 1, seconds_now() - started, lossSum / data.rows, (double)correct / data.rows);
    }
  }
  fprintf(stderr, "BENCH {\"event\": \"done\", \"iterations\": %d, \"seconds\": %.6f}\n", iterations, seconds_now() - started);
  return 0;
}
