//! Reading text inputs and writing outputs safely.
//!
//! Owns the rules every command shares: a path of `-` means standard input; text must be UTF-8
//! and an invalid byte is reported with its offset and line (or replaced with U+FFFD on request);
//! an output file is written to a temporary sibling and renamed into place, so it appears whole
//! or not at all.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Errors while reading or writing text files.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path}: invalid UTF-8 at byte offset {offset} (line {line}); \
         convert the file to UTF-8 or pass --lossy to replace invalid bytes"
    )]
    InvalidUtf8 {
        path: String,
        offset: usize,
        line: usize,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Human name of an input: the path, or `<stdin>` for `-`.
pub fn display_name(path: &str) -> String {
    if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    }
}

/// Read all bytes of a file, or of standard input when `path` is `-`.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, InputError> {
    let result = if path == "-" {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else {
        fs::read(path)
    };
    result.map_err(|source| InputError::Read {
        path: display_name(path),
        source,
    })
}

/// Decode bytes as UTF-8. With `lossy`, invalid sequences become U+FFFD; otherwise the first
/// invalid byte is reported with its offset and 1-based line number.
pub fn decode_utf8(bytes: Vec<u8>, name: &str, lossy: bool) -> Result<String, InputError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) if lossy => Ok(String::from_utf8_lossy(err.as_bytes()).into_owned()),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let bytes = err.as_bytes();
            let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
            Err(InputError::InvalidUtf8 {
                path: name.to_string(),
                offset,
                line,
            })
        }
    }
}

/// Read a UTF-8 text file (or standard input for `-`).
pub fn read_text(path: &str, lossy: bool) -> Result<String, InputError> {
    let bytes = read_bytes(path)?;
    decode_utf8(bytes, &display_name(path), lossy)
}

/// Write `contents` to `path` atomically: a temporary file in the same directory is written,
/// flushed and renamed over the target.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), InputError> {
    let wrap = |source| InputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        wrap(io::Error::new(
            io::ErrorKind::InvalidInput,
            "output path has no file name",
        ))
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_offset_and_line() {
        let err = decode_utf8(b"ok\nab\xffcd".to_vec(), "x.txt", false).unwrap_err();
        match err {
            InputError::InvalidUtf8 { offset, line, .. } => assert_eq!((offset, line), (5, 2)),
            other => panic!("unexpected {other}"),
        }
        assert_eq!(
            decode_utf8(b"ab\xffcd".to_vec(), "x", true).unwrap(),
            "ab\u{fffd}cd"
        );
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old contents that are longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn atomic_write_into_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/out.txt");
        assert!(matches!(
            write_atomic(&path, b"x"),
            Err(InputError::Write { .. })
        ));
    }
}
