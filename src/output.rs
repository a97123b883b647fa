//! Writing output files without ever losing or clobbering one.
//!
//! Owns the rules every command shares for `-o`:
//! - the destination is checked before any work starts ([`Destination::check`]): its directory
//!   must exist and it must not be a directory;
//! - a regular file is written to a hidden temporary sibling and renamed into place when the
//!   output is complete, so it appears whole or not at all; an existing file keeps its
//!   permissions (and, where the process may, its owner);
//! - a symbolic link is followed: the file it points to is replaced, the link stays;
//! - a FIFO, a character or block device (`/dev/null`, `/dev/stdout`) is written directly:
//!   renaming over it would replace it with a regular file. A FIFO waits a bounded time
//!   ([`FIFO_READER_WAIT`]) for a process to read it, then fails instead of hanging;
//! - the temporary file is removed on error, when the writer is dropped unfinished, and on
//!   Ctrl-C / SIGTERM ([`remove_unfinished`], called by the binary's signal handler);
//! - several files that belong together (a Moses pair, shards) are committed all or nothing
//!   ([`commit_all`]).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a FIFO output waits for a process to open it for reading: long enough for a reader
/// started just after entente (`entente … -o pipe & cat pipe`), short enough that a FIFO nobody
/// reads ends in an error rather than a process blocked for ever in `open`.
pub const FIFO_READER_WAIT: Duration = Duration::from_secs(10);

/// Errors preparing or writing an output.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Temporary files not yet renamed into place, removed by [`remove_unfinished`].
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn register(path: &Path) {
    if let Ok(mut list) = UNFINISHED.lock() {
        list.push(path.to_path_buf());
    }
}

fn unregister(path: &Path) {
    if let Ok(mut list) = UNFINISHED.lock() {
        list.retain(|p| p != path);
    }
}

/// Remove every temporary output file still being written. For signal handlers: after it, the
/// process should exit without committing anything.
pub fn remove_unfinished() {
    remove_unfinished_where(|_| true);
}

fn remove_unfinished_where(select: impl Fn(&Path) -> bool) {
    // try_lock: a handler must not wait on a lock the interrupted thread may hold; in that rare
    // case the writer's own Drop does the cleanup if the process unwinds, else a stale hidden
    // `.NAME.PID.N.tmp` is left.
    if let Ok(list) = UNFINISHED.try_lock() {
        for path in list.iter().filter(|p| select(p)) {
            let _ = fs::remove_file(path);
        }
    }
}

/// Follow symbolic links from `path` to the path that is finally opened (which may not exist).
fn resolve_links(path: &Path) -> Result<PathBuf, OutputError> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(io_error(path))?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(OutputError::Invalid {
        path: path.to_path_buf(),
        reason: "too many levels of symbolic links".into(),
    })
}

/// How an output path is written.
#[derive(Debug, Clone)]
enum Kind {
    /// A regular file (existing or not): temporary sibling, then rename.
    Regular {
        /// The file finally written (symbolic links followed).
        target: PathBuf,
    },
    /// A FIFO or device: opened and written in place.
    Special { fifo: bool },
}

/// A checked output path.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The path as the user gave it (for messages).
    path: PathBuf,
    kind: Kind,
}

impl Destination {
    /// Check that `path` can be written, before any work is done.
    pub fn check(path: &Path) -> Result<Self, OutputError> {
        let invalid = |reason: String| OutputError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        if path.as_os_str().is_empty() {
            return Err(invalid("the output path is empty".into()));
        }
        let target = resolve_links(path)?;
        match fs::metadata(&target) {
            Ok(meta) => {
                let ft = meta.file_type();
                if ft.is_dir() {
                    return Err(invalid(
                        "it is a directory; give a file name inside it".into(),
                    ));
                }
                if ft.is_fifo() || ft.is_char_device() || ft.is_block_device() {
                    return Ok(Destination {
                        path: path.to_path_buf(),
                        kind: Kind::Special { fifo: ft.is_fifo() },
                    });
                }
                if ft.is_socket() {
                    return Err(invalid("it is a socket".into()));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path)(e)),
        }
        let dir = parent_dir(&target);
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(invalid(format!("{} is not a directory", dir.display()))),
            Err(_) => {
                return Err(invalid(format!(
                    "the directory {} does not exist; create it first",
                    dir.display()
                )))
            }
        }
        if target.file_name().is_none() {
            return Err(invalid("the output path has no file name".into()));
        }
        Ok(Destination {
            path: path.to_path_buf(),
            kind: Kind::Regular { target },
        })
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Start writing: a temporary sibling for a regular file, the file itself for a FIFO or
    /// device.
    pub fn create(&self) -> Result<OutputWriter, OutputError> {
        match &self.kind {
            Kind::Special { fifo } => {
                let file = if *fifo {
                    open_fifo(&self.path, FIFO_READER_WAIT)?
                } else {
                    OpenOptions::new()
                        .write(true)
                        .open(&self.path)
                        .map_err(io_error(&self.path))?
                };
                Ok(OutputWriter {
                    file: Some(BufWriter::new(file)),
                    tmp: None,
                    destination: self.clone(),
                })
            }
            Kind::Regular { target } => {
                let dir = parent_dir(target);
                let mut name = OsString::from(".");
                name.push(target.file_name().expect("checked"));
                name.push(format!(
                    ".{}.{}.tmp",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                ));
                let tmp = dir.join(name);
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)
                    .map_err(io_error(&self.path))?;
                register(&tmp);
                Ok(OutputWriter {
                    file: Some(BufWriter::new(file)),
                    tmp: Some(tmp),
                    destination: self.clone(),
                })
            }
        }
    }
}

/// Open a FIFO for writing once a process has opened it for reading, waiting at most `wait`.
/// A plain `open` would block until then, for ever if no reader comes; a non-blocking one fails
/// with ENXIO while there is none, so it is retried until the deadline.
pub(crate) fn open_fifo(path: &Path, wait: Duration) -> Result<File, OutputError> {
    let deadline = Instant::now() + wait;
    loop {
        let opened = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path);
        match opened {
            Ok(file) => {
                set_blocking(&file).map_err(io_error(path))?;
                return Ok(file);
            }
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                if Instant::now() >= deadline {
                    return Err(OutputError::Invalid {
                        path: path.to_path_buf(),
                        reason: format!(
                            "it is a FIFO and no process opened it for reading within {} s; \
                             start the reader first (for example `cat {} &`)",
                            wait.as_secs_f64(),
                            path.display()
                        ),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(io_error(path)(e)),
        }
    }
}

/// Clear O_NONBLOCK: once a reader is there, writes wait for it rather than failing with EAGAIN
/// whenever the pipe is full.
fn set_blocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this `File` owns and keeps open; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An output being written; nothing appears at the destination until [`OutputWriter::commit`].
/// Dropped without a commit, it removes its temporary file.
pub struct OutputWriter {
    file: Option<BufWriter<File>>,
    tmp: Option<PathBuf>,
    destination: Destination,
}

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open until commit").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open until commit").flush()
    }
}

impl OutputWriter {
    /// Flush and sync the data (step one of a commit).
    fn finish_data(&mut self) -> Result<(), OutputError> {
        let path = self.destination.path.clone();
        let file = self.file.as_mut().expect("open until commit");
        file.flush().map_err(io_error(&path))?;
        if let Some(tmp) = &self.tmp {
            file.get_ref().sync_all().map_err(io_error(&path))?;
            // An existing file keeps its permissions and, where allowed, its owner.
            if let Kind::Regular { target } = &self.destination.kind {
                if let Ok(meta) = fs::metadata(target) {
                    fs::set_permissions(tmp, fs::Permissions::from_mode(meta.mode() & 0o7777))
                        .map_err(io_error(&path))?;
                    let _ = std::os::unix::fs::chown(tmp, Some(meta.uid()), Some(meta.gid()));
                }
            }
        }
        Ok(())
    }

    /// Put the temporary file in place (step two of a commit).
    fn rename_into_place(&mut self) -> Result<(), OutputError> {
        if let (Some(tmp), Kind::Regular { target }) = (&self.tmp, &self.destination.kind) {
            fs::rename(tmp, target).map_err(io_error(&self.destination.path))?;
            unregister(tmp);
            self.tmp = None;
        }
        self.file = None;
        Ok(())
    }

    /// Finish the output: the destination now holds exactly what was written.
    pub fn commit(mut self) -> Result<(), OutputError> {
        self.finish_data()?;
        self.rename_into_place()
    }
}

impl Drop for OutputWriter {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            self.file = None;
            let _ = fs::remove_file(&tmp);
            unregister(&tmp);
        }
    }
}

/// Commit several outputs all or nothing: every file's data is written and synced first; if a
/// rename then fails, the files already renamed are restored to what they were.
pub fn commit_all(mut writers: Vec<OutputWriter>) -> Result<(), OutputError> {
    for w in &mut writers {
        w.finish_data()?;
    }
    // Keep the old contents of each existing target (a hard link) until all renames succeeded.
    let mut backups: Vec<Option<PathBuf>> = Vec::new();
    for w in &writers {
        let backup = match &w.destination.kind {
            Kind::Regular { target } if target.exists() => {
                let mut name = OsString::from(".");
                name.push(target.file_name().expect("checked"));
                name.push(format!(
                    ".{}.{}.bak",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                ));
                let backup = parent_dir(target).join(name);
                fs::hard_link(target, &backup).ok().map(|()| backup)
            }
            _ => None,
        };
        backups.push(backup);
    }
    let mut result = Ok(());
    let mut renamed = 0;
    for w in &mut writers {
        if let Err(e) = w.rename_into_place() {
            result = Err(e);
            break;
        }
        renamed += 1;
    }
    if result.is_err() {
        for (w, backup) in writers.iter().zip(&backups).take(renamed) {
            if let Kind::Regular { target } = &w.destination.kind {
                match backup {
                    Some(b) => {
                        let _ = fs::rename(b, target);
                    }
                    None => {
                        let _ = fs::remove_file(target);
                    }
                }
            }
        }
    }
    for b in backups.into_iter().flatten() {
        let _ = fs::remove_file(b);
    }
    result
}

/// Write `contents` to `path` by the rules above, in one go.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), OutputError> {
    let destination = Destination::check(path)?;
    let mut writer = destination.create()?;
    writer.write_all(contents).map_err(io_error(path))?;
    writer.commit()
}

#[cfg(test)]
mod tests;
