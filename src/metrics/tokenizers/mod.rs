//! sacreBLEU's BLEU tokenizers, one file each: `13a` (mteval-v13a, the default), `intl`
//! (mteval-v14 international), `char`, `zh`, and `none`. Each returns the tokens joined by single
//! spaces, exactly as sacreBLEU's tokenizer returns them.

mod char;
mod intl;
mod regexp;
mod tercom;
mod tok13a;
mod zh;

use std::fmt;
use std::str::FromStr;

pub use regexp::is_13a_symbol;
pub use tercom::Tercom;

/// A BLEU tokenizer, named as on sacreBLEU's command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tokenizer {
    #[default]
    Mteval13a,
    Intl,
    Char,
    Zh,
    None,
}

impl Tokenizer {
    pub const NAMES: [&'static str; 5] = ["13a", "intl", "char", "zh", "none"];

    /// The value printed in signatures (`tok:13a`).
    pub fn signature(self) -> &'static str {
        match self {
            Tokenizer::Mteval13a => "13a",
            Tokenizer::Intl => "intl",
            Tokenizer::Char => "char",
            Tokenizer::Zh => "zh",
            Tokenizer::None => "none",
        }
    }

    /// Tokenize one (already right-stripped, optionally lowercased) line.
    pub fn tokenize(self, line: &str) -> String {
        match self {
            Tokenizer::Mteval13a => tok13a::tokenize(line),
            Tokenizer::Intl => intl::tokenize(line),
            Tokenizer::Char => char::tokenize(line),
            Tokenizer::Zh => zh::tokenize(line),
            Tokenizer::None => line.to_string(),
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.signature())
    }
}

impl FromStr for Tokenizer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "13a" => Tokenizer::Mteval13a,
            "intl" => Tokenizer::Intl,
            "char" => Tokenizer::Char,
            "zh" => Tokenizer::Zh,
            "none" => Tokenizer::None,
            other => {
                return Err(format!(
                    "unknown tokenizer {other:?} (choose from {})",
                    Tokenizer::NAMES.join(", ")
                ))
            }
        })
    }
}
