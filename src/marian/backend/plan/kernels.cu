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

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffff, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v, float* shared) {
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < warps; ++w) total += shared[w];
    return total;
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
    m = warp_max(m);
    if (lane == 0) scratch[warp] = m;
    __syncthreads();
    m = NEG_INF;
    for (int w = 0; w < warps; ++w) m = fmaxf(m, scratch[w]);
    __syncthreads();
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
