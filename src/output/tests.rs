use super::*;

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn replaces_a_file_whole_and_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    fs::write(&path, "old contents that are longer").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    write_file(&path, b"new").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    assert_eq!(entries(dir.path()), ["out.txt"]);
}

#[test]
fn writes_through_a_symlink_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.txt");
    fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink("real.txt", &link).unwrap();
    write_file(&link, b"new").unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    // A dangling link creates its target.
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink("created.txt", &dangling).unwrap();
    write_file(&dangling, b"x").unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("created.txt")).unwrap(),
        "x"
    );
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_device_is_written_in_place_not_replaced() {
    // As root, renaming over /dev/null would replace the device with a regular file.
    write_file(Path::new("/dev/null"), b"discarded").unwrap();
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A FIFO in a fresh directory, and a thread that reads it whole after `delay`.
fn fifo_with_reader(
    delay: Duration,
) -> (tempfile::TempDir, PathBuf, std::thread::JoinHandle<Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    make_fifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            fs::read(fifo).unwrap()
        })
    };
    (dir, fifo, reader)
}

#[test]
fn a_fifo_nobody_reads_fails_after_the_wait_instead_of_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    make_fifo(&fifo);
    let started = std::time::Instant::now();
    let err = open_fifo(&fifo, Duration::from_millis(300)).unwrap_err();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let message = err.to_string();
    assert!(
        message.contains("no process opened it for reading"),
        "{message}"
    );
    assert!(message.contains("pipe"), "{message}");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_fifo_whose_reader_comes_late_is_written_whole() {
    let (_dir, fifo, reader) = fifo_with_reader(Duration::from_millis(200));
    // More than a pipe holds (64 KiB), so the writes must wait for the reader, not fail EAGAIN.
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut file = open_fifo(&fifo, Duration::from_secs(10)).unwrap();
    file.write_all(&data).unwrap();
    drop(file);
    assert_eq!(reader.join().unwrap(), data);
}

#[test]
fn a_fifo_is_written_in_place() {
    let (dir, fifo, reader) = fifo_with_reader(Duration::ZERO);
    write_file(&fifo, b"through the pipe").unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(entries(dir.path()), ["pipe"]);
}

#[test]
fn bad_destinations_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let err = Destination::check(&dir.path().join("missing/out.txt")).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    let err = Destination::check(dir.path()).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    let err = Destination::check(Path::new("")).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = Destination::check(&file.join("below")).unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("not a directory"),
        "{err}"
    );
}

#[test]
fn an_unfinished_output_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    fs::write(&path, "keep me").unwrap();
    {
        let mut w = Destination::check(&path).unwrap().create().unwrap();
        w.write_all(b"partial").unwrap();
        assert_eq!(
            entries(dir.path()).len(),
            2,
            "temporary file exists while writing"
        );
    }
    assert_eq!(entries(dir.path()), ["out.txt"]);
    assert_eq!(fs::read_to_string(&path).unwrap(), "keep me");

    // What a Ctrl-C handler does: temporary files go, the destination is untouched.
    let mut w = Destination::check(&path).unwrap().create().unwrap();
    w.write_all(b"partial").unwrap();
    // (Restricted to this test's directory: other tests write their own files meanwhile.)
    remove_unfinished_where(|p| p.starts_with(dir.path()));
    assert_eq!(entries(dir.path()), ["out.txt"]);
    drop(w);
    assert_eq!(fs::read_to_string(&path).unwrap(), "keep me");
}

#[test]
fn several_files_are_committed_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("c.src"), dir.path().join("c.tgt"));
    fs::write(&a, "old a").unwrap();
    let mut wa = Destination::check(&a).unwrap().create().unwrap();
    let mut wb = Destination::check(&b).unwrap().create().unwrap();
    wa.write_all(b"new a").unwrap();
    wb.write_all(b"new b").unwrap();
    // The second rename fails: something made its destination a non-empty directory.
    fs::create_dir(&b).unwrap();
    fs::write(b.join("inside"), "x").unwrap();
    assert!(commit_all(vec![wa, wb]).is_err());
    assert_eq!(
        fs::read_to_string(&a).unwrap(),
        "old a",
        "first file restored"
    );
    assert_eq!(entries(dir.path()), ["c.src", "c.tgt"]);

    // And when both succeed, both are new.
    fs::remove_dir_all(&b).unwrap();
    let mut wa = Destination::check(&a).unwrap().create().unwrap();
    let mut wb = Destination::check(&b).unwrap().create().unwrap();
    wa.write_all(b"new a").unwrap();
    wb.write_all(b"new b").unwrap();
    commit_all(vec![wa, wb]).unwrap();
    assert_eq!(fs::read_to_string(&a).unwrap(), "new a");
    assert_eq!(fs::read_to_string(&b).unwrap(), "new b");
    assert_eq!(entries(dir.path()), ["c.src", "c.tgt"]);
}
