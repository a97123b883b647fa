//! `entente serve`: the translation server (LibreTranslate's API and entente's own `/v1/`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use entente::serve::limits::ApiKeys;
use entente::serve::{self, AppState, ServeSettings};
use entente::translate::batcher::BatcherSettings;

/// Serve translation over HTTP, loading the model once and batching the sentences of concurrent
/// requests together. LibreTranslate clients work unchanged (POST /translate, /detect, GET
/// /languages); entente's own API is under /v1/ (translate with log-probabilities and search
/// options, segment, align, bleu). GET /health and GET /metrics (Prometheus) for operations.
///
/// A request's translation equals `entente translate --input article` on the same text,
/// whatever else is in flight. Beyond --max-queue waiting sentences, requests get 503 with
/// Retry-After. Ctrl-C or SIGTERM stops accepting, answers the requests in flight, and exits.
///
/// Examples:
///   entente serve --model opus-mt-fr-en --port 5000
///   curl -s localhost:5000/translate -H 'Content-Type: application/json' \
///        -d '{"q": "Le chat dort.", "source": "fr", "target": "en"}'
///   entente serve --api-keys keys.txt --req-limit 60 --host 0.0.0.0
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    about = "Serve translation over HTTP (LibreTranslate-compatible), batching across requests"
)]
pub struct ServeArgs {
    #[command(flatten)]
    pub model: super::ModelArgs,
    #[command(flatten)]
    pub search: super::translate::SearchArgs,
    /// Address to listen on (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 5000)]
    pub port: u16,
    /// Most sentences waiting for the engine; beyond, requests are refused with 503.
    #[arg(long, default_value_t = 4096, value_parser = super::count_in(1, 1 << 24))]
    pub max_queue: usize,
    /// Longest a sentence waits for others to fill its batch, in milliseconds.
    #[arg(long, default_value_t = 5, value_parser = super::count_in(0, 10_000))]
    pub batch_wait_ms: usize,
    /// Most characters of text per request (all of q together).
    #[arg(long, default_value_t = 20_000, value_parser = super::count_in(1, 1 << 30))]
    pub char_limit: usize,
    /// Largest request body in bytes (K/M suffixes allowed).
    #[arg(long, default_value = "1M", value_parser = parse_bytes)]
    pub body_limit: usize,
    /// Longest a request may take, queue included, in seconds (then 503).
    #[arg(long, default_value_t = 120.0, value_parser = positive_seconds)]
    pub timeout: f64,
    /// File of API keys, one per line (`KEY [REQUESTS_PER_MINUTE]`); without a valid api_key
    /// requests get 403.
    #[arg(long)]
    pub api_keys: Option<PathBuf>,
    /// Requests per minute per client (per key with --api-keys, else per address); 429 beyond.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub req_limit: Option<u32>,
    /// Fetch the pages whose URLs clients send to /v1/extract and to /v1/translate's page mode
    /// (off by default: a server that fetches for its clients can be made to reach hosts they
    /// cannot, such as those of its own network).
    #[arg(long)]
    pub fetch_urls: bool,
    /// A French–English dictionary as evidence for /v1/align (as `entente align --lexicon`,
    /// again for more); by default FreeDict's fra-eng and eng-fra where Debian installed them.
    #[arg(long, conflicts_with = "no_lexicon")]
    pub lexicon: Vec<PathBuf>,
    /// Use no dictionary, not even one installed.
    #[arg(long)]
    pub no_lexicon: bool,
}

fn parse_bytes(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, 'B'),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (bytes, or with K/M)"))?;
    let scale = match unit {
        'B' => 1,
        'K' => 1 << 10,
        'M' => 1 << 20,
        _ => return Err(format!("{text:?}: use a number of bytes, or K or M")),
    };
    match n.checked_mul(scale) {
        Some(b) if (1..=1 << 30).contains(&b) => Ok(b),
        _ => Err("must be between 1 byte and 1G".into()),
    }
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err("must be a number of seconds above 0 and at most 86400".into()),
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let keys = match &args.api_keys {
        Some(path) => Some(ApiKeys::load(path)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4),
        )
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Bound before the model loads: a port in use fails at once.
    let address = format!("{}:{}", args.host, args.port);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&address))
        .with_context(|| format!("listening on {address}"))?;
    let local = listener.local_addr()?;
    let (translator, config, batch_size) =
        super::translate::prepare_engine(&args.model, &args.search)?;
    let settings = ServeSettings {
        char_limit: args.char_limit,
        body_limit: args.body_limit,
        timeout: Duration::from_secs_f64(args.timeout),
        req_limit: args.req_limit,
        batcher: BatcherSettings {
            batch_size,
            max_wait: Duration::from_millis(args.batch_wait_ms as u64),
            max_queue: args.max_queue,
        },
        model_name: args.model.model.clone(),
        fetch_urls: args.fetch_urls,
        lexicon: super::align::load_lexicon(&args.lexicon, args.no_lexicon, "fr", "en")?.map(
            |(path, lexicon)| {
                eprintln!("entente serve: /v1/align uses the lexicon {path}");
                std::sync::Arc::new(lexicon)
            },
        ),
    };
    let state = AppState::new(translator, config, settings, keys);
    eprintln!("entente serve: listening on http://{local} (Ctrl-C to stop)");
    runtime.block_on(serve::serve(listener, state, shutdown_signal()))?;
    eprintln!("entente serve: stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    eprintln!("entente serve: shutting down, answering the requests in flight");
}
