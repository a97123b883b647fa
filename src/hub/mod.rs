//! Finding a model's files: a local directory, a short name from entente's registry
//! (`models/registry.json`), or a Hugging Face Hub id at a revision.
//!
//! Hub files are looked up in the standard cache (`HF_HUB_CACHE`, else `HF_HOME/hub`, else
//! `~/.cache/huggingface/hub`, in huggingface_hub's `models--org--name/snapshots/<commit>/`
//! layout) and downloaded with `hf-hub` when missing, unless `HF_HUB_OFFLINE=1`. Weights of
//! registry models with a published checksum are verified before use.

pub mod digest;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use digest::{file_digest, hex, sha256};

/// The files whose content decides a translation, when present, in a fixed order.
const DIGESTED: [&str; 9] = [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "pytorch_model.bin",
    "source.spm",
    "target.spm",
    "vocab.json",
    "target_vocab.json",
    "tokenizer_config.json",
];

/// One content digest over every file of `files` that decides a translation (configs, weights,
/// tokenizer files): what the pipeline's resume identity holds, so that new weights under the
/// same name make a new identity. Hub blobs give their own hash; other files are hashed once per
/// version (see [`digest`]).
pub fn model_digest(files: &ModelFiles) -> Result<String, HubError> {
    let mut present = Vec::new();
    for name in DIGESTED {
        let path = files.dir.join(name);
        let chosen = match name {
            "config.json" => Some(files.config.clone()),
            "generation_config.json" => files.generation_config.clone(),
            "model.safetensors" | "pytorch_model.bin" => files
                .weights
                .clone()
                .filter(|w| w.file_name().is_some_and(|n| n == name)),
            _ => path.is_file().then_some(path),
        };
        if let Some(path) = chosen {
            present.push((name, path));
        }
    }
    digest::digest_of(&present).map_err(|(path, source)| HubError::Io { path, source })
}

/// Errors resolving model files.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(
        "model {model:?} at revision {revision:?} is not fully in the Hugging Face cache ({cache}) \
         and HF_HUB_OFFLINE is set; missing: {missing}. Download it on a connected machine, or pass \
         a local directory holding config.json, source.spm, target.spm, vocab.json and the weights \
         (model.safetensors or pytorch_model.bin) with --model DIR"
    )]
    OfflineMissing {
        model: String,
        revision: String,
        cache: String,
        missing: String,
    },
    #[error("{dir} is missing {missing}; a model directory needs config.json, source.spm, target.spm, vocab.json and model.safetensors or pytorch_model.bin")]
    LocalMissing { dir: PathBuf, missing: String },
    #[error(
        "downloading {file} of {model}: {reason}. Missing from the Hugging Face cache: \
         {missing}. Without network, fetch them elsewhere (`huggingface-cli download {model} \
         --revision {revision}`) and copy the cache, or pass a local directory with --model DIR \
         (HF_HUB_OFFLINE=1 never tries the network)"
    )]
    Download {
        model: String,
        revision: String,
        file: String,
        reason: String,
        /// The missing files and the cache searched.
        missing: String,
    },
    #[error(
        "{path} has sha256 {actual}, but {model} publishes {expected}: the file is corrupt or \
         incomplete; delete it and download again"
    )]
    Checksum {
        path: PathBuf,
        model: String,
        expected: String,
        actual: String,
    },
    #[error(
        "no model directory at {path}: a local model is a directory holding config.json, \
         source.spm, target.spm, vocab.json and the weights"
    )]
    NoLocalDir { path: String },
    #[error(
        "unknown model {name:?}: use a registry name ({known}), a Hub id of the form org/name \
         (e.g. Helsinki-NLP/opus-mt-fr-en), or a local directory"
    )]
    UnknownName { name: String, known: String },
    #[error("{what} {value:?} is not valid: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A model known to entente.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistryEntry {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub hub_id: String,
    pub revision: String,
    /// The weights file the checksum is for.
    pub weights: Option<String>,
    pub sha256: Option<String>,
    pub description: String,
}

/// entente's registry of French→English models.
pub fn registry() -> Vec<RegistryEntry> {
    serde_json::from_str(include_str!("../../models/registry.json"))
        .expect("models/registry.json is valid (checked by a test)")
}

/// The default model: the first registry entry.
pub fn default_model() -> String {
    registry()[0].name.clone()
}

/// Paths of a model's files.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFiles {
    /// Where the files were found (a local directory or a cache snapshot).
    pub dir: PathBuf,
    pub config: PathBuf,
    pub generation_config: Option<PathBuf>,
    /// The weights: `model.safetensors` or `pytorch_model.bin` (None when not asked for).
    pub weights: Option<PathBuf>,
}

impl ModelFiles {
    /// The directory holding the tokenizer files.
    pub fn tokenizer_dir(&self) -> &Path {
        &self.dir
    }
}

const TOKENIZER_FILES: [&str; 3] = ["source.spm", "target.spm", "vocab.json"];
const OPTIONAL_FILES: [&str; 3] = [
    "tokenizer_config.json",
    "generation_config.json",
    "target_vocab.json",
];
const WEIGHTS: [&str; 2] = ["model.safetensors", "pytorch_model.bin"];

/// The Hub cache directory from the environment, as huggingface_hub computes it.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HF_HUB_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(home) = std::env::var_os("HF_HOME") {
        return PathBuf::from(home).join("hub");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("huggingface").join("hub")
}

/// Is `HF_HUB_OFFLINE` set to a true value?
pub fn offline() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
        .unwrap_or(false)
}

/// The snapshot directory of `hub_id` at `revision` in `cache`, if the revision is known.
fn snapshot_dir(cache: &Path, hub_id: &str, revision: &str) -> Option<PathBuf> {
    let repo = cache.join(format!("models--{}", hub_id.replace('/', "--")));
    let is_commit = revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit());
    let commit = if is_commit {
        revision.to_string()
    } else {
        std::fs::read_to_string(repo.join("refs").join(revision))
            .ok()?
            .trim()
            .to_string()
    };
    Some(repo.join("snapshots").join(commit))
}

/// Resolve `model` (a directory, a registry name or a Hub id) to file paths. `revision`
/// overrides the registry's; `with_weights` also finds (and verifies) the weights.
pub fn resolve(
    model: &str,
    revision: Option<&str>,
    with_weights: bool,
) -> Result<ModelFiles, HubError> {
    if model.trim().is_empty() {
        return Err(HubError::Invalid {
            what: "model",
            value: model.to_string(),
            reason: "it is empty; pass a registry name, a Hub id or a directory",
        });
    }
    let path = Path::new(model);
    if path.is_dir() {
        return resolve_local(path, with_weights);
    }
    if looks_local(model) {
        // Never sent to the Hub: it names a path, and that path is not a directory.
        return Err(HubError::NoLocalDir {
            path: model.to_string(),
        });
    }
    let entry = registry()
        .into_iter()
        .find(|e| e.name == model || e.aliases.iter().any(|a| a == model));
    let (hub_id, default_revision) = match &entry {
        Some(e) => (e.hub_id.clone(), e.revision.clone()),
        None if !model.contains('/') => {
            let known: Vec<String> = registry().into_iter().map(|e| e.name).collect();
            return Err(HubError::UnknownName {
                name: model.to_string(),
                known: known.join(", "),
            });
        }
        None => {
            check_hub_id(model)?;
            (model.to_string(), "main".to_string())
        }
    };
    let revision = revision.unwrap_or(&default_revision).to_string();
    check_revision(&revision)?;
    let files = resolve_hub(&hub_id, &revision, with_weights)?;
    if let (Some(entry), Some(weights)) = (&entry, &files.weights) {
        let same_file = entry.weights.as_deref() == weights.file_name().and_then(|n| n.to_str());
        if let (Some(expected), true, true) = (&entry.sha256, same_file, revision == entry.revision)
        {
            verify_sha256(weights, &entry.hub_id, expected)?;
        }
    }
    Ok(files)
}

/// Does `model` name a local path rather than a registry name or Hub id?
fn looks_local(model: &str) -> bool {
    model.starts_with(['/', '.', '~'])
        || model.ends_with('/')
        || model.contains('\\')
        || model.matches('/').count() > 1
        || Path::new(model).exists()
}

/// A Hub id is `org/name`, each part letters, digits, `-`, `_` and `.`, as the Hub allows.
fn check_hub_id(id: &str) -> Result<(), HubError> {
    let invalid = |reason| HubError::Invalid {
        what: "Hub id",
        value: id.to_string(),
        reason,
    };
    if id.len() > 96 {
        return Err(invalid("longer than the Hub's 96 characters"));
    }
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !p.starts_with(['-', '.'])
            && !p.ends_with(['-', '.'])
            && !p.contains("--")
            && !p.contains("..")
    };
    match id.split_once('/') {
        Some((org, name)) if part_ok(org) && part_ok(name) => Ok(()),
        _ => Err(invalid(
            "a Hub id is org/name in letters, digits, '-', '_' and '.'",
        )),
    }
}

/// A revision is a branch, tag or commit: no empty, absolute or `..` path parts (it becomes a
/// path under the cache's `refs/`).
fn check_revision(revision: &str) -> Result<(), HubError> {
    let ok = !revision.is_empty()
        && revision.len() <= 256
        && !revision.starts_with('/')
        && revision
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(HubError::Invalid {
            what: "revision",
            value: revision.to_string(),
            reason: "use a branch, tag or commit name",
        })
    }
}

fn resolve_local(dir: &Path, with_weights: bool) -> Result<ModelFiles, HubError> {
    let mut missing: Vec<&str> = std::iter::once("config.json")
        .chain(TOKENIZER_FILES)
        .filter(|f| !dir.join(f).is_file())
        .collect();
    let weights = WEIGHTS.iter().map(|w| dir.join(w)).find(|p| p.is_file());
    if with_weights && weights.is_none() {
        missing.push("model.safetensors (or pytorch_model.bin)");
    }
    if !missing.is_empty() {
        return Err(HubError::LocalMissing {
            dir: dir.to_path_buf(),
            missing: missing.join(", "),
        });
    }
    let generation = dir.join("generation_config.json");
    Ok(ModelFiles {
        dir: dir.to_path_buf(),
        config: dir.join("config.json"),
        generation_config: generation.is_file().then_some(generation),
        weights: if with_weights { weights } else { None },
    })
}

/// `file` of `hub_id` at `revision` in the Hub cache, if it is there: hf_hub's own cache lookup
/// (`refs/<revision>` → `snapshots/<commit>/<file>`) for branches and tags, the snapshot itself
/// for a commit id (which hf_hub's lookup does not take), and a ref file written with a trailing
/// newline (which hf_hub's does not trim) read by [`snapshot_dir`].
fn cached_file(cache: &Path, hub_id: &str, revision: &str, file: &str) -> Option<PathBuf> {
    let repo = hf_hub::Cache::new(cache.to_path_buf()).repo(hf_hub::Repo::with_revision(
        hub_id.to_string(),
        hf_hub::RepoType::Model,
        revision.to_string(),
    ));
    repo.get(file)
        .or_else(|| snapshot_dir(cache, hub_id, revision).map(|d| d.join(file)))
        .filter(|p| p.is_file())
}

fn resolve_hub(hub_id: &str, revision: &str, with_weights: bool) -> Result<ModelFiles, HubError> {
    let cache = cache_dir();
    let cached = |file: &str| cached_file(&cache, hub_id, revision, file);
    let required: Vec<&str> = std::iter::once("config.json")
        .chain(TOKENIZER_FILES)
        .collect();
    let mut missing: Vec<String> = required
        .iter()
        .filter(|f| cached(f).is_none())
        .map(|f| f.to_string())
        .collect();
    let cached_weights = WEIGHTS.iter().find_map(|w| cached(w));
    if with_weights && cached_weights.is_none() {
        missing.push("model.safetensors (or pytorch_model.bin)".into());
    }
    if !missing.is_empty() {
        if offline() {
            return Err(HubError::OfflineMissing {
                model: hub_id.to_string(),
                revision: revision.to_string(),
                cache: cache.display().to_string(),
                missing: missing.join(", "),
            });
        }
        download(
            hub_id,
            revision,
            &cache,
            with_weights && cached_weights.is_none(),
            &missing.join(", "),
        )?;
    }
    let dir = snapshot_dir(&cache, hub_id, revision).ok_or_else(|| HubError::OfflineMissing {
        model: hub_id.to_string(),
        revision: revision.to_string(),
        cache: cache.display().to_string(),
        missing: "the revision".into(),
    })?;
    resolve_local(&dir, with_weights)
}

/// Download the model's files into the cache with hf-hub (progress on stderr).
fn download(
    hub_id: &str,
    revision: &str,
    cache: &Path,
    weights: bool,
    missing: &str,
) -> Result<(), HubError> {
    let err = |file: &str, reason: String| HubError::Download {
        model: hub_id.to_string(),
        revision: revision.to_string(),
        file: file.to_string(),
        reason,
        missing: format!("{missing} (in {})", cache.display()),
    };
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_cache_dir(cache.to_path_buf())
        .with_progress(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .build()
        .map_err(|e| err("(connection)", e.to_string()))?;
    let repo = api.repo(hf_hub::Repo::with_revision(
        hub_id.to_string(),
        hf_hub::RepoType::Model,
        revision.to_string(),
    ));
    for file in std::iter::once("config.json").chain(TOKENIZER_FILES) {
        repo.get(file).map_err(|e| err(file, e.to_string()))?;
    }
    for file in OPTIONAL_FILES {
        let _ = repo.get(file); // absent in some repositories
    }
    if weights {
        // opus-mt-fr-en's main branch has only pytorch_model.bin.
        if repo.get(WEIGHTS[0]).is_err() {
            repo.get(WEIGHTS[1])
                .map_err(|e| err(WEIGHTS[1], e.to_string()))?;
        }
    }
    Ok(())
}

/// Check a file's sha256 against the published one (the Hub cache's blob name, or a hash
/// computed once per version of the file).
pub fn verify_sha256(path: &Path, model: &str, expected: &str) -> Result<(), HubError> {
    let actual = sha256(path).map_err(|(path, source)| HubError::Io { path, source })?;
    if actual != expected {
        return Err(HubError::Checksum {
            path: path.to_path_buf(),
            model: model.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_parses_and_names_the_default() {
        let entries = registry();
        assert_eq!(entries[0].hub_id, "Helsinki-NLP/opus-mt-fr-en");
        assert!(entries.iter().any(|e| e.name == "tc-big"));
        assert_eq!(default_model(), "opus-mt-fr-en");
    }

    #[test]
    fn paths_and_unknown_names_never_reach_the_hub() {
        // Each fails at once with its own message; none is a download error.
        for (model, expect) in [
            ("/tmp/no/such/entente/model", "no model directory"),
            ("./missing-model", "no model directory"),
            ("models/test/none/", "no model directory"),
            ("a/b/c", "no model directory"),
            ("Cargo.toml", "no model directory"),
            ("opus-mt-xx-yy", "unknown model"),
            ("", "empty"),
            ("  ", "empty"),
            ("org/na me", "Hub id"),
            ("org/../name", "no model directory"),
            ("-org/name", "Hub id"),
        ] {
            let err = resolve(model, None, false).unwrap_err();
            assert!(
                !matches!(
                    err,
                    HubError::Download { .. } | HubError::OfflineMissing { .. }
                ),
                "{model:?}: {err}"
            );
            assert!(err.to_string().contains(expect), "{model:?}: {err}");
        }
        for revision in ["../../etc", "/abs", "", "a//b", "x y"] {
            let err = resolve("Helsinki-NLP/opus-mt-fr-en", Some(revision), false).unwrap_err();
            assert!(err.to_string().contains("revision"), "{revision:?}: {err}");
        }
    }

    #[test]
    fn snapshot_of_a_commit_needs_no_ref() {
        let cache = Path::new("/cache");
        let commit = "c4aed37b318c763fd177aa449b44e3b783cc6c02";
        assert_eq!(
            snapshot_dir(cache, "Helsinki-NLP/opus-mt-fr-en", commit).unwrap(),
            Path::new("/cache/models--Helsinki-NLP--opus-mt-fr-en/snapshots").join(commit)
        );
    }
}
