//! Content digests of model files, for what must change when the files change (the pipeline's
//! resume identity) and for checking published checksums. A file in the Hugging Face cache is
//! named by the Hub's own content hash (`blobs/<sha256>` for weights, the git object id for
//! small files): that name is its digest, read at no cost. Any other file is hashed once
//! (SHA-256) and the result kept in a small cache keyed by the file's path, size, inode and
//! modification and change times, so that a 300 MB checkpoint is not re-read at every load,
//! while a file replaced or rewritten in place (its change time moves) is hashed again.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file that could not be read, and why.
pub type DigestError = (PathBuf, std::io::Error);

/// One digest over `files` (name and path, in the order given), as `sha256` hex of the lines
/// `NAME DIGEST`.
pub fn digest_of(files: &[(&str, PathBuf)]) -> Result<String, DigestError> {
    let mut lines = String::new();
    for (name, path) in files {
        lines.push_str(&format!("{name} {}\n", file_digest(path)?));
    }
    Ok(hex(&Sha256::digest(lines.as_bytes())))
}

/// The content digest of one file: the Hub's own hash where the file is a Hub cache blob
/// (`hub:` and the blob's name), else `sha256:` and its SHA-256, cached.
pub fn file_digest(path: &Path) -> Result<String, DigestError> {
    let io = |source| (path.to_path_buf(), source);
    let real = std::fs::canonicalize(path).map_err(io)?;
    if let Some(name) = hub_blob_name(&real) {
        return Ok(format!("hub:{name}"));
    }
    Ok(format!("sha256:{}", sha256_cached(&real)?))
}

/// The SHA-256 (hex) of a file's content: the Hub blob's name where it is one (a SHA-256 by
/// construction), else hashed through the digest cache.
pub fn sha256(path: &Path) -> Result<String, DigestError> {
    let real = std::fs::canonicalize(path).map_err(|source| (path.to_path_buf(), source))?;
    match hub_blob_name(&real) {
        Some(name) if name.len() == 64 => Ok(name),
        _ => sha256_cached(&real),
    }
}

/// The SHA-256 (hex) of a file's content, from the digest cache when the file is unchanged.
fn sha256_cached(path: &Path) -> Result<String, DigestError> {
    sha256_cached_in(path, &cache_file())
}

fn sha256_cached_in(path: &Path, cache_file: &Path) -> Result<String, DigestError> {
    let io = |source| (path.to_path_buf(), source);
    let stamp = stamp(&std::fs::metadata(path).map_err(io)?);
    let key = path.display().to_string();
    let mut cache = read_cache(cache_file);
    if let Some(known) = cache.get(&key) {
        if known.0 == stamp {
            return Ok(known.1.clone());
        }
    }
    let digest = sha256_of(path)?;
    cache.insert(key, (stamp, digest.clone()));
    // A cache that cannot be written only costs a re-hash next time.
    let _ = write_cache(cache_file, &cache);
    Ok(digest)
}

/// The SHA-256 (hex) of a file, read in 1 MiB pieces.
fn sha256_of(path: &Path) -> Result<String, DigestError> {
    let io = |source| (path.to_path_buf(), source);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The blob name of a file inside a Hub cache (`…/models--org--name/blobs/<hash>`): 40 hex
/// digits (a git object id) or 64 (a SHA-256).
fn hub_blob_name(real: &Path) -> Option<String> {
    let name = real.file_name()?.to_str()?;
    let parent = real.parent()?;
    let in_blobs = parent.file_name()? == "blobs"
        && parent
            .parent()?
            .file_name()?
            .to_str()?
            .starts_with("models--");
    let hex_name = matches!(name.len(), 40 | 64) && name.bytes().all(|b| b.is_ascii_hexdigit());
    (in_blobs && hex_name).then(|| name.to_ascii_lowercase())
}

/// What identifies a file's version without reading it: size, inode, modification and change
/// times (a write in place moves the change time, which no tool sets back).
fn stamp(meta: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        format!(
            "{}:{}:{}.{}:{}.{}",
            meta.len(),
            meta.ino(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        )
    }
    #[cfg(not(unix))]
    {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("{}:{modified}", meta.len())
    }
}

type DigestCache = BTreeMap<String, (String, String)>;

/// `ENTENTE_DIGEST_CACHE`, else `$XDG_CACHE_HOME/entente/digests.json`, else
/// `~/.cache/entente/digests.json`.
fn cache_file() -> PathBuf {
    if let Some(file) = std::env::var_os("ENTENTE_DIGEST_CACHE") {
        return PathBuf::from(file);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("entente").join("digests.json")
}

/// The cache, or an empty one where it is missing or unreadable.
fn read_cache(file: &Path) -> DigestCache {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Written to a temporary file and renamed, so that a reader never sees half a cache.
fn write_cache(file: &Path, cache: &DigestCache) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".digests.{}.tmp", std::process::id()));
    std::fs::write(
        &temp,
        serde_json::to_vec(cache).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&temp, file)
}

/// Bytes as lowercase hexadecimal (how digests are written everywhere in entente).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_rewritten_in_place_gets_a_new_digest_and_an_unchanged_one_is_cached() {
        let dir = tempfile::tempdir().unwrap();
        let cache_file = dir.path().join("cache.json");
        let file = dir.path().join("weights.bin");
        std::fs::write(&file, b"first weights").unwrap();
        let first = sha256_cached_in(&file, &cache_file).unwrap();
        assert_eq!(first, hex(&Sha256::digest(b"first weights")));
        let cache = std::fs::read_to_string(&cache_file).unwrap();
        assert!(cache.contains(&first), "{cache}");
        // The cache answers for an unchanged file: a planted digest comes back.
        let planted = cache.replace(&first, "planted");
        std::fs::write(&cache_file, planted).unwrap();
        assert_eq!(sha256_cached_in(&file, &cache_file).unwrap(), "planted");
        // Same size, rewritten in place: hashed again.
        std::fs::write(&file, b"other weights").unwrap();
        let second = sha256_cached_in(&file, &cache_file).unwrap();
        assert_eq!(second, hex(&Sha256::digest(b"other weights")));
    }

    #[test]
    fn hub_blobs_are_named_by_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("models--org--name/blobs");
        std::fs::create_dir_all(&blobs).unwrap();
        let name = "ab".repeat(32);
        std::fs::write(blobs.join(&name), b"not even read").unwrap();
        assert_eq!(
            file_digest(&blobs.join(&name)).unwrap(),
            format!("hub:{name}")
        );
    }
}
