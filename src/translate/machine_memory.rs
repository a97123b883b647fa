//! The memory this process may still take: the kernel's `MemAvailable` (`/proc/meminfo`),
//! lowered to the room left under the memory limit of the process's cgroup and each of its
//! parents (cgroup v2 `memory.max` − `memory.current`; v1 `memory.limit_in_bytes` −
//! `memory.usage_in_bytes`). A container with a 4 GiB limit on a 512 GiB host has 4 GiB, not 512.

use std::path::{Path, PathBuf};

/// Bytes available to this process, or `None` where nothing can be read (not Linux).
pub(super) fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let host = mem_available(&meminfo)?;
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let room = cgroup_room(Path::new("/sys/fs/cgroup"), &cgroup, &|p| {
        std::fs::read_to_string(p).ok()
    });
    Some(room.map_or(host, |r| r.min(host)))
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
pub(super) fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// The least room left under any memory limit of the cgroups named by a `/proc/self/cgroup`
/// text, walking from the process's group up to the root; `None` where no limit is set.
/// `read` reads a file (a parameter so that tests give the files).
pub(super) fn cgroup_room(
    root: &Path,
    proc_cgroup: &str,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<u64> {
    let mut least: Option<u64> = None;
    let mut consider = |limit: Option<u64>, usage: Option<u64>| {
        if let Some(limit) = limit {
            let room = limit.saturating_sub(usage.unwrap_or(0));
            least = Some(least.map_or(room, |l| l.min(room)));
        }
    };
    for line in proc_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let relative = path.trim_start_matches('/');
        if controllers.is_empty() {
            // cgroup v2: the unified hierarchy.
            for dir in ancestors(root, relative) {
                consider(
                    number(read(&dir.join("memory.max"))),
                    number(read(&dir.join("memory.current"))),
                );
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            for dir in ancestors(&root.join("memory"), relative) {
                consider(
                    number(read(&dir.join("memory.limit_in_bytes"))),
                    number(read(&dir.join("memory.usage_in_bytes"))),
                );
            }
        }
    }
    least
}

/// `root/relative` and each of its parents up to `root`.
fn ancestors(root: &Path, relative: &str) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    let mut dir = root.to_path_buf();
    for part in relative.split('/').filter(|p| !p.is_empty()) {
        dir = dir.join(part);
        dirs.push(dir.clone());
    }
    dirs
}

/// A limit or usage file's number; `max` (no limit) and v1's "no limit" sentinel (near
/// `i64::MAX`, page-rounded) are `None`.
fn number(text: Option<String>) -> Option<u64> {
    let n: u64 = text?.trim().parse().ok()?;
    (n < 1 << 62).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(entries: &[(&str, &str)]) -> impl Fn(&Path) -> Option<String> {
        let map: HashMap<PathBuf, String> = entries
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect();
        move |p: &Path| map.get(p).cloned()
    }

    #[test]
    fn mem_available_is_read_in_kib() {
        let meminfo =
            "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(mem_available(meminfo), Some(20_000_000 * 1024));
        assert_eq!(mem_available("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn a_v2_limit_anywhere_up_the_tree_bounds_the_room() {
        let read = files(&[
            ("/cg/memory.max", "max\n"),
            ("/cg/ci/memory.max", "4294967296\n"),
            ("/cg/ci/memory.current", "1073741824\n"),
            ("/cg/ci/job/memory.max", "max\n"),
            ("/cg/ci/job/memory.current", "536870912\n"),
        ]);
        let room = cgroup_room(Path::new("/cg"), "0::/ci/job\n", &read);
        assert_eq!(
            room,
            Some(3 << 30),
            "4 GiB limit less 1 GiB used by the parent"
        );
    }

    #[test]
    fn no_limit_means_no_room_figure() {
        let read = files(&[("/cg/memory.max", "max\n")]);
        assert_eq!(cgroup_room(Path::new("/cg"), "0::/\n", &read), None);
        // v1 without a limit reports a huge page-rounded sentinel.
        let read = files(&[(
            "/cg/memory/docker/memory.limit_in_bytes",
            "9223372036854771712\n",
        )]);
        assert_eq!(
            cgroup_room(Path::new("/cg"), "5:memory:/docker\n", &read),
            None
        );
    }

    #[test]
    fn a_v1_memory_controller_limit_counts() {
        let read = files(&[
            (
                "/cg/memory/docker/abc/memory.limit_in_bytes",
                "2147483648\n",
            ),
            (
                "/cg/memory/docker/abc/memory.usage_in_bytes",
                "1073741824\n",
            ),
        ]);
        let proc_cgroup = "7:cpu,cpuacct:/docker/abc\n5:memory:/docker/abc\n";
        assert_eq!(
            cgroup_room(Path::new("/cg"), proc_cgroup, &read),
            Some(1 << 30)
        );
    }

    #[test]
    fn this_machine_reports_some_memory() {
        if cfg!(target_os = "linux") {
            let bytes = available().expect("/proc/meminfo is readable on Linux");
            assert!(bytes > 16 << 20, "{bytes}");
        }
    }
}
