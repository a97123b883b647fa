//! What an article is made of: blocks in reading order, each typed by what it is for a reader
//! of the press — prose (headings, paragraphs, quotes, list items, captions) or the page's
//! furniture (credits, date and age lines, tags, teasers, subscription and share prompts).

use serde::Serialize;

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// The headline (only from plain text, where it is the first line; pages give it as
    /// metadata).
    Title,
    /// The standfirst: the summary under the headline.
    Lead,
    Heading,
    Paragraph,
    Quote,
    /// One item of a list.
    List,
    /// A photo or video caption (its credit, when it ends the caption, is a block of its own).
    Caption,
    /// A photo credit or copyright line ("ALEXEI DRUZININE/AP", "© AFP").
    Credit,
    /// A date, time or age line ("il y a 2 ans", "Publié le 4 février 2022", "Updated 3h ago").
    Dateline,
    /// A byline ("Par Jean Dupont", "By Jane Doe").
    Byline,
    /// Hashtags or topic lists ("#LaRussie #Chine", "Mots-clés : …").
    Tags,
    /// A related-article teaser ("Lire aussi …", "À lire aussi", "Voir aussi", "Recommandé").
    Teaser,
    /// A subscription or paywall prompt ("Article réservé à nos abonnés", "Abonnez-vous").
    Subscription,
    /// A share, newsletter, comment or other call to action.
    Prompt,
    /// Links with little text of their own (navigation, lists of headlines).
    Links,
}

impl BlockKind {
    /// Prose is translated and enters the corpus; the rest is kept verbatim in its place.
    pub fn is_prose(self) -> bool {
        matches!(
            self,
            BlockKind::Title
                | BlockKind::Lead
                | BlockKind::Heading
                | BlockKind::Paragraph
                | BlockKind::Quote
                | BlockKind::List
                | BlockKind::Caption
        )
    }

    /// Part of the article's running text (`Article::text`): prose without title and captions.
    pub fn is_body(self) -> bool {
        matches!(
            self,
            BlockKind::Lead
                | BlockKind::Heading
                | BlockKind::Paragraph
                | BlockKind::Quote
                | BlockKind::List
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            BlockKind::Title => "title",
            BlockKind::Lead => "lead",
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
            BlockKind::Quote => "quote",
            BlockKind::List => "list",
            BlockKind::Caption => "caption",
            BlockKind::Credit => "credit",
            BlockKind::Dateline => "dateline",
            BlockKind::Byline => "byline",
            BlockKind::Tags => "tags",
            BlockKind::Teaser => "teaser",
            BlockKind::Subscription => "subscription",
            BlockKind::Prompt => "prompt",
            BlockKind::Links => "links",
        }
    }
}

/// One block of an article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    pub kind: BlockKind,
    /// One line: whitespace collapsed.
    pub text: String,
    /// The text visibly stops here: mid-sentence at the end of the article, or before a
    /// paywall.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Block {
    pub fn new(kind: BlockKind, text: impl Into<String>) -> Self {
        Block {
            kind,
            text: text.into(),
            truncated: false,
        }
    }
}
