//! The decoder step for the CPU on plain slices: the same operations as the Candle graph
//! ([`super::graph`]), arranged for a one-token step, with its matrix products in the
//! precision of its [`Matrix`]es (float32 or int8).
//!
//! Why a second implementation: in a decoding step every product is a skinny one (a few dozen
//! rows against a whole weight matrix), and the layout Candle's `Linear` hands to the `gemm`
//! crate, `x · Wᵀ`, makes it repack every weight matrix at every step; `W · xᵀ` streams the
//! row-major weights as they are and runs 2–3× faster. Around the products, the step here keeps
//! its buffers, attends with one query per row without batched tiny matrix products, reads the
//! cross-attention keys/values once per sentence instead of once per beam, and reorders beams by
//! index bookkeeping (`ancestry`) instead of copying the key/value cache.

use std::sync::Arc;

use candle_core::{DType, Tensor};

use super::host_layers::{
    attend_heads, load_attention, EmbeddingTable, HostAttention, HostFeedForward,
};
use super::{BackendState, DecoderBackend, Encoded};
use crate::marian::config::MarianConfig;
use crate::marian::layers::{sinusoidal_positions, DecoderLayer};
use crate::marian::ops::loader::{first_present, Loader};
use crate::marian::ops::matrix::{HostNorm, HostProducts, Matrix, Scratch};
use crate::marian::ops::with_scratch;
use crate::marian::weights::MappedSafetensors;
use crate::profile::{self, Span};

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

pub(in crate::marian) struct HostLayer {
    pub(super) self_attn: HostAttention,
    pub(super) self_attn_norm: HostNorm,
    pub(super) cross_attn: HostAttention,
    pub(super) cross_attn_norm: HostNorm,
    pub(super) ffn: HostFeedForward,
    pub(super) final_norm: HostNorm,
}

impl HostLayer {
    fn from_candle(layer: &DecoderLayer) -> Result<Self> {
        Ok(HostLayer {
            self_attn: HostAttention::from_candle(&layer.self_attn)?,
            self_attn_norm: HostNorm::from_candle(&layer.self_attn_norm)?,
            cross_attn: HostAttention::from_candle(&layer.cross_attn)?,
            cross_attn_norm: HostNorm::from_candle(&layer.cross_attn_norm)?,
            ffn: HostFeedForward::from_candle(&layer.ffn)?,
            final_norm: HostNorm::from_candle(&layer.final_norm)?,
        })
    }
}

/// The decoder's weights for the host step.
pub(in crate::marian) struct HostDecoder {
    pub(super) layers: Vec<HostLayer>,
    pub(super) embed: EmbeddingTable,
    /// Sinusoidal positions, (max_positions × d).
    pub(super) positions: Vec<f32>,
    pub(super) embed_scale: f32,
    /// (vocab × d).
    pub(super) lm_head: Matrix,
    /// Added by the output projection's epilogue.
    pub(super) final_logits_bias: Vec<f32>,
    pub(super) d: usize,
}

impl HostDecoder {
    /// The float32 host step over the Candle graph's own weights (shared, not copied).
    pub(in crate::marian) fn from_candle(
        layers: &[DecoderLayer],
        embed: &Tensor,
        positions: &Tensor,
        embed_scale: f64,
        lm_head: &Tensor,
        final_logits_bias: Vec<f32>,
    ) -> Result<Self> {
        Ok(HostDecoder {
            layers: layers
                .iter()
                .map(HostLayer::from_candle)
                .collect::<Result<_>>()?,
            embed: EmbeddingTable::Tensor(embed.clone()),
            positions: positions.flatten_all()?.to_vec1()?,
            embed_scale: embed_scale as f32,
            lm_head: Matrix::f32(lm_head)?,
            final_logits_bias,
            d: embed.dim(1)?,
        })
    }

    /// The decoder read straight from the mapped checkpoint into `products`' precision: the
    /// embedding table stays in the file (rows read as looked up), every matrix is converted
    /// and its float pages released.
    pub(in crate::marian) fn load(
        config: &MarianConfig,
        file: &Arc<MappedSafetensors>,
        products: HostProducts,
        final_logits_bias: Vec<f32>,
    ) -> Result<Self> {
        let d = config.d_model;
        let activation = config.activation()?;
        let loader = Loader {
            file: file.as_ref(),
            products,
        };
        let target_vocab = config.target_vocab_size();
        // As the float loader (`model.rs`): untied, the decoder's own tensor where the file has
        // one; tied, the shared one.
        let embed_name = if config.share_encoder_decoder_embeddings && !config.tie_word_embeddings {
            first_present(
                file,
                &["model.decoder.embed_tokens.weight", "model.shared.weight"],
            )?
        } else if config.share_encoder_decoder_embeddings {
            first_present(
                file,
                &["model.shared.weight", "model.decoder.embed_tokens.weight"],
            )?
        } else {
            first_present(file, &["model.decoder.embed_tokens.weight"])?
        };
        let embed_rows = if config.share_encoder_decoder_embeddings {
            config.vocab_size
        } else {
            target_vocab
        };
        let lm_head_name = if config.tie_word_embeddings {
            embed_name
        } else {
            first_present(file, &["lm_head.weight"])?
        };
        let heads = config.decoder_attention_heads;
        let layers = (0..config.decoder_layers)
            .map(|i| {
                let p = format!("model.decoder.layers.{i}");
                Ok(HostLayer {
                    self_attn: load_attention(&loader, &format!("{p}.self_attn"), d, heads)?,
                    self_attn_norm: loader.norm(&format!("{p}.self_attn_layer_norm"), d)?,
                    cross_attn: load_attention(&loader, &format!("{p}.encoder_attn"), d, heads)?,
                    cross_attn_norm: loader.norm(&format!("{p}.encoder_attn_layer_norm"), d)?,
                    ffn: HostFeedForward::load(&loader, &p, d, config.decoder_ffn_dim, activation)?,
                    final_norm: loader.norm(&format!("{p}.final_layer_norm"), d)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // The tied head reads the first `target_vocab` rows of the table.
        // Its activations keep their residual: measured on the benchmark model, the output
        // projection's activation rounding is most of the int8 drift (teacher-forced mean
        // |Δ log-prob| 0.0044 → 0.0035), for one pass over the weights.
        let lm_head = loader
            .matrix(lm_head_name, embed_rows, target_vocab, d)?
            .with_residual();
        Ok(HostDecoder {
            layers,
            embed: EmbeddingTable::Mapped {
                file: file.clone(),
                name: embed_name.to_string(),
                shape: [embed_rows, d],
            },
            positions: sinusoidal_positions(config.max_position_embeddings, d),
            embed_scale: if config.scale_embedding {
                (d as f64).sqrt() as f32
            } else {
                1.0
            },
            lm_head,
            final_logits_bias,
            d,
        })
    }

    /// Bytes held by the matrices (the mapped embedding table not counted).
    pub(in crate::marian) fn weight_bytes(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.self_attn.bytes() + l.cross_attn.bytes() + l.ffn.bytes())
            .sum::<usize>()
            + self.lm_head.bytes()
    }
}

/// Decoding state of the host step.
pub(in crate::marian) struct HostState {
    /// Each row's sentence (rows are reordered, and finished ones dropped, by `reorder`).
    row_sentence: Vec<u32>,
    /// Where each sentence's source tokens start in `cross` (and, last, their total).
    sentence_start: Vec<usize>,
    /// Per layer: cross-attention keys and values of the source tokens (padding left out),
    /// (tokens, d).
    cross: Vec<(Vec<f32>, Vec<f32>)>,
    /// Per layer, per decoded position: self-attention keys and values, (rows, d) as the rows
    /// were at that position.
    self_kv: Vec<Vec<(Vec<f32>, Vec<f32>)>>,
    /// Per decoded position: for each current row, the row it descends from at that position.
    ancestry: Vec<Vec<u32>>,
    /// The cross-attention probe (word alignment): which layer to read, and what it read at the
    /// last step.
    pub(in crate::marian) probe: super::AttentionProbe,
}

impl DecoderBackend for HostDecoder {
    fn start(&self, encoded: &Encoded, rows_per_sentence: usize) -> Result<BackendState> {
        let d = self.d;
        let graph_tokens;
        let (tokens, sentence_start) = match encoded {
            Encoded::Host(h) => (&h.states, h.sentence_start.clone()),
            Encoded::Graph(states, mask) => {
                graph_tokens = source_tokens(states, mask)?;
                (&graph_tokens.0, graph_tokens.1.clone())
            }
        };
        let total = tokens.len() / d;
        let cross = with_scratch(|scratch| {
            self.layers
                .iter()
                .map(|layer| {
                    let attention = &layer.cross_attn;
                    Ok((
                        attention.k.forward(tokens, total, scratch)?,
                        attention.v.forward(tokens, total, scratch)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let sentences = sentence_start.len().saturating_sub(1);
        Ok(BackendState::Host(HostState {
            row_sentence: (0..sentences * rows_per_sentence)
                .map(|r| (r / rows_per_sentence.max(1)) as u32)
                .collect(),
            sentence_start,
            self_kv: vec![Vec::new(); cross.len()],
            cross,
            ancestry: Vec::new(),
            probe: super::AttentionProbe::default(),
        }))
    }

    fn step(
        &self,
        state: &mut BackendState,
        position: usize,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        let BackendState::Host(state) = state else {
            return Err(crate::marian::error::ComputeError::WrongState);
        };
        let rows = tokens.len();
        let d = self.d;
        if rows != state.row_sentence.len() {
            return Err(crate::marian::error::ComputeError::RowMismatch {
                tokens: rows,
                rows: state.row_sentence.len(),
            });
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= self.embed.rows()) {
            return Err(crate::marian::error::ComputeError::TokenOutsideVocabulary {
                id: bad,
                vocab: self.embed.rows(),
            });
        }
        let mut h = vec![0f32; rows * d];
        profile::time(Span::Embed, || {
            let position = self.positions[position * d..(position + 1) * d].repeat(rows);
            self.embed
                .embed(tokens, self.embed_scale, &position, &mut h)
        })?;
        with_scratch(|scratch| {
            let h = self.layers_step(state, h, rows, scratch)?;
            if state.probe.layer.is_some() {
                // Probing (word alignment) reads attention, not logits.
                logits.clear();
                return Ok(());
            }
            let vocab = self.lm_head.dims().0;
            // Every element is written by the product; the length changes only when rows
            // do, so the pages stay the same from step to step.
            profile::time(Span::LogitsBuffer, || logits.resize(rows * vocab, 0.0));
            profile::time(Span::OutputProjection, || {
                self.lm_head
                    .product(&h, rows, Some(&self.final_logits_bias), logits, scratch)
            })
        })
    }

    fn reorder(&self, state: &mut BackendState, rows: &[u32]) -> Result<()> {
        let BackendState::Host(state) = state else {
            return Err(crate::marian::error::ComputeError::WrongState);
        };
        let current = state.row_sentence.len();
        if let Some(&bad) = rows.iter().find(|&&r| r as usize >= current) {
            return Err(crate::marian::error::ComputeError::RowMismatch {
                tokens: bad as usize + 1,
                rows: current,
            });
        }
        // Fewer rows than before drop the others (finished sentences); nothing is copied.
        for line in &mut state.ancestry {
            *line = rows.iter().map(|&r| line[r as usize]).collect();
        }
        state.row_sentence = rows
            .iter()
            .map(|&r| state.row_sentence[r as usize])
            .collect();
        Ok(())
    }

    /// Every row is computed from its own history alone (batch-invariant): dropping rows
    /// changes no other row's bits.
    fn drops_rows(&self) -> bool {
        true
    }
}

impl HostDecoder {
    /// The decoder layers for one step: `h` (rows × d) holds the embedded tokens; returns the
    /// final hidden states (rows × d).
    fn layers_step(
        &self,
        state: &mut HostState,
        mut h: Vec<f32>,
        rows: usize,
        scratch: &mut Scratch,
    ) -> Result<Vec<f32>> {
        state.ancestry.push((0..rows as u32).collect());
        let mut buffers = AttentionBuffers {
            scores: Vec::new(),
            context: vec![0f32; rows * self.d],
        };
        for (l, layer) in self.layers.iter().enumerate() {
            self.self_attention(state, l, &h, rows, scratch, &mut buffers)?;
            let attended = profile::time(Span::SelfOut, || {
                layer.self_attn.out.forward(&buffers.context, rows, scratch)
            })?;
            profile::time(Span::Norms, || {
                layer.self_attn_norm.add_and_norm(&mut h, &attended)
            });
            self.cross_attention(state, l, &h, rows, scratch, &mut buffers)?;
            if state.probe.layer == Some(l) {
                // The probe has what it reads: later layers and the logits cannot change it.
                return Ok(h);
            }
            let crossed = profile::time(Span::CrossOut, || {
                layer
                    .cross_attn
                    .out
                    .forward(&buffers.context, rows, scratch)
            })?;
            profile::time(Span::Norms, || {
                layer.cross_attn_norm.add_and_norm(&mut h, &crossed)
            });
            let out = layer.ffn.forward(&h, rows, scratch)?;
            profile::time(Span::Norms, || layer.final_norm.add_and_norm(&mut h, &out));
        }
        Ok(h)
    }

    /// Layer `l`'s self-attention over every position so far, following each row's ancestry,
    /// into `context` (before the output projection); this step's keys and values join the
    /// cache.
    fn self_attention(
        &self,
        state: &mut HostState,
        l: usize,
        h: &[f32],
        rows: usize,
        scratch: &mut Scratch,
        buffers: &mut AttentionBuffers,
    ) -> Result<()> {
        let AttentionBuffers { scores, context } = buffers;
        let d = self.d;
        let attention = &self.layers[l].self_attn;
        let (heads, scaling) = (attention.heads, attention.scaling);
        let (q, k, v) = profile::time(Span::SelfProjections, || {
            Ok::<_, crate::marian::error::ComputeError>((
                attention.q.forward(h, rows, scratch)?,
                attention.k.forward(h, rows, scratch)?,
                attention.v.forward(h, rows, scratch)?,
            ))
        })?;
        state.self_kv[l].push((k, v));
        let _attend = profile::Timer::start(Span::SelfAttend);
        let steps = state.ancestry.len();
        let cache = &state.self_kv[l];
        for r in 0..rows {
            let at = |t: usize| state.ancestry[t][r] as usize * d;
            attend_heads(
                &q[r * d..(r + 1) * d],
                heads,
                steps,
                |t| &cache[t].0[at(t)..at(t) + d],
                |t| &cache[t].1[at(t)..at(t) + d],
                scaling,
                scores,
                &mut context[r * d..(r + 1) * d],
            );
        }
        Ok(())
    }

    /// Layer `l`'s cross-attention over each row's sentence's source tokens (padding skipped:
    /// its additive mask makes its weight exactly zero), into `context`.
    fn cross_attention(
        &self,
        state: &mut HostState,
        l: usize,
        h: &[f32],
        rows: usize,
        scratch: &mut Scratch,
        buffers: &mut AttentionBuffers,
    ) -> Result<()> {
        let AttentionBuffers { scores, context } = buffers;
        let d = self.d;
        let attention = &self.layers[l].cross_attn;
        let (heads, scaling) = (attention.heads, attention.scaling);
        let q = profile::time(Span::CrossQuery, || attention.q.forward(h, rows, scratch))?;
        let _attend = profile::Timer::start(Span::CrossAttend);
        let (ck, cv) = &state.cross[l];
        let probing = state.probe.layer == Some(l);
        if probing {
            state.probe.weights.clear();
        }
        for r in 0..rows {
            let sentence = state.row_sentence[r] as usize;
            let tokens = state.sentence_start[sentence]..state.sentence_start[sentence + 1];
            let at = |i: usize| (tokens.start + i) * d;
            attend_heads(
                &q[r * d..(r + 1) * d],
                heads,
                tokens.len(),
                |i| &ck[at(i)..at(i) + d],
                |i| &cv[at(i)..at(i) + d],
                scaling,
                scores,
                &mut context[r * d..(r + 1) * d],
            );
            if probing {
                // `scores` now holds each head's weights, head after head.
                state
                    .probe
                    .weights
                    .push(super::mean_over_heads(scores, heads, tokens.len()));
            }
        }
        Ok(())
    }
}

/// The source tokens of a Candle encoder output (b, s, d) with its additive mask: the rows at
/// unmasked positions, sentence after sentence, and where each sentence starts (and, last, the
/// total).
pub(super) fn source_tokens(encoded: &Tensor, mask: &Tensor) -> Result<(Vec<f32>, Vec<usize>)> {
    let (_, src_len, d) = encoded.dims3()?;
    let encoded = encoded
        .flatten_all()?
        .to_dtype(DType::F32)?
        .to_vec1::<f32>()?;
    let mask = mask.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?;
    // Only the source tokens get keys and values (padding would get zero weight).
    let mut tokens = Vec::new();
    let mut sentence_start = Vec::new();
    for (sentence, row) in mask.chunks(src_len.max(1)).enumerate() {
        sentence_start.push(tokens.len() / d);
        for (s, &m) in row.iter().enumerate() {
            if m == 0.0 {
                let at = (sentence * src_len + s) * d;
                tokens.extend_from_slice(&encoded[at..at + d]);
            }
        }
    }
    sentence_start.push(tokens.len() / d);
    Ok((tokens, sentence_start))
}

/// The attention step's buffers, reused across layers.
struct AttentionBuffers {
    scores: Vec<f32>,
    /// rows × d: the attended values, before the output projection.
    context: Vec<f32>,
}
