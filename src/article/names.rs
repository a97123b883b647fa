//! The vocabulary of class and id names, in one place: what the words a page's authors give
//! their containers say about them (`article-body`, `share-buttons`, `figcaption`,
//! `chapo`…). Each element's names are split into words once, when the page is parsed, and
//! summed up as [`Names`] flags the other passes read.

/// Words of containers that are the page's furniture.
const FURNITURE: &[&str] = &[
    "share",
    "sharing",
    "sharebar",
    "social",
    "sociable",
    "related",
    "relatedposts",
    "recommended",
    "recommendation",
    "recommendations",
    "recirc",
    "recirculation",
    "outbrain",
    "taboola",
    "newsletter",
    "newsletters",
    "subscribe",
    "subscription",
    "signup",
    "promo",
    "promotion",
    "advert",
    "advertisement",
    "advertising",
    "ad",
    "ads",
    "adslot",
    "adunit",
    "dfp",
    "sponsor",
    "sponsored",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "footer",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "popup",
    "modal",
    "overlay",
    "tags",
    "toolbar",
    "tools",
    "print",
    "masthead",
    "banner",
    "paywall",
    "login",
    "trending",
    "popular",
    "pagination",
    "pager",
    "skip",
    "lightbox",
    "meta",
    "timestamp",
    "rating",
    "teaser",
    "teasers",
    "byline",
    "author",
    "authors",
    "follow",
    "btn",
    "button",
    "icons",
    "alert",
    "notification",
    "offer",
    "readmore",
    "cta",
    "next",
    "prev",
    "previous",
];

/// Words of containers removed even when they hold most of the page's text (comment threads,
/// hover cards).
const ALWAYS_REMOVED: &[&str] = &[
    "comment",
    "comments",
    "disqus",
    "reply",
    "respond",
    "rollover",
    "tooltip",
    "popover",
    "hovercard",
];

/// Whole class names that hide an element (a word "hidden" alone is not enough: Drupal's
/// `field--label-hidden` hides a label, not the field).
const HIDING_CLASSES: &[&str] = &[
    "hidden",
    "hide",
    "is-hidden",
    "d-none",
    "visually-hidden",
    "visuallyhidden",
    "sr-only",
    "screen-reader-text",
    "invisible",
    "offscreen",
];

/// Words of live coverage (a live blog's entries are called comments or posts, and are the
/// article).
const LIVE: &[&str] = &["live", "liveblog", "direct", "minute"];

/// Words of article containers.
const CONTENT: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "main", "page", "post", "blog", "story",
    "prose", "chapo", "corps", "texte", "contenu", "richtext",
];

/// Words of containers that are not the article (for scoring).
const OTHER: &[&str] = &[
    "comment",
    "comments",
    "contact",
    "foot",
    "footer",
    "footnote",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "tool",
    "widget",
    "ad",
    "ads",
    "banner",
    "combx",
    "nav",
    "menu",
    "popup",
    "teaser",
    "card",
    "list",
    "more",
    "recommended",
];

/// Words of containers of captions (photo galleries, slideshows) and of credits.
const CAPTION: &[&str] = &[
    "caption",
    "captions",
    "legend",
    "legende",
    "légende",
    "gallery",
    "slideshow",
    "carousel",
];
const CREDIT: &[&str] = &["credit", "credits", "copyright", "photographer", "source"];

/// Words of standfirsts.
const LEAD: &[&str] = &[
    "standfirst",
    "dek",
    "deck",
    "subtitle",
    "subheadline",
    "subhead",
    "chapo",
    "chapeau",
    "lede",
    "lead",
    "intro",
    "summary",
    "excerpt",
    "strapline",
    "kicker",
    "description",
    "sapo",
    "accroche",
];

/// What an element's class and id words say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Names(u8);

impl Names {
    pub const FURNITURE: u8 = 1;
    pub const ALWAYS_REMOVED: u8 = 2;
    pub const CONTENT: u8 = 4;
    pub const OTHER: u8 = 8;
    pub const CAPTION: u8 = 16;
    pub const CREDIT: u8 = 32;
    pub const LEAD: u8 = 64;
    pub const LIVE: u8 = 128;

    /// The flags of the words of `class` and `id`.
    pub fn of(class: &str, id: &str) -> Names {
        let mut flags = 0;
        let mut lower = String::new();
        for value in [class, id] {
            for_each_word(value, |word| {
                if word.len() > 24 {
                    return;
                }
                lower.clear();
                if word.is_ascii() {
                    lower.push_str(word);
                    lower.make_ascii_lowercase();
                } else {
                    lower.extend(word.chars().flat_map(char::to_lowercase));
                }
                flags |= flags_of(&lower);
            });
        }
        if class
            .split_whitespace()
            .any(|c| HIDING_CLASSES.iter().any(|h| h.eq_ignore_ascii_case(c)))
        {
            flags |= Self::FURNITURE;
        }
        Names(flags)
    }

    /// The flags of both.
    pub fn union(self, other: Names) -> Names {
        Names(self.0 | other.0)
    }

    pub fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

/// Every word of the vocabulary with its flags.
static VOCABULARY: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, u8>> =
    std::sync::LazyLock::new(|| {
        let mut map = rustc_hash::FxHashMap::default();
        for (list, flag) in [
            (FURNITURE, Names::FURNITURE),
            (ALWAYS_REMOVED, Names::ALWAYS_REMOVED),
            (CONTENT, Names::CONTENT),
            (OTHER, Names::OTHER),
            (CAPTION, Names::CAPTION),
            (CREDIT, Names::CREDIT),
            (LEAD, Names::LEAD),
            (LIVE, Names::LIVE),
        ] {
            for word in list {
                *map.entry(*word).or_insert(0) |= flag;
            }
        }
        map
    });

/// The flags one lowercase word carries.
fn flags_of(word: &str) -> u8 {
    VOCABULARY.get(word).copied().unwrap_or(0)
}

/// Call `each` with the words of a class or id value, as slices: each name split at `-`, `_`,
/// digits and lowercase → uppercase steps ("articleBody" → "article", "Body").
fn for_each_word(value: &str, mut each: impl FnMut(&str)) {
    for name in value.split_whitespace() {
        let mut start = None;
        let mut previous_lower = false;
        for (i, c) in name.char_indices() {
            let boundary = !c.is_alphabetic() || (c.is_uppercase() && previous_lower);
            if boundary {
                if let Some(s) = start.take() {
                    each(&name[s..i]);
                }
            }
            if c.is_alphabetic() && start.is_none() {
                start = Some(i);
            }
            previous_lower = c.is_lowercase();
        }
        if let Some(s) = start {
            each(&name[s..]);
        }
    }
}

/// The lowercase words of a class or id value ("articleBody" → "article", "body").
#[cfg(test)]
fn words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    for_each_word(value, |w| words.push(w.to_lowercase()));
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_split_into_words() {
        assert_eq!(
            words("articleBody post-content share_buttons2 JP-relatedPosts"),
            ["article", "body", "post", "content", "share", "buttons", "jp", "related", "posts"]
        );
    }

    #[test]
    fn names_say_what_a_container_is() {
        let n = Names::of("article-body", "");
        assert!(n.has(Names::CONTENT) && !n.has(Names::FURNITURE));
        let n = Names::of("social-share", "comments");
        assert!(n.has(Names::FURNITURE) && n.has(Names::ALWAYS_REMOVED));
        assert!(Names::of("c-chapo", "").has(Names::LEAD));
        assert!(Names::of("wp-caption-text", "").has(Names::CAPTION));
    }
}
