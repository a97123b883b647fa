//! Reading text inputs.
//!
//! Owns the rules every command shares: a path of `-` means standard input; text must be UTF-8
//! and an invalid byte is reported with its offset and line (or replaced with U+FFFD on request);
//! [`Lines`] reads line by line for commands that stream. Writing outputs is
//! [`crate::output`]'s.

use std::fs;
use std::io::{self, BufRead, BufReader, Read};

/// Errors while reading text files.
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

/// Lines of a UTF-8 text read incrementally (`\n` separated, a trailing `\r` removed, as
/// `str::lines`), with the byte offset and line of an invalid byte in the error.
pub struct Lines {
    reader: Box<dyn BufRead>,
    name: String,
    lossy: bool,
    /// Byte offset of the next line's start.
    offset: usize,
    /// 1-based number of the next line.
    line: usize,
    failed: bool,
}

impl Lines {
    /// Read `path` (`-` for standard input) line by line.
    pub fn open(path: &str, lossy: bool) -> Result<Self, InputError> {
        let reader: Box<dyn BufRead> = if path == "-" {
            Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
        } else {
            let file = fs::File::open(path).map_err(|source| InputError::Read {
                path: display_name(path),
                source,
            })?;
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        Ok(Self::from_reader(reader, &display_name(path), lossy))
    }

    /// Lines of any reader, named `name` in errors.
    pub fn from_reader(reader: Box<dyn BufRead>, name: &str, lossy: bool) -> Self {
        Lines {
            reader,
            name: name.to_string(),
            lossy,
            offset: 0,
            line: 1,
            failed: false,
        }
    }
}

impl Iterator for Lines {
    type Item = Result<String, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut bytes = Vec::new();
        match self.reader.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(source) => {
                self.failed = true;
                return Some(Err(InputError::Read {
                    path: self.name.clone(),
                    source,
                }));
            }
        }
        let start = self.offset;
        self.offset += bytes.len();
        let line = self.line;
        self.line += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        match String::from_utf8(bytes) {
            Ok(text) => Some(Ok(text)),
            Err(err) if self.lossy => {
                Some(Ok(String::from_utf8_lossy(err.as_bytes()).into_owned()))
            }
            Err(err) => {
                self.failed = true;
                Some(Err(InputError::InvalidUtf8 {
                    path: self.name.clone(),
                    offset: start + err.utf8_error().valid_up_to(),
                    line,
                }))
            }
        }
    }
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
    fn lines_stream_with_offsets_of_bad_bytes() {
        let reader = |b: &'static [u8]| Box::new(io::Cursor::new(b)) as Box<dyn BufRead>;
        let lines: Vec<String> = Lines::from_reader(reader(b"a\r\n\nb"), "x", false)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(lines, ["a", "", "b"]);
        let mut it = Lines::from_reader(reader(b"ok\nab\xffcd\nnext\n"), "x", false);
        assert_eq!(it.next().unwrap().unwrap(), "ok");
        match it.next().unwrap().unwrap_err() {
            InputError::InvalidUtf8 { offset, line, .. } => assert_eq!((offset, line), (5, 2)),
            other => panic!("unexpected {other}"),
        }
        assert!(it.next().is_none(), "no lines after an error");
        let lossy: Vec<String> = Lines::from_reader(reader(b"ab\xffcd"), "x", true)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(lossy, ["ab\u{fffd}cd"]);
    }
}
