//! Shared by the targets: a scratch folder (in /dev/shm where it exists) that holds the input as
//! a file, because the scanner and the smoke test read files, as the CLI does.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The process's scratch folder, created once and kept for the whole run. libFuzzer ends the
/// process with `exit`, so the folder is never dropped: each one carries its process id, and the
/// folders of processes that are gone (fork-mode jobs, earlier runs) are removed here.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        remove_stale(&base);
        tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir_in(base)
            .expect("scratch dir")
    })
    .path()
}

const PREFIX: &str = "modelvet-fuzz-";

/// Removes the scratch folders of processes that no longer run.
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `data` to `name` in the scratch folder and returns its path.
pub fn write(name: &str, data: &[u8]) -> PathBuf {
    let p = scratch().join(name);
    std::fs::write(&p, data).expect("write input");
    p
}

/// Scans `data` as a file called `name`, as `modelvet scan` would.
#[allow(dead_code)]
pub fn scan_as(name: &str, data: &[u8]) {
    let p = write(name, data);
    let _ = modelvet::scan::scan_file(&p, name);
}

/// Smoke options for fuzzing: one generated token, and a memory budget well inside libFuzzer's
/// RSS limit (2 GB by default), so an input the guard lets through but that allocates more than
/// it estimated shows up as an out-of-memory crash.
#[allow(dead_code)]
pub fn smoke_options() -> modelvet::runtime::SmokeOptions {
    modelvet::runtime::SmokeOptions {
        max_new_tokens: 1,
        available_memory: Some(768 << 20),
        ..Default::default()
    }
}
