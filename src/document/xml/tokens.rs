//! An XML part as tokens with their bytes (quick-xml's reading: only the predefined entities and
//! character references resolved, a DTD declaring entities refused), each start tag's end found,
//! and which elements separate words.

use std::ops::Range;

use quick_xml::events::Event;

use super::super::format::DocumentError;

#[derive(Debug, Clone)]
pub(super) enum Kind {
    Start(String),
    End(String),
    Empty(String),
    /// Text, decoded (character and predefined entity references resolved).
    Text(String),
    Other,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) range: Range<usize>,
    pub(super) kind: Kind,
}

/// The tokens of a part, each with its bytes; an error names the part and the byte offset.
pub(super) fn tokenize(source: &str, part: &str) -> Result<Vec<Token>, DocumentError> {
    let mut reader = quick_xml::Reader::from_str(source);
    reader.config_mut().check_end_names = true;
    let mut tokens: Vec<Token> = Vec::new();
    let mut at = 0usize;
    let bad = |at: usize, why: String| DocumentError::Part {
        part: part.to_string(),
        why: format!("byte {at}: {why}"),
    };
    loop {
        let event = reader.read_event().map_err(|e| bad(at, e.to_string()))?;
        let end = reader.buffer_position() as usize;
        let kind = match &event {
            Event::Eof => break,
            Event::Start(e) => Kind::Start(e.name().0.to_string()),
            Event::End(e) => Kind::End(e.name().0.to_string()),
            Event::Empty(e) => Kind::Empty(e.name().0.to_string()),
            Event::Text(_) => Kind::Text(source[at..end].to_string()),
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(|e| bad(at, e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => {
                        let entity = source[at + 1..end.saturating_sub(1).max(at + 1)].to_string();
                        quick_xml::escape::resolve_predefined_entity(&entity)
                            .ok_or_else(|| {
                                bad(at, format!("the entity &{entity}; is not XML's own; entities a document declares are not expanded"))
                            })?
                            .to_string()
                    }
                };
                Kind::Text(text)
            }
            Event::DocType(_) if source[at..end].contains("<!ENTITY") => {
                return Err(bad(at, "a DTD that declares entities (they could expand without bound); office documents have none".into()));
            }
            _ => Kind::Other,
        };
        // Adjacent text and references are one text.
        if let (
            Kind::Text(new),
            Some(Token {
                range,
                kind: Kind::Text(old),
            }),
        ) = (&kind, tokens.last_mut())
        {
            if range.end == at {
                old.push_str(new);
                range.end = end;
                at = end;
                continue;
            }
        }
        tokens.push(Token {
            range: at..end,
            kind,
        });
        at = end;
    }
    Ok(tokens)
}

/// For each start token, the index of its end token (others: themselves).
pub(super) fn matching_ends(tokens: &[Token]) -> Vec<usize> {
    let mut ends: Vec<usize> = (0..tokens.len()).collect();
    let mut open = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            Kind::Start(_) => open.push(i),
            Kind::End(_) => {
                if let Some(s) = open.pop() {
                    ends[s] = i;
                }
            }
            _ => {}
        }
    }
    ends
}

/// Whether an element separates words: a line break or a tab, in any of the formats.
pub(super) fn breaks_words(token: &Token) -> bool {
    match &token.kind {
        Kind::Start(name) | Kind::Empty(name) => {
            let local = name.rsplit(':').next().unwrap_or(name);
            matches!(local, "br" | "cr" | "tab" | "line-break")
        }
        _ => false,
    }
}
