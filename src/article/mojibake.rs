//! Text that was UTF-8, read back as Windows-1252 (or Latin-1) and encoded again — "Ã©" for
//! "é", "â€™" for "’" — mended to what its author wrote. Sites double-encode when a database or
//! a plugin converts text that already was UTF-8; a browser shows the garbage, but a reader
//! (and a translation model) wants the words.
//!
//! Only sequences that real text never holds are mended: a lead character of a UTF-8
//! multi-byte sequence (U+00C2–U+00F4 read as one byte) followed by the right number of
//! continuation characters (bytes 0x80–0xBF, as Latin-1 or Windows-1252 shows them), decoding
//! to one valid character — and, for two-byte sequences, only where the lead is `Â` or `Ã`
//! (the mojibake of U+0080–U+00FF: accents, non-breaking spaces, guillemets) or a continuation
//! is a C1 control or one of Windows-1252's punctuation marks. A capital followed by a symbol
//! ("É»", "Å°") is left alone. The same approach as ftfy's `fix_encoding`, narrowed to the one
//! mix-up pages show. Hand-written rather than the `plsfix` crate (ftfy ported to Rust): that is
//! a general text cleaner of little use so far, and extraction needs only this one narrow pass over
//! every page, borrowed untouched when the page has no lead byte at all.

use std::borrow::Cow;

/// Windows-1252's characters at bytes 0x80–0x9F (U+FFFD where the code page defines none; a
/// decoder passes those bytes through as C1 controls, which [`byte_of`] maps separately).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž',
    '\u{fffd}', '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{fffd}',
    'ž', 'Ÿ',
];

/// The byte `c` stands for when UTF-8 was read as Windows-1252 or Latin-1, and whether that
/// reading is one real text never shows (a C1 control or Windows-1252's 0x80–0x9F range).
fn byte_of(c: char) -> Option<(u8, bool)> {
    let code = c as u32;
    if (0x80..=0xff).contains(&code) {
        return Some((code as u8, code < 0xa0));
    }
    CP1252_HIGH
        .iter()
        .position(|&h| h == c && h != '\u{fffd}')
        .map(|i| (0x80 + i as u8, true))
}

/// The character a mojibake sequence starting at the start of `rest` stands for, and how many
/// bytes of `rest` it takes.
fn mend_at(rest: &str) -> Option<(char, usize)> {
    let mut chars = rest.char_indices();
    let (_, lead) = chars.next()?;
    let lead_byte = match lead as u32 {
        b @ 0xc2..=0xf4 => b as u8,
        _ => return None,
    };
    let len = match lead_byte {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    let mut bytes = [lead_byte, 0, 0, 0];
    let mut telling = false;
    let mut end = lead.len_utf8();
    for slot in bytes.iter_mut().take(len).skip(1) {
        let (at, c) = chars.next()?;
        let (byte, tells) = byte_of(c)?;
        if !(0x80..=0xbf).contains(&byte) {
            return None;
        }
        *slot = byte;
        telling |= tells;
        end = at + c.len_utf8();
    }
    let clear = len > 2 || telling || matches!(lead, 'Â' | 'Ã');
    let mended = std::str::from_utf8(&bytes[..len]).ok()?.chars().next()?;
    clear.then_some((mended, end))
}

/// `text` with its double-encoded sequences mended (borrowed when it has none).
pub fn mend(text: &str) -> Cow<'_, str> {
    // Every lead character (U+00C2–U+00F4) is encoded with the byte 0xC3 first.
    let Some(first) = memchr::memchr(0xc3, text.as_bytes()) else {
        return Cow::Borrowed(text);
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = first;
    while at < text.len() {
        if let Some((c, taken)) = mend_at(&text[at..]) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..at]);
            out.push(c);
            at += taken;
            copied = at;
            continue;
        }
        at += 1;
        match memchr::memchr(0xc3, &text.as_bytes()[at..]) {
            Some(next) => at += next,
            None => break,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mend;

    /// `text` encoded as UTF-8 and read back as Windows-1252 (Latin-1 for the bytes it leaves
    /// undefined), as a double-encoding site does it.
    fn garble(text: &str) -> String {
        let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(text.as_bytes());
        decoded.into_owned()
    }

    #[test]
    fn double_encoded_text_is_mended() {
        let original = "L’été à Paris — « déjà vu », 25 °C, naïve façade, Ōsaka, 東京, 😀";
        let garbled = garble(original);
        assert_ne!(garbled, original);
        assert_eq!(mend(&garbled), original);
        // Read as Latin-1 instead: the curly apostrophe's bytes become C1 controls.
        assert_eq!(mend("isn\u{e2}\u{80}\u{99}t"), "isn’t");
    }

    #[test]
    fn real_text_in_every_script_is_left_as_it_is() {
        for text in [
            "L'été à Paris, « déjà vu », ÇA VA ? São Paulo, SÃO PAULO, Ærø, Øster, Ålesund",
            "CAFÉ» et THÉ°, Å°, ß«, Ó¿ — capitals before symbols stay",
            "Ελληνικά, русский, العربية, 한국어, 中文, ½ ¾ ± µ",
        ] {
            assert_eq!(mend(text), text);
        }
    }

    #[test]
    fn a_broken_sequence_is_left_and_mending_goes_on_after_it() {
        // "Ã" alone at the end, then a good sequence, then "â€" cut short.
        let text = "fin Ã, puis Ã©té, puis â€ seul";
        assert_eq!(mend(text), "fin Ã, puis été, puis â€ seul");
    }
}
