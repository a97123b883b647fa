//! The input reader on arbitrary bytes: line by line (strict and lossy) and whole-text decoding
//! agree, and an invalid byte's reported offset and line are where the bytes say.
#![no_main]
use std::io::Cursor;

use entente::input::{decode_utf8, InputError, Lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = decode_utf8(data.to_vec(), "fuzz", false);
    let lines: Result<Vec<String>, InputError> =
        Lines::from_reader(Box::new(Cursor::new(data.to_vec())), "fuzz", false).collect();
    match (&whole, &lines) {
        (Ok(text), Ok(lines)) => {
            let expected: Vec<&str> = text.lines().collect();
            assert_eq!(lines, &expected);
        }
        (
            Err(InputError::InvalidUtf8 {
                offset: a,
                line: la,
                ..
            }),
            Err(InputError::InvalidUtf8 {
                offset: b,
                line: lb,
                ..
            }),
        ) => {
            assert_eq!((a, la), (b, lb));
            assert!(std::str::from_utf8(&data[..*a]).is_ok());
            assert!(std::str::from_utf8(&data[*a..]).is_err());
            assert_eq!(*la, 1 + data[..*a].iter().filter(|&&b| b == b'\n').count());
        }
        other => panic!("whole-text and line reading disagree: {other:?}"),
    }
    let lossy: Vec<String> = Lines::from_reader(Box::new(Cursor::new(data.to_vec())), "f", true)
        .collect::<Result<_, _>>()
        .expect("lossy reading never fails");
    let text = String::from_utf8_lossy(data);
    // Lossy decoding per line equals lossy decoding of the whole (a newline is never part of an
    // invalid sequence).
    assert_eq!(lossy, text.lines().collect::<Vec<_>>());
});
