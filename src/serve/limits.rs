//! Who may call the server and how often: API keys read from a file, and per-client request
//! limits over fixed one-minute windows (LibreTranslate's `--req-limit`, per key or per address).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Length of a rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Clients remembered before old windows are purged (bounds the limiter's memory).
const MAX_TRACKED: usize = 100_000;

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("reading API keys from {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Line {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("{path}: no keys (one per line: KEY [REQUESTS_PER_MINUTE])")]
    Empty { path: String },
}

/// API keys, each with an optional requests-per-minute limit of its own.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    keys: HashMap<String, Option<u32>>,
}

impl ApiKeys {
    /// Read `KEY [REQUESTS_PER_MINUTE]` lines; blank lines and `#` comments are skipped.
    pub fn load(path: &Path) -> Result<Self, KeysError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| KeysError::Read {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text, &name)
    }

    pub fn parse(text: &str, name: &str) -> Result<Self, KeysError> {
        let mut keys = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| KeysError::Line {
                path: name.into(),
                line: i + 1,
                reason,
            };
            let mut fields = line.split_whitespace();
            let key = fields.next().expect("a non-blank line has a field");
            let limit = match fields.next() {
                None => None,
                Some(n) => match n.parse::<u32>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        return Err(bad(format!(
                            "{n:?} is not a positive number of requests per minute"
                        )))
                    }
                },
            };
            if fields.next().is_some() {
                return Err(bad("expected KEY [REQUESTS_PER_MINUTE]".into()));
            }
            if keys.insert(key.to_string(), limit).is_some() {
                return Err(bad(format!("key {key:?} appears twice")));
            }
        }
        if keys.is_empty() {
            return Err(KeysError::Empty { path: name.into() });
        }
        Ok(ApiKeys { keys })
    }

    /// `Some(limit)` for a known key (its own limit, if any), `None` for an unknown one.
    pub fn check(&self, key: &str) -> Option<Option<u32>> {
        self.keys.get(key).copied()
    }
}

/// Requests counted per client over fixed one-minute windows.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Count a request of `client` against `limit` per minute: `Err(seconds)` until the window
    /// ends when over it.
    pub fn admit(&self, client: &str, limit: u32, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().expect("rate-limit lock");
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_checked_line_by_line() {
        let keys = ApiKeys::parse("# newsroom\nabc 10\n\n  def  \n", "keys").unwrap();
        assert_eq!(keys.check("abc"), Some(Some(10)));
        assert_eq!(keys.check("def"), Some(None));
        assert_eq!(keys.check("xyz"), None);
        for (text, want) in [
            ("abc 0\n", "keys:1: \"0\" is not a positive"),
            ("a\nb -3\n", "keys:2:"),
            ("a 1 2\n", "keys:1: expected KEY"),
            ("a\na\n", "keys:2: key \"a\" appears twice"),
            ("# only comments\n", "keys: no keys"),
        ] {
            let err = ApiKeys::parse(text, "keys").unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn windows_count_per_client_and_reopen() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        assert!(limiter.admit("a", 2, t0).is_ok());
        assert!(limiter.admit("a", 2, t0).is_ok());
        let wait = limiter
            .admit("a", 2, t0 + Duration::from_secs(15))
            .unwrap_err();
        assert_eq!(wait, 45);
        assert!(
            limiter.admit("b", 2, t0).is_ok(),
            "clients are counted apart"
        );
        assert!(limiter.admit("a", 2, t0 + WINDOW).is_ok(), "a new window");
    }
}
