//! The data caches of the CPU this runs on, found once at run time, and the blocking of the
//! matrix products chosen from them: how many weight rows and how many activation rows a
//! product keeps in the L2 cache at once. Constants tuned on one chip would fit it and miss the
//! next (a Xeon's L2 is 1–2 MiB a core, an EPYC's 0.5–1 MiB, some Arm cores share 2–4 MiB
//! between four).
//!
//! The sizes come from Linux's sysfs (`/sys/devices/system/cpu/cpu0/cache`), which reports
//! what the CPU itself describes on every architecture; a cache shared by several cores counts
//! for each as its share. Where sysfs cannot be read (other systems, containers that hide it),
//! the sizes of a common server core: 32 KiB of L1 data cache and 1 MiB of L2.
//!
//! Blocking never changes a bit of any result: it orders whole dot products (or, in the int8
//! products, exact integer sums), so a machine with other caches computes the same numbers.

use std::path::Path;
use std::sync::OnceLock;

/// Per-core data cache sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSizes {
    pub l1d: usize,
    pub l2: usize,
}

impl CacheSizes {
    /// When the caches cannot be read: a common server core.
    pub const FALLBACK: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l2: 1 << 20,
    };

    /// This CPU's caches, read once.
    pub fn detected() -> CacheSizes {
        static SIZES: OnceLock<CacheSizes> = OnceLock::new();
        *SIZES.get_or_init(|| {
            Self::from_sysfs(Path::new("/sys/devices/system/cpu/cpu0/cache"))
                .unwrap_or(Self::FALLBACK)
        })
    }

    /// The sizes in a sysfs cache directory (`index0`, `index1`, … each with `level`, `type`,
    /// `size` and `shared_cpu_list`); a level it does not describe keeps the fallback's size,
    /// and `None` when it describes neither. Sizes out of any real CPU's range are ignored.
    pub(super) fn from_sysfs(dir: &Path) -> Option<CacheSizes> {
        let mut found = (None, None);
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            let read = |name: &str| std::fs::read_to_string(path.join(name)).ok();
            let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
            else {
                continue;
            };
            if kind.trim() == "Instruction" {
                continue;
            }
            let Some(bytes) = parse_size(&size) else {
                continue;
            };
            let sharing = read("shared_cpu_list")
                .and_then(|list| count_cpus(&list))
                .unwrap_or(1);
            let share = bytes / sharing.max(1);
            match level.trim() {
                "1" if (4 << 10..=1 << 20).contains(&share) => found.0 = Some(share),
                "2" if (64 << 10..=64 << 20).contains(&share) => found.1 = Some(share),
                _ => {}
            }
        }
        match found {
            (None, None) => None,
            (l1d, l2) => Some(CacheSizes {
                l1d: l1d.unwrap_or(Self::FALLBACK.l1d),
                l2: l2.unwrap_or(Self::FALLBACK.l2),
            }),
        }
    }
}

/// sysfs's `48K`, `1024K`, `2M` or plain bytes.
fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let n: usize = digits.parse().ok()?;
    let scale = match unit.trim() {
        "" => 1,
        "K" | "k" | "KB" | "KiB" => 1 << 10,
        "M" | "MB" | "MiB" => 1 << 20,
        "G" | "GB" | "GiB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// How many CPUs a `shared_cpu_list` (`0`, `0-1`, `0,2`, `0-3,8-11`) names.
fn count_cpus(list: &str) -> Option<usize> {
    let mut count = 0usize;
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        count += match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                b.checked_sub(a)? + 1
            }
            None => {
                part.trim().parse::<usize>().ok()?;
                1
            }
        };
    }
    (count > 0).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_dir(caches: &[(&str, &str, &str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (i, (level, kind, size, shared)) in caches.iter().enumerate() {
            let index = dir.path().join(format!("index{i}"));
            std::fs::create_dir(&index).unwrap();
            for (name, value) in [
                ("level", level),
                ("type", kind),
                ("size", size),
                ("shared_cpu_list", shared),
            ] {
                std::fs::write(index.join(name), format!("{value}\n")).unwrap();
            }
        }
        dir
    }

    #[test]
    fn reads_the_data_caches_and_each_cores_share() {
        // This machine's layout (an EPYC under KVM): the instruction cache is not the L1d.
        let dir = cache_dir(&[
            ("1", "Data", "48K", "0"),
            ("1", "Instruction", "32K", "0"),
            ("2", "Unified", "1024K", "0"),
            ("3", "Unified", "32768K", "0-1"),
        ]);
        assert_eq!(
            CacheSizes::from_sysfs(dir.path()),
            Some(CacheSizes {
                l1d: 48 << 10,
                l2: 1 << 20
            })
        );
        // An L2 shared by a cluster of four cores counts a quarter for each.
        let dir = cache_dir(&[("1", "Data", "64K", "0"), ("2", "Unified", "2M", "0-1,4-5")]);
        assert_eq!(
            CacheSizes::from_sysfs(dir.path()),
            Some(CacheSizes {
                l1d: 64 << 10,
                l2: 512 << 10
            })
        );
    }

    #[test]
    fn what_cannot_be_read_falls_back() {
        // No L2 described: the fallback's L2 beside the L1d found.
        let dir = cache_dir(&[("1", "Data", "32K", "0")]);
        assert_eq!(
            CacheSizes::from_sysfs(dir.path()),
            Some(CacheSizes {
                l1d: 32 << 10,
                l2: CacheSizes::FALLBACK.l2
            })
        );
        // Garbage and absurd sizes are ignored; nothing usable is None.
        let dir = cache_dir(&[
            ("1", "Data", "lots", "0"),
            ("2", "Unified", "1", "0"),
            ("2", "Unified", "99999999999999999999K", "0"),
        ]);
        assert_eq!(CacheSizes::from_sysfs(dir.path()), None);
        assert_eq!(
            CacheSizes::from_sysfs(Path::new("/nonexistent/cache")),
            None
        );
        let detected = CacheSizes::detected();
        assert!(detected.l1d >= 4 << 10 && detected.l2 >= 64 << 10);
    }

    #[test]
    fn sizes_and_cpu_lists_parse() {
        assert_eq!(parse_size("48K\n"), Some(48 << 10));
        assert_eq!(parse_size("2M"), Some(2 << 20));
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("12Q"), None);
        assert_eq!(count_cpus("0-3,8-11\n"), Some(8));
        assert_eq!(count_cpus("5"), Some(1));
        assert_eq!(count_cpus("3-1"), None);
        assert_eq!(count_cpus(""), None);
    }
}
