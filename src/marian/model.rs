//! The Marian encoder-decoder, following transformers' `MarianMTModel` operation by operation
//! (post-norm layers, sinusoidal positions computed as transformers does, attention scores scaled
//! after the product), with padding masks in encoder self-attention and cross-attention. The
//! model owns the configuration, the encoder (a Candle graph) and the weights as loaded; how a
//! decoder step is computed belongs to a backend ([`super::backend`]): the Candle graph on any
//! device and dtype, or the host step on the CPU in float32 or int8, whose encoder then also
//! runs on the host (batch-invariant, see [`super::backend`]).

use std::sync::Arc;

use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Embedding, VarBuilder};

use super::backend::graph::GraphDecoder;
use super::backend::host::HostDecoder;
use super::backend::host_encoder::HostEncoder;
use super::backend::plan::decoder::PlanDecoder;
use super::backend::{BackendState, DecoderBackend, Encoded};
use super::config::MarianConfig;
use super::error::ComputeError;
use super::layers::{get_first, mask_value, sinusoidal_positions, DecoderLayer, EncoderLayer};
use super::ops::int8::Int8Kernel;
use super::ops::matrix::HostProducts;
use super::precision::Precision;
use super::weights::{MappedSafetensors, ReleasingBackend};
use crate::generate::{Candidate, Processing, Wanted};

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// The decoding state of a batch: one row per sentence (greedy) or per beam.
pub struct DecoderState {
    backend: BackendState,
    /// Number of target positions already decoded.
    position: usize,
    rows: usize,
}

impl DecoderState {
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The plan engine's state, when the plan runs the steps.
    #[cfg(test)]
    pub(super) fn plan_state(&self) -> Option<&super::backend::plan::decoder::PlanState> {
        match &self.backend {
            BackendState::Plan(state) => Some(state),
            _ => None,
        }
    }
}

/// The host decoder step runs on the CPU only.
fn host_decoder_supported(device: &Device, dtype: DType) -> bool {
    device.is_cpu() && dtype == DType::F32
}
/// The encoder's and decoder's embeddings and the output projection, under the names
/// transformers may save them by, shared where the config ties them (one copy in memory).
fn embeddings(config: &MarianConfig, vb: &VarBuilder) -> Result<(Tensor, Tensor, Tensor)> {
    let d = config.d_model;
    let target_vocab = config.target_vocab_size();
    let shared_names = ["model.shared.weight"];
    let encoder_names = ["model.encoder.embed_tokens.weight", shared_names[0]];
    let encoder_embed = get_first(vb, (config.vocab_size, d), &encoder_names)?;
    let encoder_source = encoder_names.iter().find(|n| vb.contains_tensor(n));
    let decoder_embed =
        if config.share_encoder_decoder_embeddings && encoder_source == Some(&shared_names[0]) {
            // The same tensor: one copy in memory, not two.
            encoder_embed.clone()
        } else if config.share_encoder_decoder_embeddings && !config.tie_word_embeddings {
            // Untied: transformers (5.x) computes the decoder with its own tensor where the file
            // holds one, even when it differs from `model.shared` (a checkpoint saved without
            // deduplication, or trained apart), as the encoder does above.
            get_first(
                vb,
                (config.vocab_size, d),
                &["model.decoder.embed_tokens.weight", shared_names[0]],
            )?
        } else if config.share_encoder_decoder_embeddings {
            get_first(
                vb,
                (config.vocab_size, d),
                &[shared_names[0], "model.decoder.embed_tokens.weight"],
            )?
        } else {
            get_first(
                vb,
                (target_vocab, d),
                &["model.decoder.embed_tokens.weight"],
            )?
        };
    let lm_head = if config.tie_word_embeddings {
        decoder_embed.clone()
    } else {
        get_first(vb, (target_vocab, d), &["lm_head.weight"])?
    };
    Ok((encoder_embed, decoder_embed, lm_head))
}

/// `final_logits_bias` (zeros where the checkpoint has none), in f32: the backends add it in
/// their output projection.
fn final_logits_bias(vb: &VarBuilder, target_vocab: usize) -> Result<Vec<f32>> {
    if !vb.contains_tensor("final_logits_bias") {
        return Ok(vec![0.0; target_vocab]);
    }
    Ok(vb
        .get((1, target_vocab), "final_logits_bias")?
        .flatten_all()?
        .to_dtype(DType::F32)?
        .to_vec1()?)
}

/// A Marian translation model.
pub struct MarianModel {
    config: MarianConfig,
    /// The graph encoder's embedding (absent for int8, whose encoder runs on the host only).
    encoder_embed: Option<Embedding>,
    positions: Tensor,
    embed_scale: f64,
    /// The Candle graph's encoder layers (absent for int8).
    encoder: Vec<EncoderLayer>,
    /// The encoder on the host (CPU only): used with the host decoder.
    host_encoder: Option<HostEncoder>,
    device: Device,
    dtype: DType,
    /// The Candle graph decoder (absent for int8, which keeps no float copy of the decoder).
    graph: Option<GraphDecoder>,
    /// The host decoder (CPU only).
    host: Option<HostDecoder>,
    /// Whether steps run on `host` rather than `graph`.
    use_host: bool,
    /// The plan engine, when chosen (it then runs the steps).
    plan: Option<PlanDecoder>,
    precision: Precision,
}

impl MarianModel {
    /// Build the model from weights named as transformers saves `MarianMTModel`.
    pub fn new(config: &MarianConfig, vb: VarBuilder) -> Result<Self> {
        config.check()?;
        let d = config.d_model;
        let activation = config.activation()?;
        let target_vocab = config.target_vocab_size();
        let (encoder_embed, decoder_embed, lm_head) = embeddings(config, &vb)?;
        let positions = Tensor::from_vec(
            sinusoidal_positions(config.max_position_embeddings, d),
            (config.max_position_embeddings, d),
            vb.device(),
        )?
        .to_dtype(vb.dtype())?;
        let mut model = Self::with_encoder(
            config,
            &vb,
            Some(Embedding::new(encoder_embed.clone(), d)),
            positions.clone(),
            true,
        )?;
        let dec = vb.pp("model.decoder.layers");
        let layers = (0..config.decoder_layers)
            .map(|i| {
                DecoderLayer::new(
                    d,
                    config.decoder_attention_heads,
                    config.decoder_ffn_dim,
                    activation,
                    &dec.pp(i),
                )
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let bias = final_logits_bias(&vb, target_vocab)?;
        if host_decoder_supported(vb.device(), vb.dtype()) {
            model.host_encoder = Some(HostEncoder::from_candle(
                &model.encoder,
                &encoder_embed,
                &positions,
                model.embed_scale,
            )?);
            model.host = Some(HostDecoder::from_candle(
                &layers,
                &decoder_embed,
                &positions,
                model.embed_scale,
                &lm_head,
                bias.clone(),
            )?);
            model.use_host = true;
        }
        model.graph = Some(GraphDecoder {
            layers,
            embed: Embedding::new(decoder_embed, d),
            positions,
            embed_scale: model.embed_scale,
            lm_head,
            final_logits_bias: Tensor::from_vec(bias, (1, target_vocab), vb.device())?,
            device: vb.device().clone(),
        });
        Ok(model)
    }

    /// The model on the CPU with int8 products (`kernel`), read from a mapped safetensors
    /// checkpoint: every linear layer and the output projection quantized row by row without a
    /// float copy, the embedding tables left in the file (rows read as looked up); attention,
    /// layer norms and softmax stay float32.
    pub fn new_int8(
        config: &MarianConfig,
        file: Arc<MappedSafetensors>,
        kernel: Int8Kernel,
    ) -> Result<Self> {
        config.check()?;
        if !kernel.available() {
            return Err(ComputeError::KernelUnavailable(kernel.name()));
        }
        let d = config.d_model;
        let device = Device::Cpu;
        let vb = VarBuilder::from_backend(
            Box::new(ReleasingBackend(file.clone())),
            DType::F32,
            device.clone(),
        );
        let positions = Tensor::from_vec(
            sinusoidal_positions(config.max_position_embeddings, d),
            (config.max_position_embeddings, d),
            &device,
        )?;
        let products = HostProducts::Int8(kernel);
        let mut model = Self::with_encoder(config, &vb, None, positions, false)?;
        model.host_encoder = Some(HostEncoder::load(config, &file, products)?);
        let bias = final_logits_bias(&vb, config.target_vocab_size())?;
        model.host = Some(HostDecoder::load(config, &file, products, bias)?);
        model.use_host = true;
        model.precision = Precision::Int8;
        Ok(model)
    }

    /// The model without a decoder yet: encoder and positions. With `quantized`, the
    /// encoder's products run on the host in its precision.
    fn with_encoder(
        config: &MarianConfig,
        vb: &VarBuilder,
        encoder_embed: Option<Embedding>,
        positions: Tensor,
        graph_encoder: bool,
    ) -> Result<Self> {
        let d = config.d_model;
        let activation = config.activation()?;
        let enc = vb.pp("model.encoder.layers");
        let layers = if graph_encoder {
            config.encoder_layers
        } else {
            0
        };
        let encoder = (0..layers)
            .map(|i| {
                let (heads, ffn) = (config.encoder_attention_heads, config.encoder_ffn_dim);
                EncoderLayer::new(d, heads, ffn, activation, &enc.pp(i))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(MarianModel {
            config: config.clone(),
            encoder_embed,
            positions,
            embed_scale: if config.scale_embedding {
                (d as f64).sqrt()
            } else {
                1.0
            },
            encoder,
            host_encoder: None,
            device: vb.device().clone(),
            dtype: vb.dtype(),
            graph: None,
            host: None,
            use_host: false,
            plan: None,
            precision: Precision::from(vb.dtype()),
        })
    }

    pub fn config(&self) -> &MarianConfig {
        &self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The precision the model computes in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Whether decoding steps run on the host path (the default on the CPU) rather than
    /// through the Candle graph; `false` forces the graph where the model has one (not int8),
    /// `true` is honoured only where a host decoder exists (CPU f32, int8).
    pub fn set_host_decoder(&mut self, on: bool) {
        self.use_host = (on && self.host.is_some()) || self.graph.is_none();
    }

    pub fn host_decoder(&self) -> bool {
        self.use_host
    }

    /// Bytes held by the host decoder's matrices, when it has its own (int8); `None` when it
    /// shares the float32 tensors or there is none.
    pub fn quantized_bytes(&self) -> Option<usize> {
        match (&self.host, &self.graph) {
            (Some(host), None) => Some(
                host.weight_bytes() + self.host_encoder.as_ref().map_or(0, |e| e.weight_bytes()),
            ),
            _ => None,
        }
    }

    /// Run the decoder steps through the plan engine's CPU twin (`backend::plan`), sized for
    /// targets of up to `max_target` positions: the reference of the GPU engine, which must give
    /// the host step's ids. Needs the float32 host decoder (a CPU f32 model).
    pub fn use_plan_engine(&mut self, max_target: usize) -> Result<()> {
        let host = self.host.as_ref().filter(|_| self.graph.is_some());
        let host = host.ok_or(ComputeError::Missing("float32 host decoder for the plan"))?;
        let max_target = max_target.min(self.config.max_position_embeddings);
        self.plan = Some(PlanDecoder::from_host(host, max_target)?);
        self.use_host = true;
        Ok(())
    }

    /// As [`MarianModel::use_plan_engine`], the kernels running on CUDA device `device` with
    /// activations and weights stored as `storage` (f16 by default; f32 for parity).
    #[cfg(feature = "cuda-engine")]
    pub fn use_plan_engine_cuda(
        &mut self,
        max_target: usize,
        device: usize,
        storage: super::backend::plan::cuda::Storage,
    ) -> Result<()> {
        self.use_plan_engine(max_target)?;
        let plan = self
            .plan
            .as_mut()
            .ok_or(ComputeError::Missing("plan engine"))?;
        plan.on_cuda(device, storage)
    }

    /// Each CUDA kernel of the plan engine against its CPU twin on device `device`, over a
    /// batch of `ids` with `beams` rows a sentence for `steps` positions (what
    /// `scripts/gpu_check.sh` runs first). Needs the float32 host decoder.
    #[cfg(feature = "cuda-engine")]
    pub fn plan_kernel_check(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
        beams: usize,
        device: usize,
        storage: super::backend::plan::cuda::Storage,
        steps: usize,
    ) -> Result<Vec<super::backend::plan::cuda::self_test::KernelCheck>> {
        let host = self.host.as_ref().filter(|_| self.graph.is_some());
        let host = host.ok_or(ComputeError::Missing("float32 host decoder for the plan"))?;
        let decoder = PlanDecoder::from_host(host, steps.max(1))?;
        let encoded = self.encode(ids, mask)?;
        decoder.kernel_check(&encoded, beams, device, storage, steps)
    }

    /// The CUDA device the plan engine's kernels run on: (device, free bytes, total bytes).
    #[cfg(feature = "cuda-engine")]
    pub fn plan_device_memory(&self) -> Option<(usize, usize, usize)> {
        self.plan.as_ref()?.device_memory()
    }

    /// How the plan engine launched its steps on the GPU (CUDA graphs captured, or why not);
    /// None off CUDA.
    #[cfg(feature = "cuda-engine")]
    pub fn plan_graph_report(&self) -> Option<String> {
        self.plan.as_ref()?.graph_report()
    }

    fn backend(&self) -> Result<&dyn DecoderBackend> {
        if let Some(plan) = &self.plan {
            return Ok(plan);
        }
        match (self.use_host, &self.host, &self.graph) {
            (true, Some(host), _) => Ok(host),
            (false, _, Some(graph)) => Ok(graph),
            _ => Err(ComputeError::Missing("decoder")),
        }
    }

    /// Whether search may drop finished rows from a decoding state (`reorder` with fewer
    /// rows) without changing the others' numbers: the host decoder and the plan engine.
    pub fn drops_rows(&self) -> bool {
        self.backend().is_ok_and(|b| b.drops_rows())
    }

    pub fn target_vocab_size(&self) -> usize {
        self.config.target_vocab_size()
    }

    /// Encode padded source ids (rows of equal length) with their attention masks (1 = token):
    /// on the host with the host decoder (each sentence's tokens only, the same bits whatever
    /// shares the batch), else through the Candle graph.
    pub fn encode(&self, ids: &[Vec<u32>], mask: &[Vec<u32>]) -> Result<Encoded> {
        let s = ids.first().map_or(0, Vec::len);
        if s > self.config.max_position_embeddings {
            return Err(ComputeError::SourceTooLong {
                tokens: s,
                positions: self.config.max_position_embeddings,
            });
        }
        match (&self.host_encoder, self.use_host) {
            (Some(host), true) => Ok(Encoded::Host(host.encode(ids, mask)?)),
            _ => self.encode_graph(ids, mask),
        }
    }

    /// The Candle graph's encoder: the output (b, s, d) and the additive mask (b, 1, 1, s).
    fn encode_graph(&self, ids: &[Vec<u32>], mask: &[Vec<u32>]) -> Result<Encoded> {
        let b = ids.len();
        let s = ids.first().map_or(0, Vec::len);
        let Some(embed) = &self.encoder_embed else {
            return Err(ComputeError::Missing("graph encoder"));
        };
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        let additive: Vec<f32> = mask
            .iter()
            .flatten()
            .map(|&m| {
                if m == 0 {
                    mask_value(self.dtype) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(additive, (b, 1, 1, s), &self.device)?.to_dtype(self.dtype)?;
        let ids = Tensor::from_vec(flat, (b, s), &self.device)?;
        let embedded = (embed.forward(&ids)? * self.embed_scale)?;
        let mut h = embedded.broadcast_add(&self.positions.i(0..s)?)?;
        for layer in &self.encoder {
            h = layer.forward(&h, &mask)?;
        }
        Ok(Encoded::Graph(h, mask))
    }

    /// Start decoding: cross-attention keys/values computed once from the encoder output, each
    /// sentence repeated `rows_per_sentence` times (the beams).
    pub fn start(&self, encoded: &Encoded, rows_per_sentence: usize) -> Result<DecoderState> {
        let b = encoded.sentences()?;
        Ok(DecoderState {
            backend: self.backend()?.start(encoded, rows_per_sentence)?,
            position: 0,
            rows: b * rows_per_sentence,
        })
    }

    /// One decoding step: the next token of every row in; `logits` replaced by the logits
    /// (`final_logits_bias` included), rows × vocab, row-major, in f32. Pass the same buffer at
    /// every step: it is reused.
    pub fn step(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        let position = self.advance(state, tokens)?;
        self.backend()?
            .step(&mut state.backend, position, tokens, logits)
    }

    /// One decoding step answering what search `wanted` (see
    /// [`crate::generate::StepModel::step_candidates`]): on the plan engine the pick is made
    /// where the logits are (on a GPU they never leave it); elsewhere from the dense logits in
    /// `scratch`.
    pub fn step_candidates(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
        wanted: Wanted,
        processing: Processing,
        scratch: &mut Vec<f32>,
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        let position = self.advance(state, tokens)?;
        self.backend()?.step_candidates(
            &mut state.backend,
            position,
            tokens,
            wanted,
            processing,
            scratch,
            out,
        )
    }

    /// The position a step at `state` decodes (checked against the model's positions and the
    /// state's rows), the state moved past it.
    fn advance(&self, state: &mut DecoderState, tokens: &[u32]) -> Result<usize> {
        if state.position >= self.config.max_position_embeddings {
            return Err(ComputeError::TargetTooLong {
                positions: self.config.max_position_embeddings,
            });
        }
        if tokens.len() != state.rows {
            return Err(ComputeError::RowMismatch {
                tokens: tokens.len(),
                rows: state.rows,
            });
        }
        state.position += 1;
        Ok(state.position - 1)
    }

    /// Teacher-forced cross-attention, what word alignment reads: for each padded source row and
    /// its `targets` (generated ids, EOS included), at every target position, decoder layer
    /// `layer`'s cross-attention weights, the mean of its heads, one per source token (padding
    /// left out): the weights with which the decoder produced that target token. Runs on the
    /// host decoder where there is one, else the Candle graph (the plan engine keeps no
    /// weights); search is not involved, so translations are untouched. Each step stops at the
    /// probed layer: the layers after it and the output projection (most of a step's work)
    /// cannot change what it reads.
    pub fn cross_attention(
        &self,
        ids: &[Vec<u32>],
        mask: &[Vec<u32>],
        targets: &[Vec<u32>],
        (decoder_start, pad): (u32, u32),
        layer: usize,
    ) -> Result<Vec<Vec<Vec<f32>>>> {
        let layers = self.config.decoder_layers;
        if layer >= layers {
            return Err(ComputeError::NoSuchLayer { layer, layers });
        }
        let backend: &dyn DecoderBackend = match (&self.host, &self.graph) {
            (Some(host), _) => host,
            (None, Some(graph)) => graph,
            _ => return Err(ComputeError::Missing("decoder")),
        };
        let encoded = self.encode(ids, mask)?;
        let mut state = backend.start(&encoded, 1)?;
        let probe = state
            .probe()
            .ok_or(ComputeError::Missing("attention probe"))?;
        probe.layer = Some(layer);
        let steps = targets.iter().map(Vec::len).max().unwrap_or(0);
        if steps > self.config.max_position_embeddings {
            return Err(ComputeError::TargetTooLong {
                positions: self.config.max_position_embeddings,
            });
        }
        let mut out: Vec<Vec<Vec<f32>>> = targets.iter().map(|_| Vec::new()).collect();
        let mut tokens = vec![decoder_start; targets.len()];
        let mut logits = Vec::new();
        for step in 0..steps {
            backend.step(&mut state, step, &tokens, &mut logits)?;
            let probe = state
                .probe()
                .ok_or(ComputeError::Missing("attention probe"))?;
            for (row, weights) in probe.weights.iter().enumerate() {
                match targets[row].get(step) {
                    Some(&target) => {
                        out[row].push(weights.clone());
                        tokens[row] = target;
                    }
                    None => tokens[row] = pad,
                }
            }
        }
        Ok(out)
    }

    /// Keep rows `rows` of the cache, in that order (beam search reordering).
    pub fn reorder(&self, state: &mut DecoderState, rows: &[u32]) -> Result<()> {
        state.rows = rows.len();
        self.backend()?.reorder(&mut state.backend, rows)
    }
}
