// The plan's kernels for CUDA, compiled at run time by NVRTC (no nvcc at build time). Each is
// the twin of a function of `cpu.rs`, over the same buffer layouts and the same control block:
//
//   control[0]                                  the step's position
//   control[tokens + r]                         row r's token
//   control[sentence + r]                       row r's sentence
//   control[ancestry + t * rows + r]            the row r descends from at position t
//   control[source_start + s]                   where sentence s's source tokens start (s+1: end)
//
// No launch argument depends on the step (only on the plan), so a captured graph replays them.
// Activations and weights are stored as T (half by default, `float` for parity); sums,
// softmax, LayerNorm statistics and the logits are float32.
//
// Compiled once for each storage type: the host defines T_HALF (or not) before this file.

// No headers: NVRTC has no built-in cuda_fp16.h, and the GPU machine may have no toolkit. A
// half is its 16 bits, converted by the PTX instructions themselves (round to nearest even).
typedef unsigned short half_bits;

__device__ __forceinline__ float half_to_float(half_bits h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ half_bits float_to_half(float f) {
    half_bits h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

#define NEG_INF __int_as_float(0xff800000)

#ifdef T_HALF
typedef half_bits T;
#define TO_F(x) half_to_float(x)
#define FROM_F(x) float_to_half(x)
#else
typedef float T;
#define TO_F(x) (x)
#define FROM_F(x) (x)
#endif

typedef unsigned int u32;

struct Layout {
    u32 rows;
    u32 tokens;
    u32 sentence;
    u32 ancestry;
    u32 source_start;
};

template <typename V>
__device__ __forceinline__ V warp_sum(V v) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffff, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024), in float or (search's
// normalizers) double; every thread gets the result.
template <typename V>
__device__ V block_sum(V v, V* shared) {
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    V total = 0;
    for (int w = 0; w < warps; ++w) total += shared[w];
    return total;
}

// Max over the block (NaNs ignored, as fmaxf does); every thread gets the result.
__device__ float block_max(float v, float* shared) {
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    float m = NEG_INF;
    for (int w = 0; w < warps; ++w) m = fmaxf(m, shared[w]);
    return m;
}

// Row r <- table[token r] * scale + positions[position].   grid: rows, block: 256
extern "C" __global__ void embed(const T* table, const float* positions, float scale,
                                 const u32* control, Layout c, u32 d, T* out) {
    u32 r = blockIdx.x;
    u32 token = control[c.tokens + r];
    u32 position = control[0];
    for (u32 i = threadIdx.x; i < d; i += blockDim.x) {
        float e = TO_F(table[(size_t)token * d + i]);
        out[(size_t)r * d + i] = FROM_F(e * scale + positions[(size_t)position * d + i]);
    }
}

// x <- x + bias, rows x n.   grid: (ceil(n / 256), rows), block: 256
extern "C" __global__ void add_bias(T* x, const T* bias, u32 n) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        size_t at = (size_t)blockIdx.y * n + i;
        x[at] = FROM_F(TO_F(x[at]) + TO_F(bias[i]));
    }
}

// Output projection bias into the float32 logits.   grid: (ceil(vocab / 256), rows)
extern "C" __global__ void add_bias_f32(float* x, const float* bias, u32 n) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[(size_t)blockIdx.y * n + i] += bias[i];
}

// The K and V of each row's Q|K|V into the caches at the step's position.
// grid: rows, block: 256
extern "C" __global__ void store_kv(const T* qkv, const u32* control, Layout c, u32 d,
                                    T* keys, T* values) {
    u32 r = blockIdx.x;
    size_t at = ((size_t)control[0] * c.rows + r) * d;
    for (u32 i = threadIdx.x; i < d; i += blockDim.x) {
        keys[at + i] = qkv[(size_t)r * 3 * d + d + i];
        values[at + i] = qkv[(size_t)r * 3 * d + 2 * d + i];
    }
}

// One query (head `blockIdx.y` of row `blockIdx.x`) over n keys and values: scores in shared
// memory (n floats, at most the plan's longest), max-shifted softmax, weighted sum of values.
// `key_row(t)` / `value_row(t)` are row offsets (in values) of key t's and value t's row.
// block: 128 threads (4 warps); dynamic shared memory: (longest + 32) floats.
template <typename KeyAt>
__device__ void attend(const T* query, const T* keys, const T* values, u32 n, u32 head_dim,
                       u32 head, float scaling, KeyAt key_at, T* out) {
    extern __shared__ float scratch[];
    float* scores = scratch + 32;
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    const T* q = query + head * head_dim;
    for (u32 t = warp; t < n; t += warps) {
        const T* k = keys + key_at(t) + head * head_dim;
        float dot = 0.0f;
        for (u32 i = lane; i < head_dim; i += 32) dot += TO_F(q[i]) * TO_F(k[i]);
        dot = warp_sum(dot);
        if (lane == 0) scores[t] = dot * scaling;
    }
    __syncthreads();
    float m = NEG_INF;
    for (u32 t = threadIdx.x; t < n; t += blockDim.x) m = fmaxf(m, scores[t]);
    m = block_max(m, scratch);
    float s = 0.0f;
    for (u32 t = threadIdx.x; t < n; t += blockDim.x) {
        float e = __expf(scores[t] - m);
        scores[t] = e;
        s += e;
    }
    s = block_sum(s, scratch);
    float inv = 1.0f / s;
    for (u32 i = threadIdx.x; i < head_dim; i += blockDim.x) {
        float acc = 0.0f;
        for (u32 t = 0; t < n; ++t) acc += scores[t] * TO_F(values[key_at(t) + head * head_dim + i]);
        out[head * head_dim + i] = FROM_F(acc * inv);
    }
}

struct SelfKeyAt {
    const u32* control;
    Layout c;
    u32 r, d;
    __device__ size_t operator()(u32 t) const {
        return ((size_t)t * c.rows + control[c.ancestry + t * c.rows + r]) * d;
    }
};

struct CrossKeyAt {
    u32 start, d;
    __device__ size_t operator()(u32 t) const { return ((size_t)start + t) * 2 * d; }
};

// Self-attention of each row over positions 0..=position, following its ancestry.
// grid: (rows, heads), block: 128
extern "C" __global__ void self_attention(const T* qkv, const T* keys, const T* values,
                                          const u32* control, Layout c, u32 d, u32 heads,
                                          float scaling, T* out) {
    u32 r = blockIdx.x, head = blockIdx.y;
    SelfKeyAt at = {control, c, r, d};
    attend(qkv + (size_t)r * 3 * d, keys, values, control[0] + 1, d / heads, head, scaling, at,
           out + (size_t)r * d);
}

// Cross-attention of each row over its sentence's source tokens (K|V side by side).
// grid: (rows, heads), block: 128
extern "C" __global__ void cross_attention(const T* q, const T* kv, const u32* control,
                                           Layout c, u32 d, u32 heads, float scaling, T* out) {
    u32 r = blockIdx.x, head = blockIdx.y;
    u32 sentence = control[c.sentence + r];
    u32 start = control[c.source_start + sentence];
    u32 end = control[c.source_start + sentence + 1];
    CrossKeyAt at = {start, d};
    attend(q + (size_t)r * d, kv, kv + d, end - start, d / heads, head, scaling, at,
           out + (size_t)r * d);
}

// h <- LayerNorm(h + x + bias) * gamma + beta, statistics in float32.
// grid: rows, block: 256; dynamic shared memory: d floats + 32
extern "C" __global__ void bias_residual_norm(T* x, const T* bias, T* h, const float* gamma,
                                              const float* beta, u32 d) {
    extern __shared__ float shared[];
    float* row = shared + 32;
    u32 r = blockIdx.x;
    float sum = 0.0f, sum2 = 0.0f;
    for (u32 i = threadIdx.x; i < d; i += blockDim.x) {
        float projected = TO_F(x[(size_t)r * d + i]) + TO_F(bias[i]);
        float v = TO_F(h[(size_t)r * d + i]) + projected;
        row[i] = v;
        sum += v;
        sum2 += v * v;
    }
    sum = block_sum(sum, shared);
    __syncthreads();
    sum2 = block_sum(sum2, shared);
    float mean = sum / d;
    float var = sum2 / d - mean * mean;
    float inv_std = rsqrtf(var + 1e-5f);
    for (u32 i = threadIdx.x; i < d; i += blockDim.x)
        h[(size_t)r * d + i] = FROM_F((row[i] - mean) * inv_std * gamma[i] + beta[i]);
}

// x <- activation(x + bias), rows x n.  activation: 0 relu, 1 swish, 2 gelu (erf), 3 gelu (tanh)
// grid: (ceil(n / 256), rows), block: 256
extern "C" __global__ void bias_activation(T* x, const T* bias, u32 n, u32 activation) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    size_t at = (size_t)blockIdx.y * n + i;
    float v = TO_F(x[at]) + TO_F(bias[i]);
    switch (activation) {
        case 0: v = fmaxf(v, 0.0f); break;
        case 1: v = v / (1.0f + __expf(-v)); break;
        case 2: v = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); break;
        default: {
            float inner = 0.7978845608028654f * (v + 0.044715f * v * v * v);
            v = 0.5f * v * (1.0f + tanhf(inner));
        }
    }
    x[at] = FROM_F(v);
}

// Float32 <-> storage conversions (weights uploaded in float32 and narrowed on the device).
extern "C" __global__ void narrow(const float* from, T* to, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) to[i] = FROM_F(from[i]);
}

extern "C" __global__ void widen(const T* from, float* to, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) to[i] = TO_F(from[i]);
}

// Rows gathered: to[r] <- from[index[r]] (d values each), for compacting finished rows.
// grid: rows, block: 256
extern "C" __global__ void copy_rows(const T* from, const u32* index, u32 d, T* to) {
    u32 r = blockIdx.x;
    for (u32 i = threadIdx.x; i < d; i += blockDim.x)
        to[(size_t)r * d + i] = from[(size_t)index[r] * d + i];
}

// ---- Search on the device: the twins are in select.rs ----
// A step's candidates picked from the float32 logits (overwritten with the processed scores)
// under each row's edits, `stride` words a row: live, penalized count, banned count, forced token
// (NO_TOKEN: none), the running score's bits; then the penalized tokens, then the banned. Only
// the candidates leave the device: (token or flat index, log-probability bits) pairs.

#define NO_TOKEN 0xffffffffu
#define NAN_BITS 0x7fc00000u
// The most candidates a row keeps (2 * beams): select.rs's MAX_DEVICE_K.
#define MAX_K 32

// Whether (v, i) ranks before (w, j): a higher score, or an equal one at a lower index.
__device__ __forceinline__ bool ranks_before(float v, u32 i, float w, u32 j) {
    return v > w || (v == w && i < j);
}

__device__ __forceinline__ void warp_best(float& v, u32& i) {
    for (int o = 16; o > 0; o /= 2) {
        float w = __shfl_xor_sync(0xffffffff, v, o);
        u32 j = __shfl_xor_sync(0xffffffff, i, o);
        if (ranks_before(w, j, v, i)) {
            v = w;
            i = j;
        }
    }
}

// The block's best (value, index); every thread gets it.
__device__ void block_best(float& v, u32& i, float* sv, u32* si) {
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    warp_best(v, i);
    __syncthreads();
    if (lane == 0) {
        sv[warp] = v;
        si[warp] = i;
    }
    __syncthreads();
    v = sv[0];
    i = si[0];
    for (int w = 1; w < warps; ++w)
        if (ranks_before(sv[w], si[w], v, i)) {
            v = sv[w];
            i = si[w];
        }
}

// The row's max (NaNs ignored) into *m and log sum e^(x - max) into *ls, the sum in float64 as
// the host's; *ls is 0 when the row is all -inf.
__device__ void normalizer(const float* row, u32 n, float* m, float* ls, float* sv, double* sd) {
    float mx = NEG_INF;
    for (u32 i = threadIdx.x; i < n; i += blockDim.x) mx = fmaxf(mx, row[i]);
    mx = block_max(mx, sv);
    *m = mx;
    *ls = 0.0f;
    if (mx == NEG_INF) return;
    double s = 0.0;
    for (u32 i = threadIdx.x; i < n; i += blockDim.x) s += (double)expf(row[i] - mx);
    *ls = (float)log(block_sum(s, sd));
}

// row <- log_softmax(row) in place, as the host's: (x - max) - log_sum; all -inf stays.
__device__ void log_softmax_row(float* row, u32 n, float* sv, double* sd) {
    float m, ls;
    normalizer(row, n, &m, &ls, sv, sd);
    if (m == NEG_INF) return;
    for (u32 i = threadIdx.x; i < n; i += blockDim.x) row[i] = row[i] - m - ls;
    __syncthreads();
}

__device__ void penalize(float* row, const u32* tokens, u32 n, float penalty) {
    for (u32 i = threadIdx.x; i < n; i += blockDim.x) {
        float s = row[tokens[i]];
        row[tokens[i]] = s < 0.0f ? s * penalty : s / penalty;
    }
    __syncthreads();
}

__device__ void ban(float* row, const u32* tokens, u32 n) {
    for (u32 i = threadIdx.x; i < n; i += blockDim.x) row[tokens[i]] = NEG_INF;
    __syncthreads();
}

// Greedy: per row its processed argmax (first index on ties) and log-probability; finished rows
// (not live) pick NO_TOKEN.   grid: rows, block: 256
extern "C" __global__ void select_greedy(float* logits, const u32* edits, u32 stride, u32 vocab,
                                         float penalty, u32 renormalize, u32* picked) {
    __shared__ float sv[32];
    __shared__ u32 si[32];
    __shared__ double sd[32];
    u32 r = blockIdx.x;
    const u32* e = edits + (size_t)r * stride;
    float* row = logits + (size_t)r * vocab;
    u32* out = picked + 2 * (size_t)r;
    if (e[0] == 0 || e[3] != NO_TOKEN) {
        // Finished: nothing. Forced: that token, log-probability 0 (the only one left).
        if (threadIdx.x == 0) {
            out[0] = e[0] == 0 ? NO_TOKEN : e[3];
            out[1] = e[0] == 0 ? NAN_BITS : __float_as_uint(0.0f);
        }
        return;
    }
    if (penalty != 1.0f) penalize(row, e + 5, e[1], penalty);
    ban(row, e + 5 + e[1], e[2]);
    float m, ls;
    normalizer(row, vocab, &m, &ls, sv, sd);
    bool masked = m == NEG_INF;
    // The host compares the log-softmaxed row when it renormalizes.
    float best = NEG_INF;
    u32 at = NO_TOKEN;
    for (u32 i = threadIdx.x; i < vocab; i += blockDim.x) {
        float x = renormalize && !masked ? row[i] - m - ls : row[i];
        if (ranks_before(x, i, best, at)) {
            best = x;
            at = i;
        }
    }
    block_best(best, at, sv, si);
    if (threadIdx.x == 0) {
        float logprob = masked ? NEG_INF : renormalize ? best : row[at] - m - ls;
        out[0] = at;
        out[1] = __float_as_uint(logprob);
    }
}

// Beam search, stage one: each row's log-probabilities, processed, and its k best by accumulated
// score (flat index beam * vocab + token within the sentence), best first, as (index, score
// bits, log-probability bits) triples; NO_TOKEN where the row has fewer.   grid: rows, block: 256
extern "C" __global__ void select_beam_rows(float* logits, const u32* edits, u32 stride,
                                            u32 vocab, float penalty, u32 renormalize, u32 beams,
                                            u32 k, u32* row_top) {
    __shared__ float sv[32];
    __shared__ u32 si[32];
    __shared__ double sd[32];
    __shared__ float shift;
    __shared__ int shifting;
    u32 r = blockIdx.x;
    const u32* e = edits + (size_t)r * stride;
    float* row = logits + (size_t)r * vocab;
    u32 forced = e[3];
    const u32* banned = e + 5 + e[1];
    bool rescaled = penalty != 1.0f;
    log_softmax_row(row, vocab, sv, sd);
    if (rescaled) penalize(row, e + 5, e[1], penalty);
    if (forced != NO_TOKEN) {
        for (u32 i = threadIdx.x; i < vocab; i += blockDim.x) row[i] = i == forced ? 0.0f : NEG_INF;
        __syncthreads();
    } else if (!renormalize) {
        ban(row, banned, e[2]);
    } else if (!rescaled) {
        // Only masking happened: remove the banned tokens' probability exactly, in their order.
        if (threadIdx.x == 0) {
            double removed = 0.0;
            for (u32 j = 0; j < e[2]; ++j) removed += exp((double)row[banned[j]]);
            shifting = removed > 0.0;
            shift = (float)log1p(-removed);
        }
        __syncthreads();
        ban(row, banned, e[2]);
        if (shifting)
            for (u32 i = threadIdx.x; i < vocab; i += blockDim.x) row[i] -= shift;
        __syncthreads();
    } else {
        ban(row, banned, e[2]);
        log_softmax_row(row, vocab, sv, sd);
    }
    // Each thread's k best of its tokens (ascending indices: ties keep the earlier), then k
    // rounds of the block's best head.
    float score = __uint_as_float(e[4]);
    u32 base = (r % beams) * vocab;
    float lv[MAX_K];
    u32 li[MAX_K];
    u32 n = 0;
    for (u32 i = threadIdx.x; i < vocab; i += blockDim.x) {
        float v = row[i] + score;
        u32 index = base + i;
        if (n == k && !ranks_before(v, index, lv[k - 1], li[k - 1])) continue;
        u32 j = n < k ? n++ : k - 1;
        while (j > 0 && ranks_before(v, index, lv[j - 1], li[j - 1])) {
            lv[j] = lv[j - 1];
            li[j] = li[j - 1];
            --j;
        }
        lv[j] = v;
        li[j] = index;
    }
    u32* out = row_top + (size_t)r * k * 3;
    u32 head = 0;
    for (u32 round = 0; round < k; ++round) {
        float v = head < n ? lv[head] : NEG_INF;
        u32 index = head < n ? li[head] : NO_TOKEN;
        block_best(v, index, sv, si);
        if (head < n && index != NO_TOKEN && li[head] == index) ++head;
        if (threadIdx.x == 0) {
            out[3 * round] = index;
            out[3 * round + 1] = __float_as_uint(v);
            out[3 * round + 2] = index == NO_TOKEN ? NAN_BITS : __float_as_uint(row[index - base]);
        }
    }
}

// Beam search, stage two: each sentence's k best of its beams' lists, as (flat index,
// log-probability bits) pairs.   grid: ceil(sentences / 32), block: 32
extern "C" __global__ void select_beam_merge(const u32* row_top, u32 sentences, u32 beams, u32 k,
                                             u32* picked) {
    u32 s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= sentences) return;
    u32 heads[MAX_K / 2];
    for (u32 b = 0; b < beams; ++b) heads[b] = 0;
    for (u32 round = 0; round < k; ++round) {
        u32 chosen = NO_TOKEN, index = NO_TOKEN, bits = NAN_BITS;
        float best = NEG_INF;
        for (u32 b = 0; b < beams; ++b) {
            if (heads[b] == k) continue;
            const u32* c = row_top + (((size_t)s * beams + b) * k + heads[b]) * 3;
            float v = __uint_as_float(c[1]);
            if (c[0] != NO_TOKEN && (chosen == NO_TOKEN || ranks_before(v, c[0], best, index))) {
                chosen = b;
                best = v;
                index = c[0];
                bits = c[2];
            }
        }
        if (chosen != NO_TOKEN) ++heads[chosen];
        picked[((size_t)s * k + round) * 2] = index;
        picked[((size_t)s * k + round) * 2 + 1] = bits;
    }
}
