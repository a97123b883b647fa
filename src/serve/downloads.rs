//! Translated files kept in memory for download (`/translate_file`'s answers): a bounded number,
//! each for an hour, under a name that cannot be guessed from another's.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::Digest;

/// How long a translated file can be downloaded, and how many are kept at most.
pub(super) const KEEP_FOR: Duration = Duration::from_secs(3600);
const KEEP_AT_MOST: usize = 64;

/// A translated file waiting to be downloaded.
pub(super) struct Stored {
    id: String,
    pub(super) name: String,
    pub(super) media_type: &'static str,
    pub(super) bytes: Vec<u8>,
    at: Instant,
}

/// The translated files, newest last.
#[derive(Default)]
pub struct FileStore {
    files: Mutex<VecDeque<Stored>>,
    next: std::sync::atomic::AtomicU64,
}

impl FileStore {
    pub(super) fn put(&self, name: String, media_type: &'static str, bytes: Vec<u8>) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Not guessable from another download's name: time and counter hashed.
        let hash = sha2::Sha256::digest(format!("{nanos}:{n}:{}", std::process::id()));
        let id = crate::hub::digest::hex(&hash[..12]);
        let mut files = self.files.lock().expect("files lock");
        files.retain(|f| f.at.elapsed() < KEEP_FOR);
        while files.len() >= KEEP_AT_MOST {
            files.pop_front();
        }
        files.push_back(Stored {
            id: id.clone(),
            name,
            media_type,
            bytes,
            at: Instant::now(),
        });
        id
    }

    /// The file stored under `id`, while it is kept.
    pub(super) fn get(&self, id: &str) -> Option<Stored> {
        let files = self.files.lock().expect("files lock");
        files
            .iter()
            .find(|f| f.id == id && f.at.elapsed() < KEEP_FOR)
            .map(|f| Stored {
                id: f.id.clone(),
                name: f.name.clone(),
                media_type: f.media_type,
                bytes: f.bytes.clone(),
                at: f.at,
            })
    }
}
