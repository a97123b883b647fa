//! Reading weights from a memory-mapped `model.safetensors` without keeping the file resident.
//!
//! Candle's own mapped loader keeps every page it has read mapped until the model is built, so
//! loading costs the file's size in resident memory on top of the copies. Here each tensor's
//! pages are handed back to the kernel (`madvise(MADV_DONTNEED)`, the page cache keeps them)
//! as soon as the tensor is copied or quantized; tables read row by row (the embeddings) are
//! read with `pread` as rows are looked up ([`MappedSafetensors::read_range`]), so none of
//! them stays resident.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Shape, Tensor};
use safetensors::Dtype;

use super::error::MarianError;

/// One tensor's place in the file.
#[derive(Debug, Clone)]
struct Entry {
    dtype: Dtype,
    shape: Vec<usize>,
    /// Byte range within the map.
    start: usize,
    end: usize,
}

/// A mapped safetensors file.
pub struct MappedSafetensors {
    path: PathBuf,
    /// For reads that should not map pages (see [`MappedSafetensors::read_range`]).
    file: std::fs::File,
    map: memmap2::Mmap,
    entries: HashMap<String, Entry>,
}

impl std::fmt::Debug for MappedSafetensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MappedSafetensors({})", self.path.display())
    }
}

impl MappedSafetensors {
    pub fn open(path: &Path) -> Result<Arc<Self>, MarianError> {
        let file = std::fs::File::open(path).map_err(|source| MarianError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // SAFETY: mapped read-only; entente never writes model files, and a file changed by
        // another process while mapped is outside what any loader can guard against.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| MarianError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let weights_error = |reason: String| MarianError::Weights {
            path: path.to_path_buf(),
            reason,
        };
        let (header, metadata) = safetensors::SafeTensors::read_metadata(&map)
            .map_err(|e| weights_error(format!("not a safetensors file: {e}")))?;
        let data_start = 8 + header;
        let entries = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| {
                let (start, end) = info.data_offsets;
                (
                    name,
                    Entry {
                        dtype: info.dtype,
                        shape: info.shape.clone(),
                        start: data_start + start,
                        end: data_start + end,
                    },
                )
            })
            .collect();
        Ok(Arc::new(MappedSafetensors {
            path: path.to_path_buf(),
            file,
            map,
            entries,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    fn entry(&self, name: &str, shape: &[usize]) -> candle_core::Result<&Entry> {
        let Some(entry) = self.entries.get(name) else {
            candle_core::bail!("tensor {name} is not in the checkpoint");
        };
        if entry.shape != shape {
            candle_core::bail!(
                "tensor {name} has shape {:?}, the configuration expects {shape:?}",
                entry.shape
            );
        }
        Ok(entry)
    }

    /// Elements `first..first + count` of tensor `name` (of `shape`) as f32: borrowed from the
    /// map when it holds aligned f32, converted otherwise.
    pub fn f32_range(
        &self,
        name: &str,
        shape: &[usize],
        first: usize,
        count: usize,
    ) -> candle_core::Result<Cow<'_, [f32]>> {
        let entry = self.entry(name, shape)?;
        let size = match entry.dtype {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
            other => candle_core::bail!("tensor {name} is {other:?}; entente reads f32, f16, bf16"),
        };
        let elements = (entry.end - entry.start) / size;
        if first + count > elements {
            candle_core::bail!("tensor {name} has {elements} values, not {}", first + count);
        }
        let bytes = &self.map[entry.start + first * size..entry.start + (first + count) * size];
        Ok(match entry.dtype {
            Dtype::F32 => {
                // SAFETY: any 4 bytes are a valid f32; `align_to` only yields the aligned part.
                let (head, values, _) = unsafe { bytes.align_to::<f32>() };
                if head.is_empty() && values.len() == count && cfg!(target_endian = "little") {
                    Cow::Borrowed(values)
                } else {
                    Cow::Owned(
                        bytes
                            .chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect(),
                    )
                }
            }
            Dtype::F16 => Cow::Owned(
                bytes
                    .chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
            ),
            _ => Cow::Owned(
                bytes
                    .chunks_exact(2)
                    .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
            ),
        })
    }

    /// Elements `first..first + count` of tensor `name` as f32, read with `pread` rather than
    /// through the map: a page fault on a mapping brings its neighbours in too (the kernel's
    /// fault-around, 64 KiB), so scattered row lookups through the map would leave most of an
    /// embedding table resident.
    pub fn read_range(
        &self,
        name: &str,
        shape: &[usize],
        first: usize,
        count: usize,
        out: &mut [f32],
    ) -> candle_core::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            let entry = self.entry(name, shape)?;
            if entry.dtype == Dtype::F32 && out.len() == count {
                let elements = (entry.end - entry.start) / 4;
                if first + count > elements {
                    candle_core::bail!(
                        "tensor {name} has {elements} values, not {}",
                        first + count
                    );
                }
                let mut bytes = vec![0u8; 4 * count];
                self.file
                    .read_exact_at(&mut bytes, (entry.start + 4 * first) as u64)
                    .map_err(|e| {
                        candle_core::Error::Msg(format!("{}: {e}", self.path.display()))
                    })?;
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
                return Ok(());
            }
        }
        out.copy_from_slice(&self.f32_range(name, shape, first, count)?);
        Ok(())
    }

    /// The whole tensor as f32.
    pub fn f32_all(&self, name: &str, shape: &[usize]) -> candle_core::Result<Cow<'_, [f32]>> {
        self.f32_range(name, shape, 0, shape.iter().product())
    }

    /// Hand the pages of elements `first..first + count` of `name` back to the kernel: they
    /// stop counting as this process's memory and are read again from the page cache if used.
    pub fn release_range(&self, name: &str, first: usize, count: usize) {
        let Some(entry) = self.entries.get(name) else {
            return;
        };
        let size = match entry.dtype {
            Dtype::F32 => 4,
            _ => 2,
        };
        let base = self.map.as_ptr() as usize;
        let start = base + entry.start + first * size;
        let end = (base + entry.start + (first + count) * size).min(base + entry.end);
        release_pages(start, end);
    }

    pub fn release(&self, name: &str) {
        if let Some(entry) = self.entries.get(name) {
            let base = self.map.as_ptr() as usize;
            release_pages(base + entry.start, base + entry.end);
        }
    }
}

/// `madvise(MADV_DONTNEED)` on the whole pages inside `start..end` (pages shared with a
/// neighbouring tensor at either end are kept).
fn release_pages(start: usize, end: usize) {
    #[cfg(unix)]
    {
        const PAGE: usize = 4096;
        let first = start.div_ceil(PAGE) * PAGE;
        let last = end / PAGE * PAGE;
        if last > first {
            // SAFETY: the range lies inside a live read-only file mapping owned by
            // `MappedSafetensors`; dropping its pages only makes later reads fault them in
            // again from the file. Nothing else is affected, and failure is harmless.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (start, end);
}

/// Candle's `VarBuilder` over the mapped file: each tensor copied out, then its pages released.
pub struct ReleasingBackend(pub Arc<MappedSafetensors>);

impl candle_nn::var_builder::SimpleBackend for ReleasingBackend {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = {
            let values = self.0.f32_all(name, shape.dims())?;
            Tensor::from_slice(&values, shape, device)?.to_dtype(dtype)?
        };
        self.0.release(name);
        Ok(tensor)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let Some(shape) = self.0.entries.get(name).map(|e| e.shape.clone()) else {
            candle_core::bail!("tensor {name} is not in the checkpoint");
        };
        self.get(
            shape.into(),
            name,
            candle_nn::Init::Const(0.0),
            dtype,
            device,
        )
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}
