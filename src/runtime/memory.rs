//! Memory facts from /proc: what is available before loading, and the process's peak RSS.

/// Environment variable that overrides the available memory (bytes, or with a K/M/G suffix):
/// lets tests and cautious users simulate a small machine.
pub const AVAILABLE_MEMORY_ENV: &str = "MODELVET_SMOKE_AVAILABLE_MEMORY";

/// `MemAvailable` from /proc/meminfo, in bytes (`None` where /proc is absent).
pub fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    proc_kb(&text, "MemAvailable:")
}

/// The process's peak resident set size (`VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    proc_kb(&text, "VmHWM:")
}

/// The override from [`AVAILABLE_MEMORY_ENV`], if set and parseable.
pub fn available_override() -> Option<u64> {
    parse_size(&std::env::var(AVAILABLE_MEMORY_ENV).ok()?)
}

fn proc_kb(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Parses `1234`, `512K`, `64M`, `2G` (binary multiples).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_and_proc_lines() {
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(
            proc_kb(
                "MemTotal: 10 kB\nMemAvailable:   2048 kB\n",
                "MemAvailable:"
            ),
            Some(2048 * 1024)
        );
        assert!(mem_available().is_some() && peak_rss_bytes().is_some());
    }
}
