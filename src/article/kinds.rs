//! Press-aware typing of a block by its text, in French and English: what a reader recognises
//! at a glance as the page's furniture rather than the article — related-article teasers,
//! subscription prompts, share and newsletter calls, hashtags and topic lists, date and age
//! lines, bylines, photo credits — and where the text visibly stops mid-sentence. The same rules
//! serve a web page's blocks and a scraped text's lines; they are general (the wording of the
//! press, not of one site) so that they hold on outlets they were not written for.

use std::sync::LazyLock;

use regex::Regex;

use super::block::BlockKind;

/// The longest text a prompt, tag line or date line can be: furniture is short, and a long line
/// that happens to start like one is prose.
const MAX_FURNITURE_CHARS: usize = 160;

/// Lines or `<h1>`s longer than this are never headings or headlines (they are descriptions or
/// paragraphs).
pub(super) const MAX_HEADLINE_CHARS: usize = 160;

/// The longest summary a teaser of another article carries under its headline, on a page or in
/// scraped text.
pub(super) const MAX_SUMMARY_CHARS: usize = 400;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// Related-article teasers: how the press introduces a link to another article.
static TEASER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(
        (à|a)\s+lire\s+(aussi|également|egalement|ici|absolument)
        | lire\s+(aussi|également|egalement|la\s+suite|notre|:)
        | (à|a)\s+(voir|découvrir|decouvrir|écouter|ecouter|regarder)(\s+(aussi|également|egalement))?\b
        | voir\s+aussi | (re)?découvrez\s+(aussi|notre|nos)
        | sur\s+le\s+même\s+(sujet|thème) | dans\s+la\s+même\s+rubrique
        | notre\s+(sélection|dossier) | nos\s+articles
        | recommandé(e)?s?\b | recommended\b | (top\s+)?stories\b
        | read\s+(more|also|next|this)\b | see\s+also\b | related(\s+\w+){0,2}\s*[:|]?$
        | related\s*: | more\s+(from|on|about)\b | you\s+(may|might)\s+(also\s+)?(like|enjoy)
        | also\s+read\b | don'?t\s+miss\b | must\s+read\b | trending\b | most\s+(popular|read|viewed|shared)\b
        | partner\s+(news|content)\b | les\s+plus\s+(lus|populaires|partagés|commentés)\b | (à|a)\s+la\s+une\s*$
        | (en\s+)?(ce\s+moment|continu)\s*$
        | (\w+\s+et\s+)?(vidéos?|articles?|audios?|podcasts?|contenus?)\s+(sur\s+le\s+(même\s+)?sujet|liés|associés|similaires)
        | (article|billet|post|story)\s+(précédent|precedent|suivant|previous|next)(\b|(?-i:\p{Lu})) | (previous|next)\s+(article|post|story)(\b|(?-i:\p{Lu}))
        # The same in the languages of the press beside French and English (Spanish,
        # Portuguese, Italian, German): read-also lines with their headline, and section labels as
        # the whole line.
        | (lee|leé|lea|ver|leia|veja|leggi|lesen\s+sie)\s+(también|tambien|também|anche|auch)\b
        | (te|le)\s+puede\s+interesar | potrebbe\s+interessarti | das\s+könnte\s+sie\s+(auch\s+)?interessieren
        | ((noticias|notícias|notizie|artículos|artigos|articoli|temas|contenidos?|conteúdos?|contenuti)\s+(relacionad[oa]s?|correlat[ie])
          | (últimas|ultimas|ultime)\s+(noticias|notícias|notizie) | (lo|las|los|la)\s+más\s+(leíd[oa]s?|vist[oa]s?)(\s+hoy)?
          | más\s+(leíd[oa]s|vist[oa]s|noticias) | mais\s+lid[oa]s | più\s+lett[ie] | auch\s+interessant
          | mehr\s+zum\s+thema | weitere\s+(artikel|nachrichten|beiträge) | (ähnliche|verwandte)\s+artikel | meistgelesen(e)?
          | (más|mais)\s+sobre(\s+\S+){0,3} | seguir\s+leyendo | saiba\s+mais
          )\s*[:|]?\s*$
    )")
});

/// Subscription and paywall prompts.
static SUBSCRIPTION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)(
        réservée?s?\s+(aux|à\s+nos)\s+abonnés | abonnez-vous | déjà\s+abonné | s'abonner\b
        | pour\s+lire\s+la\s+suite | la\s+suite\s+est\s+réservée | il\s+vous\s+reste\s+\d+\s*%
        | cet\s+article\s+est\s+réservé | offre\s+(d'abonnement|spéciale|découverte)
        | subscribers?[\s-]only | already\s+a\s+subscriber | subscribe\s+(now|today|to\s+continue|for)
        | to\s+continue\s+reading | continue\s+reading\s+(with|for) | sign\s+in\s+to\s+(continue|read)
        | create\s+a\s+free\s+account | log\s+in\s+to\s+(continue|read) | this\s+(article|content)\s+is\s+(for|available\s+to)\s+subscribers
        | start\s+your\s+(free\s+)?trial | get\s+(full\s+|unlimited\s+)?access\s+to | for\s+as\s+little\s+as
        | use\s+the\s+(promo\s+)?code | \d+\s+(issues|numéros)\s+(for|pour) | (delivered|straight|directly)\s+(through|to)\s+your\s+(letterbox|inbox|door)
        | to\s+(view|read)\s+the\s+(full|rest\s+of\s+the|entire)\s+(story|article)
        | livré\s+(chez\s+vous|dans\s+votre\s+boîte) | (accéde[rz]|lire|lisez)\s+en\s+illimité
    )")
});

/// Share, newsletter, comment and other calls to action (at the start of a short line).
static PROMPT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(
        partage[rz]?\b | share(\s+(this|on|via|article|story))?\b | tweet(er)?\b | envoyer\s+(par|à) | imprimer\b | print\b
        | e-?mail\b | copier\s+le\s+lien | copy\s+(the\s+)?link | newsletters?\b | inscrivez-vous | s'inscrire
        | sign\s+up\b | recevez\b | get\s+(our|the)\s+(newsletter|latest) | commente[rz]?\b | réagi(r|ssez)\b
        | \d+\s+(commentaires?|réactions?|comments?)\b | (voir\s+les\s+|view\s+|show\s+|read\s+)?comments?\b
        | commentaires?\b | ajouter\s+(à|aux)\s+(mes\s+)?favoris | sauvegarder\b | save\s+(article|story|for\s+later)\b
        | suivez[-\s]nous | follow\s+us\b | publicité\b | advertisement\b | sponsori[sz]ée?\b | sponsored\b
        | contenu\s+(sponsorisé|partenaire) | écouter\s+(cet\s+)?article | listen\s+to\s+this | temps\s+de\s+lecture
        | lecture\s*:\s*\d+\s*min | \d+\s*min(utes?)?\s+(de\s+lecture|read)\b | cookies?\b | accepter\b | télécharge[rz]\s+l'application
        | download\s+the\s+app | join\s+(us|the\s+conversation|our)\b | support\s+(our|independent)\b | faites\s+un\s+don
        | click\s+here\b | cliquez\s+ici | close$ | fermer$ | caption$ | open$ | expand$ | menu$
        | (voir|afficher|lire)\s+plus$ | (see|show|view|load)\s+more$ | (précédent|suivant|previous|next)$
        | back\s+to\s+top | retour\s+en\s+haut | haut\s+de\s+page | adverts?$ | ads?$ | anzeige$ | pub$
        | mot\s+de\s+passe\s+oublié | forgot\s+(your\s+)?password | permalien\b | permalink\b | lien\s+permanent | short\s+url\b | tell\s+us\s+what\s+you\s+think | donnez\s+votre\s+avis | (image|photo|slide|picture|diapositive)\s+\d+\s+(of|sur|de|/)\s+\d+$
    )")
});

/// Sentences every site writes under its articles, whole sentences as they are (the prompt
/// patterns above take only lines without final punctuation): sign-up pitches and app
/// downloads at the start of the line ([`is_boilerplate_sentence`] has the rest).
static BOILERPLATE_START: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(
        (yes!?\s+)?sign\s+(me\s+)?up\s+(to|for|now|today)\b | subscribe\s+to\s+(our|the)\b
        | (for\s+the\s+latest\b[^.!?]{0,80}\s)?download\s+(the|our)\b[^.!?]{0,60}\bapps?\b
        | téléchargez\s+(l'|l’)application | abonnez-vous\s+(à|a)\s+(notre|la)\s+newsletter
    )")
});

/// ... and letters to the editor, comment moderation and captcha notices anywhere in it.
static BOILERPLATE_PHRASES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        "(?i)letter to the editor|comments are moderated|commentaires sont modérés\
        |we welcome reader comments|protected by recaptcha",
    )
});

/// Whether a line of scraped text is a notice every site writes (letters to the editor, comment
/// moderation, captcha): asked of text only, where no page structure has set the comments and
/// forms apart — on pages, reading every block for these phrases took typing 7% longer.
pub fn is_boilerplate_sentence(text: &str) -> bool {
    text.len() <= 600 && BOILERPLATE_PHRASES.is_match(text)
}

/// A copyright notice: "Copyright © 2020 …", "… All rights reserved.".
fn is_copyright(probe: &str) -> bool {
    let end = probe.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let ends_with = |suffix: &str| {
        end.len() >= suffix.len()
            && end.is_char_boundary(end.len() - suffix.len())
            && end[end.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    ends_with("all rights reserved")
        || ends_with("tous droits réservés")
        || probe.get(..9).is_some_and(|head| {
            head.eq_ignore_ascii_case("copyright")
                && !probe[9..].starts_with(|c: char| c.is_alphanumeric())
        })
}

/// A newsletter call inside a short text ("… Sign up for The Daily today to get …").
static NEWSLETTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(sign(ing)?\s+up|subscribe|inscrivez-vous|abonnez-vous|recevez)\b.{0,80}\bnewsletters?\b|\bnewsletters?\b.{0,40}\b(sign\s+up|inscri)",
    )
});

/// Topic-list introductions.
static TAG_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?ix)^(tags?|mots[-\s]clés?|sujets?|thèmes?|thématiques?|topics?|tagged|filed\s+under|catégories?|categories|rubriques?)\s*([:|]|$)",
    )
});

/// Date, time and age lines.
static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?ix)^(
        [•·|\-–—\s]*il\s+y\s+a\s+\d+\s+(seconde|minute|heure|jour|semaine|mois|an)s?\b
        | (publié|publiée|mis\s+à\s+jour|modifié|actualisé|mise\s+à\s+jour)\s+(le|à|:|il)\b
        | (published|updated|posted|last\s+updated|modified)\b\s*(on|:|at)?
        | \d+\s+(second|minute|min|hour|hr|day|week|month|year)s?\s+ago\b
        | (le\s+)?(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)?\s*\d{1,2}(er)?\s+(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\s+\d{4}(\s+à\s+\d{1,2}\s*[h:]\s*\d{0,2})?\s*$
        | (monday|tuesday|wednesday|thursday|friday|saturday|sunday)?,?\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}(\s+\d{1,2}:\d{2}\s*(am|pm)?(\s+[a-z]{2,4})?)?\s*$
        | \d{1,2}[/.]\d{1,2}[/.]\d{2,4}(\s+(à\s+)?\d{1,2}\s*[h:]\s*\d{2})?\s*$
        | \d{1,2}[/.]\d{1,2}[/.]\d{4}\s*[-–|]
        | \d{4}-\d{2}-\d{2}([t\s]\d{2}:\d{2}(:\d{2})?)?\s*$
    )")
});

/// Bylines.
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(Par|By|BY|PAR|De notre (envoyé|envoyée|correspondant|correspondante)( spéciale?)?( à \S+)?)\s+\p{Lu}[\p{L}.'’-]*(\s+(\p{Lu}[\p{L}.'’-]*|de|du|van|von|le|la|et|and|,))*\s*(\(.*\))?\s*$",
    )
});

/// A photo credit: an agency or photographer in capitals, `©`, or "Photo : …", alone or at the
/// end of a caption.
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?x)(
        ^\s*\(?(?i:©|\(c\)|crédits?\s*(photos?)?\s*:|photos?\s+credits?\s*:|photos?\s*:|image\s*:|credits?\s*:|photograph\s*:|illustration\s*:)\s*\S.*$
        | ^\s*\(?(?i:photo|image|picture)s?\s+(?i:by|de|:)\s+\S.*$
        | ^\s*\p{Lu}[\p{Lu}\s.'’-]{1,40}\s*/\s*\p{Lu}[\p{Lu}\p{N}\s.'’-]{0,30}(\s*/\s*\p{Lu}[\p{Lu}\s.-]{0,30})?\s*$
        | ^\s*(AFP|AP|REUTERS|Reuters|Getty\s+Images|EPA|ANP|Belga|Keystone|Shutterstock|iStock|Sipa|Maxppp|MaxPPP|Hans\s+Lucas|Abaca|Xinhua|dpa|DR)(\s*(/|-|via)\s*\S.*)?\s*\.?\s*$
    )")
});

/// The type of a block by its text, if it is furniture rather than prose.
pub fn furniture_kind(text: &str) -> Option<BlockKind> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > 400 {
        return None;
    }
    let probe = text.trim_start_matches(|c: char| {
        c.is_whitespace() || "•·►▶→>»|-–—*:".contains(c) || c == '\u{a0}'
    });
    // The anchored patterns only need the start of the line.
    let head = &probe[..probe
        .char_indices()
        .nth(120)
        .map_or(probe.len(), |(i, _)| i)];
    if TEASER.is_match(head) {
        return Some(BlockKind::Teaser);
    }
    if may_ask_to_subscribe(text) && SUBSCRIPTION.is_match(text) {
        return Some(BlockKind::Subscription);
    }
    if chars <= 300 && text.to_lowercase().contains("newsletter") && NEWSLETTER.is_match(text) {
        return Some(BlockKind::Prompt);
    }
    if chars <= 300 && is_copyright(probe) {
        return Some(BlockKind::Credit);
    }
    if chars <= 300 && BOILERPLATE_START.is_match(head) {
        return Some(BlockKind::Prompt);
    }
    if chars > MAX_FURNITURE_CHARS {
        return None;
    }
    if is_hashtag_line(text) || TAG_LIST.is_match(head) {
        return Some(BlockKind::Tags);
    }
    if DATELINE.is_match(probe) || is_date_and_time(probe) {
        return Some(BlockKind::Dateline);
    }
    if CREDIT.is_match(text) {
        return Some(BlockKind::Credit);
    }
    if BYLINE.is_match(text) {
        return Some(BlockKind::Byline);
    }
    if PROMPT.is_match(head) && !ends_like_a_sentence(text) || is_bare_prompt(probe) {
        return Some(BlockKind::Prompt);
    }
    None
}

/// A cheap test before the subscription pattern (which must scan the whole text): a phrase one
/// of its alternatives needs, looked for in the lowercase text with its whitespace collapsed.
/// Each phrase belongs to an alternative, so that ordinary prose ("à la suite de", "access
/// to") does not pay for the pattern.
fn may_ask_to_subscribe(text: &str) -> bool {
    const PHRASES: &[&str] = &[
        "abonn",
        "lire la suite",
        "la suite est",
        "vous reste",
        "article est réservé",
        "offre d'abonnement",
        "offre spéciale",
        "offre découverte",
        "subscri",
        "continue reading",
        "sign in to",
        "log in to",
        "free account",
        "your free trial",
        "your trial",
        "get access to",
        "full access to",
        "unlimited access to",
        "as little as",
        "the code",
        "promo code",
        "issues for",
        "issues pour",
        "numéros for",
        "numéros pour",
        "delivered through your",
        "delivered to your",
        "straight to your",
        "directly to your",
        "to view the",
        "to read the",
        "livré chez vous",
        "livré dans votre",
        "en illimité",
    ];
    let lower = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

/// A prompt that is the whole line ("Partager", "Newsletter", "Commentaires").
fn is_bare_prompt(probe: &str) -> bool {
    // Words, not tokens: French sets `?`, `!`, `:` apart with a space.
    let words = probe
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    words <= 4 && PROMPT.is_match(probe)
}

/// Whether a line starts with a date ("2 décembre 2019 : …", "Nov. 19, 2019 — …", "05/10/2018 -"):
/// an entry of a timeline or a press review.
pub fn starts_with_date(text: &str) -> bool {
    static DATE_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)^\s*(\d{1,2}(er)?\s+(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{4}|(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{4}-\d{2}-\d{2})\b",
        )
    });
    DATE_FIRST.is_match(text)
}

/// A short line with a year and a time of day, in any language ("segunda-feira, 22 de
/// janeiro de 2018 às 0:13").
fn is_date_and_time(text: &str) -> bool {
    static YEAR_AND_TIME: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"\b(19|20)\d{2}\b.*\b\d{1,2}\s*[:h]\s*\d{2}\b|\b\d{1,2}\s*[:h]\s*\d{2}\b.*\b(19|20)\d{2}\b",
        )
    });
    // Ten words, or forty characters where the script puts no spaces between words.
    let short = text.split_whitespace().count() <= 10
        && (text.chars().count() <= 40 || !text.chars().any(unspaced_script));
    short && YEAR_AND_TIME.is_match(text)
}

/// Most of the words are hashtags.
fn is_hashtag_line(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let tags = words
        .iter()
        .filter(|w| w.starts_with('#') && w.len() > 1)
        .count();
    tags >= 1 && tags * 10 >= words.len() * 7
}

/// A caption whose last sentence is a credit ("… à Pékin le 4 février 2022. ALEXEI
/// DRUZININE/AP"): the caption and the credit.
pub fn split_trailing_credit(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_end();
    // The credit starts after the caption's last sentence end (or after a separator).
    let cut = text
        .char_indices()
        .filter(|&(i, c)| {
            matches!(c, '.' | '|' | '–' | '—' | '(' | ')') && i + c.len_utf8() < text.len()
        })
        .map(|(i, c)| i + if c == '(' { 0 } else { c.len_utf8() })
        .filter(|&at| {
            let credit = text[at..].trim().trim_end_matches(')');
            !credit.is_empty() && CREDIT.is_match(credit)
        })
        .min()?;
    let (caption, credit) = (text[..cut].trim(), text[cut..].trim());
    (caption.split_whitespace().count() >= 3).then_some((caption, credit))
}

/// Whether `c` belongs to a script written without spaces between words (Chinese, Japanese,
/// Thai, Lao, Khmer, Myanmar): there a character, not a space-separated run, is the unit of
/// comparison and of length.
pub fn unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{2e80}'..='\u{2fdf}'     // CJK radicals
        | '\u{3040}'..='\u{30ff}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4dbf}'   // CJK extension A
        | '\u{4e00}'..='\u{9fff}'   // CJK unified ideographs
        | '\u{f900}'..='\u{faff}'   // CJK compatibility ideographs
        | '\u{ff66}'..='\u{ff9f}'   // half-width Katakana
        | '\u{0e00}'..='\u{0eff}'   // Thai, Lao
        | '\u{1000}'..='\u{109f}'   // Myanmar
        | '\u{1780}'..='\u{17ff}'   // Khmer
        | '\u{20000}'..='\u{2fa1f}' // CJK extensions B–F, compatibility supplement
    )
}

/// The length of a text as a measure of how much it says: characters, those of the dense
/// scripts (Hangul syllables, Chinese, Japanese and the other scripts without spaces) counted
/// twice, so that a threshold set in Latin letters holds for a Korean or Chinese sentence,
/// which says as much in half the characters.
pub fn text_weight(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if unspaced_script(c) || ('\u{ac00}'..='\u{d7af}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Final punctuation of the scripts a page may be written in: Latin, CJK full stops and marks,
/// Arabic question mark and semicolon, Urdu full stop, Devanagari danda, Armenian, Ethiopic.
const SENTENCE_ENDS: &[char] = &[
    '.', '!', '?', '…', ':', ';', '。', '！', '？', '：', '；', '．', '؟', '؛', '۔', '।', '॥', '։',
    '።',
];

/// Whether the text ends as a sentence does: final punctuation, possibly inside closing
/// quotes or brackets.
pub fn ends_like_a_sentence(text: &str) -> bool {
    let end = text
        .trim_end()
        .trim_end_matches(|c: char| "»\"”’')]".contains(c) || c.is_whitespace());
    end.ends_with(SENTENCE_ENDS)
}

/// Whether a paragraph visibly stops mid-sentence: it does not end as a sentence, and its last
/// word is cut or the sentence plainly goes on (a lowercase word, a preposition or article, a
/// comma, an open parenthesis).
pub fn ends_mid_sentence(text: &str) -> bool {
    let text = text.trim();
    if text.split_whitespace().count() < 8 || ends_like_a_sentence(text) {
        return false;
    }
    let open_brackets = text.matches('(').count() > text.matches(')').count();
    let last = text.split_whitespace().last().unwrap_or("");
    let last_char = last.chars().last().unwrap_or(' ');
    open_brackets
        || last_char == ','
        || last.chars().next().is_some_and(char::is_lowercase)
        || last.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_articles_furniture_is_recognised() {
        let cases = [
            ("  • il y a 2 ans", BlockKind::Dateline),
            (
                "#LaRussie #Chinesopposent #conjointementlélargissement #lOTAN",
                BlockKind::Tags,
            ),
            ("ALEXEI DRUZININE/AP", BlockKind::Credit),
            (
                "Lire aussi l'article réservé à nos abonnés Crise ukrainienne : soutien officiel de Pékin à Moscou",
                BlockKind::Teaser,
            ),
            ("Recommandée", BlockKind::Teaser),
        ];
        for (text, kind) in cases {
            assert_eq!(furniture_kind(text), Some(kind), "{text}");
        }
    }

    #[test]
    fn furniture_of_other_shapes_is_recognised() {
        let cases = [
            ("À lire aussi : la réforme des retraites", BlockKind::Teaser),
            ("Voir aussi", BlockKind::Teaser),
            ("Read more: Why the Fed raised rates", BlockKind::Teaser),
            (
                "Il vous reste 68% de cet article à lire. La suite est réservée aux abonnés.",
                BlockKind::Subscription,
            ),
            ("Article réservé aux abonnés", BlockKind::Subscription),
            ("Partager sur Facebook", BlockKind::Prompt),
            ("Newsletter", BlockKind::Prompt),
            ("12 commentaires", BlockKind::Prompt),
            ("Publié le 4 février 2022 à 10h32", BlockKind::Dateline),
            ("Mis à jour le 5 février 2022", BlockKind::Dateline),
            ("Updated 3 hours ago", BlockKind::Dateline),
            ("Nov. 19, 2019 5:30 am ET", BlockKind::Dateline),
            ("Par Jean-Pierre Dupont", BlockKind::Byline),
            ("By Jane Doe and John Smith", BlockKind::Byline),
            ("Mots-clés : Chine, Russie, OTAN", BlockKind::Tags),
            ("© AFP", BlockKind::Credit),
            ("Photo : Ludovic Marin / AFP", BlockKind::Credit),
            ("STEPHANE DE SAKUTIN / AFP", BlockKind::Credit),
            (
                "Article suivant Après une mise en quarantaine : les Tunisiens rapatriés rentrent chez eux",
                BlockKind::Teaser,
            ),
            ("Article précédent", BlockKind::Teaser),
            ("Next article", BlockKind::Teaser),
            ("Previous post: Ten years of open data", BlockKind::Teaser),
            (
                "Pour accéder en illimité aux articles de AOC :",
                BlockKind::Subscription,
            ),
            ("Mot de passe oublié ?", BlockKind::Prompt),
            ("Forgot your password?", BlockKind::Prompt),
            (
                "Previous articleTransforming Mount Trashmore: plans for the eyesore",
                BlockKind::Teaser,
            ),
            (
                "Never miss the latest news by signing up to our newsletter today!",
                BlockKind::Prompt,
            ),
            (
                "To view the full story, please subscribe to The Haitian Times.",
                BlockKind::Subscription,
            ),
            (
                "Get the latest updates and tutorials straight to your inbox.",
                BlockKind::Subscription,
            ),
            ("Últimas Noticias", BlockKind::Teaser),
            ("TEMAS RELACIONADOS", BlockKind::Teaser),
            ("Lo más leído hoy", BlockKind::Teaser),
            ("Leia também: Governo anuncia novas regras", BlockKind::Teaser),
            ("Das könnte Sie auch interessieren", BlockKind::Teaser),
            ("Articoli correlati", BlockKind::Teaser),
            (
                "Copyright © 2020 American College of Physicians. All Rights Reserved.",
                BlockKind::Credit,
            ),
            ("© 2024 Le Journal. Tous droits réservés.", BlockKind::Credit),
            (
                "Sign up to get the best content of the week, as picked by the editors.",
                BlockKind::Prompt,
            ),
            (
                "For the latest stories download the Nationnews apps for iOS and Android.",
                BlockKind::Prompt,
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(furniture_kind(text), Some(kind), "{text}");
        }
    }

    #[test]
    fn notices_of_scraped_text_are_recognised() {
        for notice in [
            "Submit your letter to the editor via this form.",
            "Please understand that comments are moderated and not all can be published.",
            "This site is protected by reCAPTCHA and the Google Privacy Policy apply.",
        ] {
            assert!(is_boilerplate_sentence(notice), "{notice}");
        }
        assert!(!is_boilerplate_sentence(
            "The editor said readers' comments shaped the series."
        ));
    }

    #[test]
    fn prose_stays_prose() {
        let prose = [
            "Le président russe Vladimir Poutine et le président chinois Xi Jinping étaient en désaccord avec Washington vendredi.",
            "Signer un accord stratégique",
            "Partager le pouvoir n'a jamais été dans ses habitudes, dit-il en souriant à la presse.",
            "La chaîne compte désormais 2 millions d'abonnés, selon la société.",
            "Il y a deux ans, personne ne croyait à ce projet.",
            "Recommandations du Haut Conseil de la santé publique pour l'hiver prochain : trois mesures.",
            "Share prices fell sharply on Monday after the company warned that profits would drop.",
            "Le pass donne un accès illimité aux transports de la région pendant un mois.",
            "The next article of the treaty sets out how members leave.",
            "Post-Brexit trade talks resumed on Monday.",
            "Next Articles of the constitution were debated for hours.",
            "Últimas noticias indican que el Gobierno aprobará la ley el martes.",
            "Mehr zum Thema Klimaschutz sagte die Ministerin am Montag nichts.",
            "The publisher reserved all rights to the photographs, the court heard on Monday.",
            "Copyrighted songs were removed from the platform after the ruling.",
            "Thousands of users had to sign up for the new service by Friday.",
            "To read the full report, the committee met twice in private.",
        ];
        for text in prose {
            assert_eq!(furniture_kind(text), None, "{text}");
        }
    }

    #[test]
    fn a_credit_at_the_end_of_a_caption_is_split_off() {
        assert_eq!(
            split_trailing_credit(
                "Le président russe Vladimir Poutine et le président chinois Xi Jinping à Pékin le 4 février 2022. ALEXEI DRUZININE/AP"
            ),
            Some((
                "Le président russe Vladimir Poutine et le président chinois Xi Jinping à Pékin le 4 février 2022.",
                "ALEXEI DRUZININE/AP"
            ))
        );
        assert_eq!(
            split_trailing_credit(
                "Des manifestants à Paris, samedi. (Photo : Ludovic Marin / AFP)"
            ),
            Some((
                "Des manifestants à Paris, samedi.",
                "(Photo : Ludovic Marin / AFP)"
            ))
        );
        assert_eq!(split_trailing_credit("Le conseil a voté. Il part."), None);
    }

    #[test]
    fn truncation_is_seen_where_the_sentence_goes_on() {
        assert!(ends_mid_sentence(
            "Rosneft affirme être le plus grand exportateur pétrolier pour la Chine (7 % de la de"
        ));
        assert!(!ends_mid_sentence(
            "Les deux pays ont également condamné l'impact négatif de la stratégie américaine."
        ));
        assert!(!ends_mid_sentence("Signer un accord stratégique"));
        assert!(!ends_mid_sentence(
            "« Nous ne céderons pas », a déclaré le ministre devant l'Assemblée nationale »"
        ));
    }
}
