//! `entente align`: parallel sentence pairs from a document and its translation.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context};
use candle_core::{DType, Device};
use clap::{Args, ValueEnum};
use entente::align::eval::format_ladder;
use entente::align::{align_documents, Lexicon, Link};
use entente::formats::{self, Pair};
use entente::translate::Translator;
use entente::{hub, input, output};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlignFormat {
    /// src<TAB>tgt<TAB>score, merged sentences joined by a space.
    Tsv,
    /// {"src_ids", "tgt_ids", "src", "tgt", "score"} per link.
    Jsonl,
    /// `[0, 1]:[0]` lines, as in Bleualign's gold files.
    Ladder,
    /// Two line-aligned files, OUTPUT.src and OUTPUT.tgt (needs --output).
    Moses,
    /// A TMX 1.4 document.
    Tmx,
}

/// Align the sentences of a document with those of its translation (e.g. a French article and
/// its English edition): 1-1, merges and splits up to 1-4 / 4-1, and unaligned sentences.
///
/// The source side is machine-translated with entente's engine (--model) and compared with the
/// target, or a translation is supplied line-aligned with the source (--translation, as
/// Bleualign takes it), or no MT is used (--no-mt: numbers, names, cognates and lengths).
///
/// Examples:
///   entente align article.fr article.en --no-mt
///   entente align --presegmented dev.de dev.fr --translation dev.google.fr --format ladder
///   entente align a.fr a.en --model opus-mt-fr-en --format moses -o corpus
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Align the sentences of a document with those of its translation"
)]
pub struct AlignArgs {
    /// Source document.
    pub src: String,
    /// Target document.
    pub tgt: String,
    /// Inputs hold one sentence per line (otherwise they are segmented with `entente segment`).
    #[arg(long)]
    pub presegmented: bool,
    /// Machine translation of the source sentences into the target language, one per line.
    #[arg(long, conflicts_with = "no_mt")]
    pub translation: Option<String>,
    /// Align without machine translation.
    #[arg(long)]
    pub no_mt: bool,
    /// A bilingual dictionary as evidence beside the rest: a dictd .index (FreeDict's, e.g.
    /// /usr/share/dictd/freedict-fra-eng.index from `apt install dict-freedict-fra-eng`) or a
    /// file of word<TAB>translation lines, either direction. Give it again for more
    /// dictionaries: they are read as one, in the direction of the first. By default the
    /// FreeDict dictionaries of --src-lang and --tgt-lang that Debian installed are used, both
    /// directions (fra-eng and eng-fra); what was used is said on stderr.
    #[arg(long, conflicts_with = "no_lexicon")]
    pub lexicon: Vec<PathBuf>,
    /// Use no dictionary, not even one installed.
    #[arg(long)]
    pub no_lexicon: bool,
    /// Align a second time with the word pairs the first alignment's confident links teach
    /// (hunalign's -realign). The default for documents of up to 10,000 sentences a side: it
    /// helped on every held-out set (README); longer ones are aligned once unless asked.
    #[arg(long, conflicts_with = "no_realign")]
    pub realign: bool,
    /// Align once, whatever the documents' length.
    #[arg(long)]
    pub no_realign: bool,
    /// Model translating the source side when neither --translation nor --no-mt is given.
    #[arg(long, default_value_t = hub::default_model())]
    pub model: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AlignFormat::Tsv)]
    pub format: AlignFormat,
    /// Drop links (with both sides) whose probability is below this; they are counted on
    /// stderr. The default drops links as likely wrong as right (see the calibration table in
    /// the README); 0 keeps every link.
    #[arg(long, default_value_t = entente::align::DEFAULT_MIN_SCORE, value_parser = probability)]
    pub min_score: f64,
    /// Language code of the source side (TMX's xml:lang and srclang).
    #[arg(long, default_value = "fr")]
    pub src_lang: String,
    /// Language code of the target side (TMX's xml:lang).
    #[arg(long, default_value = "en")]
    pub tgt_lang: String,
    /// Replace invalid UTF-8 in the inputs instead of failing.
    #[arg(long)]
    pub lossy: bool,
    /// Output file (a prefix for --format moses); standard output otherwise.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// The dictionaries `--lexicon` names, else the FreeDict ones Debian installed for the pair
/// (both directions), unless `--no-lexicon`, read as one: shared by `align`, `pipeline` and
/// `serve`. Returns the files' names (for saying what was used) and the lexicon.
pub(super) fn load_lexicon(
    asked: &[PathBuf],
    none: bool,
    src_lang: &str,
    tgt_lang: &str,
) -> anyhow::Result<Option<(String, Lexicon)>> {
    let paths = match (asked, none) {
        ([], false) => entente::align::lexicon::installed(src_lang, tgt_lang),
        (_, true) => return Ok(None),
        (asked, false) => asked.to_vec(),
    };
    if paths.is_empty() {
        return Ok(None);
    }
    let lexicon =
        Lexicon::read_all(&paths).context("reading the lexicon (--lexicon, or --no-lexicon)")?;
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Ok(Some((names.join(" + "), lexicon)))
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("must be a probability, from 0 to 1".into()),
    }
}

fn sentences(path: &str, presegmented: bool, lossy: bool) -> anyhow::Result<Vec<String>> {
    let text = input::read_text(path, lossy)?;
    Ok(if presegmented {
        text.lines().map(|l| l.trim().to_string()).collect()
    } else {
        entente::segment::split_sentences(&text)
            .into_iter()
            .map(|s| entente::segment::single_line(s).into_owned())
            .collect()
    })
}

/// Where the links go: one file (or standard output), or the two files of a Moses pair.
enum Sink {
    One(super::Out),
    Moses(output::OutputWriter, output::OutputWriter),
}

fn open_sink(args: &AlignArgs) -> anyhow::Result<Sink> {
    if args.format != AlignFormat::Moses {
        return Ok(Sink::One(super::Out::open(args.output.as_deref())?));
    }
    let Some(prefix) = &args.output else {
        bail!("--format moses writes two files: give their prefix with --output PREFIX");
    };
    let path = |ext: &str| PathBuf::from(format!("{}.{ext}", prefix.display()));
    let src = output::Destination::check(&path("src"))?.create()?;
    let tgt = output::Destination::check(&path("tgt"))?.create()?;
    Ok(Sink::Moses(src, tgt))
}

pub fn run(args: AlignArgs) -> anyhow::Result<()> {
    // Checked before any work: a bad destination fails at once.
    let sink = open_sink(&args)?;
    let src = sentences(&args.src, args.presegmented, args.lossy)
        .with_context(|| format!("reading {}", args.src))?;
    let tgt = sentences(&args.tgt, args.presegmented, args.lossy)
        .with_context(|| format!("reading {}", args.tgt))?;
    let mt = if args.no_mt {
        None
    } else {
        Some(translation(&args, &src)?)
    };
    let found = load_lexicon(
        &args.lexicon,
        args.no_lexicon,
        &args.src_lang,
        &args.tgt_lang,
    )?;
    let (lexicon_path, lexicon) = found.map_or((None, None), |(p, l)| (Some(p), Some(l)));
    let realign = match (args.realign, args.no_realign) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let (links, usage, _) = align_documents(&src, &tgt, mt.as_deref(), lexicon.as_ref(), realign);
    if let (Some(usage), Some(lexicon), Some(path)) = (usage, &lexicon, &lexicon_path) {
        eprintln!("{} ({path})", usage.describe(lexicon.entries()));
    }
    let kept = keep_probable(links, args.min_score, src.len(), tgt.len());
    let join = |ids: &[usize], side: &[String]| {
        ids.iter()
            .map(|&i| side[i].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let texts: Vec<(String, String)> = kept
        .iter()
        .map(|l| (join(&l.src, &src), join(&l.tgt, &tgt)))
        .collect();
    let pairs: Vec<Pair> = kept
        .iter()
        .zip(&texts)
        .map(|(l, (s, t))| Pair {
            src_ids: &l.src,
            tgt_ids: &l.tgt,
            src: s,
            tgt: t,
            score: l.score,
            doc: None,
            url: None,
            props: &[],
        })
        .collect();
    write_links(&args, sink, &kept, &pairs)
}

/// The machine translation of the source: the `--translation` file (line-aligned with the
/// source), or entente's own with `--model`.
fn translation(args: &AlignArgs, src: &[String]) -> anyhow::Result<Vec<String>> {
    if let Some(path) = &args.translation {
        let lines = sentences(path, true, args.lossy)?;
        if lines.len() != src.len() {
            bail!(
                "{path} has {} lines but the source has {} sentences: the translation must be line-aligned with the source{}",
                lines.len(),
                src.len(),
                if args.presegmented { "" } else { " (segment it the same way, or use --presegmented)" }
            );
        }
        return Ok(lines);
    }
    let files = hub::resolve(&args.model, None, true).with_context(|| {
        format!(
            "finding model {} to translate the source (or pass --translation FILE / --no-mt)",
            args.model
        )
    })?;
    let translator = Translator::load(&files, files.tokenizer_dir(), &Device::Cpu, DType::F32)?;
    let refs: Vec<&str> = src.iter().map(String::as_str).collect();
    Ok(
        super::translate::translate_all(&translator, &refs, &translator.generation, 16, &|_| {})?
            .into_iter()
            .map(|t| t.text)
            .collect(),
    )
}

/// The links at or above `min_score` (unaligned sentences always kept), with a summary on
/// standard error.
fn keep_probable(links: Vec<Link>, min_score: f64, n_src: usize, n_tgt: usize) -> Vec<Link> {
    let (mut kept, mut dropped): (Vec<Link>, usize) = (Vec::new(), 0);
    for link in links {
        let both = !link.src.is_empty() && !link.tgt.is_empty();
        if both && link.score < min_score {
            dropped += 1;
        } else {
            kept.push(link);
        }
    }
    let unaligned_src: usize = kept
        .iter()
        .filter(|l| l.tgt.is_empty())
        .map(|l| l.src.len())
        .sum();
    let unaligned_tgt: usize = kept
        .iter()
        .filter(|l| l.src.is_empty())
        .map(|l| l.tgt.len())
        .sum();
    eprintln!(
        "aligned {n_src} source and {n_tgt} target sentences: {} links, {unaligned_src} source and {unaligned_tgt} target sentences unaligned{}",
        kept.len(),
        if dropped > 0 { format!(", {dropped} links below --min-score dropped") } else { String::new() }
    );
    kept
}

/// Write the pairs in the chosen format to the sink.
fn write_links(args: &AlignArgs, sink: Sink, kept: &[Link], pairs: &[Pair]) -> anyhow::Result<()> {
    let mut out: Vec<u8> = Vec::new();
    match args.format {
        AlignFormat::Tsv => formats::write_tsv(&mut out, pairs)?,
        AlignFormat::Jsonl => formats::write_jsonl(&mut out, pairs)?,
        AlignFormat::Ladder => {
            let ladder: Vec<_> = kept
                .iter()
                .map(|l| (l.src.clone(), l.tgt.clone()))
                .collect();
            out = format_ladder(&ladder).into_bytes();
        }
        AlignFormat::Tmx => {
            let header = formats::TmxHeader {
                srclang: &args.src_lang,
                tgtlang: &args.tgt_lang,
                ..formats::TmxHeader::default()
            };
            let dropped = formats::write_tmx(&mut out, &header, pairs)?;
            if dropped > 0 {
                eprintln!("note: {dropped} control characters that XML cannot hold were left out of the TMX");
            }
        }
        AlignFormat::Moses => {}
    }
    match sink {
        Sink::One(one) => super::emit(one, &out),
        Sink::Moses(mut src_file, mut tgt_file) => {
            let (src_text, tgt_text) = formats::moses_sides(pairs);
            src_file.write_all(src_text.as_bytes())?;
            tgt_file.write_all(tgt_text.as_bytes())?;
            // Both files appear, or neither changes.
            output::commit_all(vec![src_file, tgt_file])?;
            Ok(())
        }
    }
}
