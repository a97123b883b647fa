//! The decoder's weights as the plan's kernels read them: flat f32 arrays, the self-attention's
//! Q, K and V projections side by side in one matrix (one product a step instead of three), the
//! cross-attention's K and V likewise (one product a batch), each output projection's bias
//! moved into the bias + residual + LayerNorm after it. Read from the float32 host decoder, so
//! the plan computes from exactly the numbers the host step does.

use super::ir::{Buffer, Dims, Kernel, Weight};
use crate::marian::backend::host::HostDecoder;
use crate::marian::backend::host_layers::EmbeddingTable;
use crate::marian::error::ComputeError;
use crate::marian::ops::matrix::{with_slice, HostLinear, HostNorm, Matrix};

type Result<T> = std::result::Result<T, ComputeError>;

/// A bias + residual + LayerNorm's weights: the bias of the product before it, the norm's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NormWeights {
    pub bias: Weight,
    pub gamma: Weight,
    pub beta: Weight,
}

impl NormWeights {
    /// The kernel adding product `x` (with this bias) to `h` and normalizing.
    pub(super) fn after(self, x: Buffer, h: Buffer) -> Kernel {
        Kernel::BiasResidualNorm {
            x,
            bias: self.bias,
            h,
            gamma: self.gamma,
            beta: self.beta,
        }
    }
}

/// One decoder layer's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerWeights {
    /// (3d × d): Q, K, V rows.
    pub qkv: Weight,
    pub qkv_bias: Weight,
    pub self_out: Weight,
    pub self_norm: NormWeights,
    pub cross_q: Weight,
    pub cross_q_bias: Weight,
    /// (2d × d): K, V rows.
    pub cross_kv: Weight,
    pub cross_kv_bias: Weight,
    pub cross_out: Weight,
    pub cross_norm: NormWeights,
    pub fc1: Weight,
    pub fc1_bias: Weight,
    pub fc2: Weight,
    pub final_norm: NormWeights,
}

/// Every weight of the decoder, with its name.
pub struct DecoderWeights {
    pub dims: Dims,
    pub arrays: Vec<(String, Vec<f32>)>,
    /// (embedding rows × d).
    pub embed: Weight,
    /// (max positions × d).
    pub positions: Weight,
    pub layers: Vec<LayerWeights>,
    /// (vocab × d).
    pub lm_head: Weight,
    pub logits_bias: Weight,
}

impl DecoderWeights {
    pub fn get(&self, w: Weight) -> &[f32] {
        &self.arrays[w.0].1
    }

    /// The weights of a float32 host decoder (int8 ones are refused: the plan computes in
    /// float).
    pub(in crate::marian) fn from_host(host: &HostDecoder) -> Result<Self> {
        let mut arrays: Vec<(String, Vec<f32>)> = Vec::new();
        let mut add = |name: String, values: Vec<f32>| {
            arrays.push((name, values));
            Weight(arrays.len() - 1)
        };
        let embed = add("embed".into(), embedding_table(&host.embed, host.d)?);
        let positions = add("positions".into(), host.positions.clone());
        let mut layers = Vec::new();
        for (l, layer) in host.layers.iter().enumerate() {
            let p = |what: &str| format!("layer{l}.{what}");
            let (sa, ca) = (&layer.self_attn, &layer.cross_attn);
            let qkv = [&sa.q, &sa.k, &sa.v];
            let norm = |add: &mut dyn FnMut(String, Vec<f32>) -> Weight,
                        what: &str,
                        before: &HostLinear,
                        norm: &HostNorm|
             -> Result<NormWeights> {
                Ok(NormWeights {
                    bias: add(p(&format!("{what}.bias")), bias(before)?),
                    gamma: add(p(&format!("{what}.gamma")), norm.alpha.clone()),
                    beta: add(p(&format!("{what}.beta")), norm.beta.clone()),
                })
            };
            let weights = LayerWeights {
                qkv: add(p("qkv"), stacked(&qkv, matrix)?),
                qkv_bias: add(p("qkv.bias"), stacked(&qkv, bias)?),
                self_out: add(p("self_out"), matrix(&sa.out)?),
                self_norm: norm(&mut add, "self_norm", &sa.out, &layer.self_attn_norm)?,
                cross_q: add(p("cross_q"), matrix(&ca.q)?),
                cross_q_bias: add(p("cross_q.bias"), bias(&ca.q)?),
                cross_kv: add(p("cross_kv"), stacked(&[&ca.k, &ca.v], matrix)?),
                cross_kv_bias: add(p("cross_kv.bias"), stacked(&[&ca.k, &ca.v], bias)?),
                cross_out: add(p("cross_out"), matrix(&ca.out)?),
                cross_norm: norm(&mut add, "cross_norm", &ca.out, &layer.cross_attn_norm)?,
                fc1: add(p("fc1"), matrix(&layer.ffn.fc1)?),
                fc1_bias: add(p("fc1.bias"), bias(&layer.ffn.fc1)?),
                fc2: add(p("fc2"), matrix(&layer.ffn.fc2)?),
                final_norm: norm(&mut add, "final_norm", &layer.ffn.fc2, &layer.final_norm)?,
            };
            layers.push(weights);
        }
        let lm_head = add("lm_head".into(), matrix_values(&host.lm_head)?);
        let logits_bias = add("final_logits_bias".into(), host.final_logits_bias.clone());
        let first = host
            .layers
            .first()
            .ok_or(ComputeError::Missing("decoder layer"))?;
        let dims = Dims {
            d: host.d,
            heads: first.self_attn.heads,
            ffn: first.ffn.fc1.matrix.dims().0,
            layers: host.layers.len(),
            vocab: host.lm_head.dims().0,
            embed_scale: host.embed_scale,
            scaling: first.self_attn.scaling,
            activation: first.ffn.activation,
        };
        Ok(DecoderWeights {
            dims,
            arrays,
            embed,
            positions,
            layers,
            lm_head,
            logits_bias,
        })
    }

    /// Bytes held by the weights.
    pub fn bytes(&self) -> usize {
        self.arrays.iter().map(|(_, a)| a.len() * 4).sum()
    }
}

/// The rows of several layers' matrices (or biases) one after the other.
fn stacked(linears: &[&HostLinear], part: fn(&HostLinear) -> Result<Vec<f32>>) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    for l in linears {
        out.extend(part(l)?);
    }
    Ok(out)
}

fn matrix(linear: &HostLinear) -> Result<Vec<f32>> {
    matrix_values(&linear.matrix)
}

fn matrix_values(matrix: &Matrix) -> Result<Vec<f32>> {
    match matrix {
        Matrix::F32 { weight, .. } => with_slice(weight, <[f32]>::to_vec),
        Matrix::Int8 { .. } => Err(ComputeError::Weights(
            "the plan engine computes in float32; this decoder is int8".into(),
        )),
    }
}

/// A layer's bias, zeros where it has none.
fn bias(linear: &HostLinear) -> Result<Vec<f32>> {
    Ok(linear
        .bias
        .clone()
        .unwrap_or_else(|| vec![0.0; linear.matrix.dims().0]))
}

fn embedding_table(table: &EmbeddingTable, d: usize) -> Result<Vec<f32>> {
    match table {
        EmbeddingTable::Tensor(t) => with_slice(t, <[f32]>::to_vec),
        EmbeddingTable::Mapped { file, name, shape } => {
            let mut values = vec![0f32; shape[0] * d];
            file.read_range(name, shape, 0, shape[0] * d, &mut values)?;
            Ok(values)
        }
    }
}
