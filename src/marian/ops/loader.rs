//! Reading a checkpoint's tensors into the host products' precision: the mapped file is read
//! row by row and each tensor's pages are handed back to the kernel once converted, so that no
//! float copy of a weight survives loading.

use std::borrow::Cow;

use super::matrix::{HostLinear, HostNorm, HostProducts, Matrix};
use crate::marian::error::ComputeError;
use crate::marian::weights::MappedSafetensors;

type Result<T> = std::result::Result<T, crate::marian::error::ComputeError>;

/// Reads weights from the mapped checkpoint in one precision, releasing each tensor's pages
/// once it is converted.
pub(in crate::marian) struct Loader<'a> {
    pub(in crate::marian) file: &'a MappedSafetensors,
    pub(in crate::marian) products: HostProducts,
}

impl Loader<'_> {
    pub(in crate::marian) fn vector(&self, name: &str, n: usize) -> Result<Vec<f32>> {
        let values = self.file.f32_all(name, &[n])?.into_owned();
        self.file.release(name);
        Ok(values)
    }

    /// The first `n_out` rows of tensor `name` (table_rows × n_in) in this loader's precision,
    /// read row by row; the float pages are released in chunks as they are converted, so that
    /// not even the largest table (the output projection) is ever resident as a whole.
    pub(in crate::marian) fn matrix(
        &self,
        name: &str,
        table_rows: usize,
        n_out: usize,
        n_in: usize,
    ) -> Result<Matrix> {
        const CHUNK: usize = 2048;
        let shape = [table_rows, n_in];
        let mut failure = None;
        let matrix = Matrix::from_rows(n_out, n_in, self.products, |o| {
            if o % CHUNK == 0 && o > 0 {
                self.file
                    .release_range(name, (o - CHUNK) * n_in, CHUNK * n_in);
            }
            self.file
                .f32_range(name, &shape, o * n_in, n_in)
                .unwrap_or_else(|e| {
                    failure.get_or_insert(e);
                    Cow::Owned(vec![0.0; n_in])
                })
        })?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        self.file.release(name);
        Ok(matrix)
    }

    pub(in crate::marian) fn linear(
        &self,
        prefix: &str,
        n_in: usize,
        n_out: usize,
    ) -> Result<HostLinear> {
        let matrix = self.matrix(&format!("{prefix}.weight"), n_out, n_out, n_in)?;
        let bias = format!("{prefix}.bias");
        let bias = if self.file.contains(&bias) {
            Some(self.vector(&bias, n_out)?)
        } else {
            None
        };
        Ok(HostLinear { matrix, bias })
    }

    pub(in crate::marian) fn norm(&self, prefix: &str, d: usize) -> Result<HostNorm> {
        Ok(HostNorm {
            alpha: self.vector(&format!("{prefix}.weight"), d)?,
            beta: self.vector(&format!("{prefix}.bias"), d)?,
        })
    }
}

/// The first of `names` the checkpoint holds.
pub(in crate::marian) fn first_present<'a>(
    file: &MappedSafetensors,
    names: &[&'a str],
) -> Result<&'a str> {
    names
        .iter()
        .copied()
        .find(|n| file.contains(n))
        .ok_or_else(|| {
            ComputeError::Weights(format!(
                "none of the tensors {} is in the checkpoint",
                names.join(", ")
            ))
        })
}
