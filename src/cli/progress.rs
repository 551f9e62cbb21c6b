//! Progress bars for hashing: one bar for the total (bytes, rate, files done) and one per large
//! file in flight. Drawn on stderr only when it is a terminal and `--no-progress` is not given.

use crate::hashing::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Files smaller than this get no bar of their own; thousands of tiny bars would only flicker.
const FILE_BAR_MIN: u64 = 16 << 20;

/// Hashing progress on stderr; does nothing when hidden.
pub struct HashBars {
    multi: Option<MultiProgress>,
    total: ProgressBar,
    files: Mutex<HashMap<PathBuf, ProgressBar>>,
    done: std::sync::atomic::AtomicUsize,
    count: std::sync::atomic::AtomicUsize,
}

impl HashBars {
    /// Bars that draw when `visible`, else stay silent.
    pub fn new(visible: bool) -> HashBars {
        let multi = visible.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let total = match &multi {
            Some(m) => {
                let bar = m.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_prefix("hashing");
                bar
            }
            None => ProgressBar::hidden(),
        };
        HashBars {
            multi,
            total,
            files: Mutex::new(HashMap::new()),
            done: Default::default(),
            count: Default::default(),
        }
    }

    /// Sets the total bytes and number of files about to be hashed.
    fn set_bar_total(&self, bytes: u64, files: usize) {
        self.total.set_length(bytes);
        self.count
            .store(files, std::sync::atomic::Ordering::Relaxed);
        self.total.set_message(format!("0/{files} files"));
    }

    /// Removes the bars from the terminal.
    pub fn clear(&self) {
        for bar in self.files.lock().expect("not poisoned").values() {
            bar.finish_and_clear();
        }
        self.total.finish_and_clear();
    }
}

impl Progress for HashBars {
    fn set_total(&self, bytes: u64, files: usize) {
        self.set_bar_total(bytes, files);
    }

    fn start(&self, path: &Path, size: u64) {
        let Some(multi) = &self.multi else { return };
        if size < FILE_BAR_MIN {
            return;
        }
        let bar = multi.add(ProgressBar::new(size));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        self.files
            .lock()
            .expect("not poisoned")
            .insert(path.to_path_buf(), bar);
    }

    fn advance(&self, path: &Path, n: u64) {
        self.total.inc(n);
        if self.multi.is_some()
            && let Some(bar) = self.files.lock().expect("not poisoned").get(path)
        {
            bar.inc(n);
        }
    }

    fn finish(&self, path: &Path) {
        use std::sync::atomic::Ordering::Relaxed;
        let done = self.done.fetch_add(1, Relaxed) + 1;
        if self.multi.is_none() {
            return;
        }
        self.total
            .set_message(format!("{done}/{} files", self.count.load(Relaxed)));
        if let Some(bar) = self.files.lock().expect("not poisoned").remove(path) {
            bar.finish_and_clear();
        }
    }
}
