//! The shared engine: batching across callers (the server's requests, the Python package's
//! threads). The sentences of every caller in flight wait in one bounded queue, and engine
//! threads (one per worker thread of the translator) take them in batches of up to
//! `batch_size`, waiting at most `max_wait` to fill one, and compute them on the translator's
//! pool. Each sentence carries its own reply channel, so a caller gets its sentences back
//! whatever else shared their batches; a caller that gave up (a timeout, a client gone, Ctrl-C)
//! leaves sentences nobody waits for, which are dropped before they cost engine time.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::error::{TranslateError, Translation};
use super::translator::Translator;
use crate::generate::GenerationConfig;

/// How far into the queue a batch looks for sentences of a length close to its first one, in
/// batches: more padding saved against a bounded wait for the oldest sentences.
const LOOKAHEAD_BATCHES: usize = 4;

/// The queue cannot take a request's sentences now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error(
        "the translation queue is full ({depth} sentences waiting, at most {max}): retry shortly"
    )]
    Full { depth: usize, max: usize },
    #[error(
        "the request has {sentences} sentences, more than the queue holds ({max}): send it in parts"
    )]
    TooLarge { sentences: usize, max: usize },
    #[error("the server is shutting down")]
    Closed,
}

/// What the batcher reports to the server's metrics.
pub trait BatchObserver: Send + Sync {
    /// A batch of `sentences` sentences from `requests` requests, producing `tokens` target
    /// tokens, finished.
    fn batch_done(&self, sentences: usize, requests: usize, tokens: usize, seconds: f64);
    /// `sentences` queued sentences were dropped untranslated: their caller gave up.
    fn sentences_dropped(&self, _sentences: usize) {}
}

/// One sentence waiting for the engine.
struct Job {
    text: String,
    config: Arc<GenerationConfig>,
    reply: oneshot::Sender<Result<Translation, String>>,
    queued: Instant,
    /// Which submission the sentence came from.
    request: u64,
}

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
    submissions: u64,
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
    translator: Arc<Translator>,
    batch_size: usize,
    max_wait: Duration,
    max_queue: usize,
    observer: Arc<dyn BatchObserver>,
}

/// Settings of a [`Batcher`].
#[derive(Debug, Clone, Copy)]
pub struct BatcherSettings {
    /// Most sentences per engine batch.
    pub batch_size: usize,
    /// Longest a sentence waits for others to fill its batch.
    pub max_wait: Duration,
    /// Most sentences waiting; beyond, requests are refused with [`QueueError::Full`].
    pub max_queue: usize,
}

/// The shared translation queue and its engine threads.
pub struct Batcher {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Batcher {
    pub fn start(
        translator: Arc<Translator>,
        settings: BatcherSettings,
        observer: Arc<dyn BatchObserver>,
    ) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
                submissions: 0,
            }),
            changed: Condvar::new(),
            translator,
            batch_size: settings.batch_size.max(1),
            max_wait: settings.max_wait,
            max_queue: settings.max_queue.max(1),
            observer,
        });
        let workers = shared.translator.resources().threads.max(1);
        let threads = (0..workers)
            .map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("entente-engine-{i}"))
                    .spawn(move || engine_loop(&shared))
                    .expect("spawning an engine thread")
            })
            .collect();
        Batcher {
            shared,
            threads: Mutex::new(threads),
        }
    }

    /// Queue `sentences` (translated with `config`); one receiver per sentence, in order. Blank
    /// sentences are not queued: they translate to nothing, as in `entente translate`.
    #[allow(clippy::type_complexity)]
    pub fn submit(
        &self,
        sentences: Vec<String>,
        config: Arc<GenerationConfig>,
    ) -> Result<Vec<oneshot::Receiver<Result<Translation, String>>>, QueueError> {
        let queued: usize = sentences.iter().filter(|s| !s.trim().is_empty()).count();
        let max = self.shared.max_queue;
        if queued > max {
            return Err(QueueError::TooLarge {
                sentences: queued,
                max,
            });
        }
        let mut queue = self.shared.queue.lock().expect("queue lock");
        if queue.closed {
            return Err(QueueError::Closed);
        }
        if queue.jobs.len() + queued > max {
            return Err(QueueError::Full {
                depth: queue.jobs.len(),
                max,
            });
        }
        let now = Instant::now();
        queue.submissions += 1;
        let request = queue.submissions;
        let receivers = sentences
            .into_iter()
            .map(|text| {
                let (reply, receiver) = oneshot::channel();
                if text.trim().is_empty() {
                    let _ = reply.send(Ok(Translation {
                        text: String::new(),
                        ids: Vec::new(),
                        logprob: 0.0,
                    }));
                } else {
                    queue.jobs.push_back(Job {
                        text,
                        config: Arc::clone(&config),
                        reply,
                        queued: now,
                        request,
                    });
                }
                receiver
            })
            .collect();
        drop(queue);
        self.shared.changed.notify_all();
        Ok(receivers)
    }

    /// Queue `sentences` and wait for all of them on this thread (never an async one): what a
    /// synchronous caller — a document's translation callback — uses. A full queue, a closed
    /// engine or a failed batch is the error.
    pub fn translate_blocking(
        &self,
        sentences: &[&str],
        config: Arc<GenerationConfig>,
    ) -> Result<Vec<Translation>, TranslateError> {
        let owned = sentences.iter().map(|s| s.to_string()).collect();
        self.submit(owned, config)
            .map_err(|e| TranslateError::Unsupported(e.to_string()))?
            .into_iter()
            .map(|r| {
                r.blocking_recv()
                    .map_err(|_| TranslateError::Unsupported("the engine stopped".into()))?
                    .map_err(TranslateError::Unsupported)
            })
            .collect()
    }

    /// Sentences waiting for the engine.
    pub fn depth(&self) -> usize {
        self.shared.queue.lock().expect("queue lock").jobs.len()
    }

    /// Finish what is queued, then stop the engine threads; new sentences are refused.
    pub fn shutdown(&self) {
        self.shared.queue.lock().expect("queue lock").closed = true;
        self.shared.changed.notify_all();
        let threads = std::mem::take(&mut *self.threads.lock().expect("threads lock"));
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn engine_loop(shared: &Shared) {
    while let Some(batch) = next_batch(shared) {
        let config = Arc::clone(&batch[0].config);
        let texts: Vec<&str> = batch.iter().map(|j| j.text.as_str()).collect();
        let start = Instant::now();
        // A panic in the engine must not take the server down or leave requests waiting:
        // the batch's requests get the error.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let translator = &shared.translator;
            translator
                .pool()
                .and_then(|pool| pool.install(|| translator.translate_batch(&texts, &config)))
        }));
        match result {
            Ok(Ok(translations)) => {
                let tokens = translations.iter().map(|t| t.ids.len()).sum();
                let mut requests: Vec<u64> = batch.iter().map(|j| j.request).collect();
                requests.sort_unstable();
                requests.dedup();
                shared.observer.batch_done(
                    batch.len(),
                    requests.len(),
                    tokens,
                    start.elapsed().as_secs_f64(),
                );
                for (job, t) in batch.into_iter().zip(translations) {
                    let _ = job.reply.send(Ok(t));
                }
            }
            Ok(Err(e)) => {
                for job in batch {
                    let _ = job.reply.send(Err(e.to_string()));
                }
            }
            Err(_) => {
                for job in batch {
                    let _ = job
                        .reply
                        .send(Err("the engine failed on this batch".into()));
                }
            }
        }
    }
}

/// Wait for work and take the next batch: the oldest sentence, and up to `batch_size - 1` others
/// with the same settings, closest in length among the next few batches' worth. Waits up to
/// `max_wait` after the oldest sentence arrived for a full batch. `None` once closed and empty.
fn next_batch(shared: &Shared) -> Option<Vec<Job>> {
    let mut queue = shared.queue.lock().expect("queue lock");
    loop {
        // Sentences whose request went away are dropped unseen.
        let before = queue.jobs.len();
        queue.jobs.retain(|j| !j.reply.is_closed());
        if queue.jobs.len() < before {
            shared.observer.sentences_dropped(before - queue.jobs.len());
        }
        let Some(head) = queue.jobs.front() else {
            if queue.closed {
                return None;
            }
            queue = shared.changed.wait(queue).expect("queue lock");
            continue;
        };
        let deadline = head.queued + shared.max_wait;
        let same = queue
            .jobs
            .iter()
            .filter(|j| j.config == head.config)
            .take(shared.batch_size)
            .count();
        let now = Instant::now();
        if same < shared.batch_size && now < deadline && !queue.closed {
            queue = shared
                .changed
                .wait_timeout(queue, deadline - now)
                .expect("queue lock")
                .0;
            continue;
        }
        return Some(take_batch(&mut queue.jobs, shared.batch_size));
    }
}

/// The oldest job and the `batch_size - 1` jobs with its settings nearest to it in length,
/// among the first `LOOKAHEAD_BATCHES` batches' worth of the queue.
fn take_batch(jobs: &mut VecDeque<Job>, batch_size: usize) -> Vec<Job> {
    let head_len = jobs[0].text.len();
    let config = Arc::clone(&jobs[0].config);
    let mut candidates: Vec<usize> = (1..jobs.len())
        .filter(|&i| jobs[i].config == config)
        .take(batch_size * LOOKAHEAD_BATCHES)
        .collect();
    candidates.sort_by_key(|&i| (jobs[i].text.len().abs_diff(head_len), i));
    let mut chosen: Vec<usize> = std::iter::once(0)
        .chain(candidates.into_iter().take(batch_size - 1))
        .collect();
    // Remove from the back so the indices stay valid.
    chosen.sort_unstable_by(|a, b| b.cmp(a));
    let mut batch: Vec<Job> = chosen
        .into_iter()
        .map(|i| jobs.remove(i).expect("index in the queue"))
        .collect();
    batch.reverse();
    batch
}
