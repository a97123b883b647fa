//! Names and keys that must be the same on every machine and run: the 128-bit digests behind
//! sentence keys, dedup and shards, and the paths of a document's files.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub(super) use crate::hub::hex;

/// Paths of a document's outputs.
pub(super) fn doc_path(out_dir: &Path, id: &str, suffix: &str) -> PathBuf {
    out_dir.join("docs").join(format!("{id}{suffix}"))
}

/// The first 128 bits (little-endian) of the sha256 of `parts`, each followed by a 0 byte when
/// there are several: a key that is the same on every machine and run.
pub(super) fn digest128(parts: &[&str]) -> u128 {
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0]);
        }
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
}

/// The shard (0 ≤ shard < `shards`) a document id belongs to: a hash of the id, the same on
/// every machine and run.
pub fn shard_of(id: &str, shards: usize) -> usize {
    // The digest's first 64 bits, as the shard assignment has always used.
    (digest128(&[id]) as u64 % shards.max(1) as u64) as usize
}
