//! A file read through memory-mapped windows, guarded against the one hazard of a map.
//!
//! Hashing from a map skips the copy out of the page cache that `read` makes. On two cores that
//! copy is what a second hash over the same bytes (the tensor digests) has no room for.
//!
//! The hazard: when another process truncates the file while a window is mapped, touching a page
//! past the new end raises SIGBUS, and the process dies. Here a SIGBUS handler looks the faulting
//! address up among the windows mapped through this module. If it falls inside one, the handler
//! maps anonymous zero pages over the rest of that window, flags it, and returns; the load runs
//! again and reads zeros. The caller sees the flag, and the size check after hashing reports the
//! file as changed, as it does for a file that changed under `read`. A fault anywhere else is
//! handed to the handler that was installed before ours (Rust's stack-overflow handler, or the
//! default action), so other faults behave as they would without this module.
//!
//! A window this module cannot map or guard (no slot free, `mmap` refused) is read with `pread`
//! instead: the same bytes, one copy.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Bytes per window: a few in flight keep the resident set small.
pub(super) const WINDOW: usize = 8 << 20;

/// How many windows can be mapped at once across the process (each hashing thread holds at most
/// three: the one it hashes, the one a tap reads, and one queued between them).
const SLOTS: usize = 128;

/// One guarded window: `[start, end)` of the address space while mapped, 0 when free, and
/// whether the handler replaced part of it.
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    faulted: AtomicBool,
}

/// A slot being filled in: claimed, not yet visible to the handler.
const CLAIMED: usize = usize::MAX;

static GUARDED: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        faulted: AtomicBool::new(false),
    }
}; SLOTS];

static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// The SIGBUS action before ours, to hand foreign faults to.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Installs the handler once; false when it could not be installed (then nothing is mapped).
fn installed() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| {
        // SAFETY: sysconf, sigemptyset and sigaction are given valid pointers to locals; the
        // handler only touches atomics, calls mmap and chains to the saved action.
        #[allow(unsafe_code)]
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut old) != 0 {
                return false;
            }
            // Saved before ours is installed, so the handler can chain from its first call.
            let _ = PREVIOUS.set(old);
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_sigbus as *const () as usize;
            // SA_ONSTACK: a stack overflow handed on to Rust's handler needs the alternate stack.
            new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut new.sa_mask);
            libc::sigaction(libc::SIGBUS, &new, std::ptr::null_mut()) == 0
        }
    })
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    #[allow(unsafe_code)]
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    let page = PAGE.load(Ordering::Relaxed);
    // Only a load from a page with nothing behind it (a truncated file) is ours to mend; a SIGBUS
    // sent with kill(2) or for a memory error has no such address.
    let slots = if code == libc::BUS_ADRERR {
        &GUARDED[..]
    } else {
        &[]
    };
    for slot in slots {
        let start = slot.start.load(Ordering::Acquire);
        if start == 0 || start == CLAIMED || addr < start {
            continue;
        }
        let end = slot.end.load(Ordering::Acquire);
        if addr >= end {
            continue;
        }
        let from = addr & !(page - 1);
        // SAFETY: [from, end) lies inside a window this module mapped and still owns (the slot is
        // cleared before the window is unmapped); replacing its pages with zero pages leaves every
        // reference into it valid, only with other contents. mmap is a plain system call, safe
        // to make in a signal handler.
        #[allow(unsafe_code)]
        let r = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                end - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if r != libc::MAP_FAILED {
            slot.faulted.store(true, Ordering::Release);
            return;
        }
    }
    // Not ours: as if this handler were not there.
    // SAFETY: the saved action is the one the process had; calling it with the kernel's
    // arguments is what the kernel would have done, and restoring the default action makes the
    // faulting access run again into it.
    #[allow(unsafe_code)]
    unsafe {
        match PREVIOUS.get() {
            Some(prev)
                if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN =>
            {
                if prev.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(prev.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
                    f(sig);
                }
            }
            _ => {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// A window of a file's bytes: mapped and guarded, or read.
pub(super) struct Window {
    bytes: Bytes,
    /// Set when part of the window could not be read: the file is shorter than it was.
    short: bool,
}

enum Bytes {
    Mapped { map: memmap2::Mmap, slot: usize },
    Read(Vec<u8>),
}

impl Window {
    /// `len` bytes of `file` from `offset`.
    pub(super) fn new(file: &File, offset: u64, len: usize) -> io::Result<Window> {
        if let Some(w) = map(file, offset, len) {
            return Ok(w);
        }
        let mut buf = vec![0u8; len];
        // Short means the file ended early: it is shorter than it was.
        let short = match file.read_exact_at(&mut buf, offset) {
            Ok(()) => false,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => true,
            Err(e) => return Err(e),
        };
        Ok(Window {
            bytes: Bytes::Read(buf),
            short,
        })
    }

    pub(super) fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped { map, .. } => map,
            Bytes::Read(buf) => buf,
        }
    }

    /// Whether some of these bytes were not the file's (it was truncated while mapped or read):
    /// asked after the last read of the window.
    pub(super) fn short(&self) -> bool {
        self.short
            || match &self.bytes {
                Bytes::Mapped { slot, .. } => GUARDED[*slot].faulted.load(Ordering::Acquire),
                Bytes::Read(_) => false,
            }
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        if let Bytes::Mapped { slot, .. } = &self.bytes {
            // Cleared before memmap2 unmaps the window (fields drop after this), so the handler
            // never acts on an address range that is no longer ours.
            let s = &GUARDED[*slot];
            s.end.store(0, Ordering::Release);
            s.faulted.store(false, Ordering::Relaxed);
            s.start.store(0, Ordering::Release);
        }
    }
}

fn map(file: &File, offset: u64, len: usize) -> Option<Window> {
    if len == 0 || !installed() {
        return None;
    }
    let slot = GUARDED.iter().position(|s| {
        s.start
            .compare_exchange(0, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })?;
    // SAFETY: read-only mapping of a file this process opened. Every read of it goes through
    // `Window::bytes` while the window is registered in `GUARDED`, so a truncation from outside
    // makes the handler above replace the missing pages with zeros instead of killing the
    // process, and the caller learns of it from `Window::short`.
    #[allow(unsafe_code)]
    let mapped = unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .populate()
            .map(file)
    };
    let s = &GUARDED[slot];
    match mapped {
        Ok(map) => {
            let start = map.as_ptr() as usize;
            s.faulted.store(false, Ordering::Relaxed);
            s.end.store(start + map.len(), Ordering::Release);
            s.start.store(start, Ordering::Release);
            Some(Window {
                bytes: Bytes::Mapped { map, slot },
                short: false,
            })
        }
        Err(_) => {
            s.start.store(0, Ordering::Release);
            None
        }
    }
}

/// Asks the kernel to start reading `len` bytes from `offset` into the page cache, so that the
/// next window's mapping finds them there (a cold file's reads overlap the hashing).
pub(super) fn read_ahead(file: &File, offset: u64, len: usize) {
    // SAFETY: posix_fadvise only takes the descriptor and numbers; it cannot touch memory.
    #[allow(unsafe_code)]
    unsafe {
        libc::posix_fadvise(
            file.as_raw_fd(),
            offset as libc::off_t,
            len as libc::off_t,
            libc::POSIX_FADV_WILLNEED,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_truncated_while_mapped_reads_zeros_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinks");
        let len = 3 * 4096 + 100;
        std::fs::write(&path, vec![0xabu8; len]).unwrap();
        let file = File::open(&path).unwrap();
        let w = Window::new(&file, 0, len).unwrap();
        assert!(matches!(w.bytes, Bytes::Mapped { .. }));
        assert!(!w.short());
        // Truncated from outside after the mapping: the pages past the new end are gone.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(4096)
            .unwrap();
        let bytes = w.bytes();
        assert_eq!(bytes[100], 0xab);
        // Without the guard this read is a SIGBUS and the test process dies.
        let tail: u64 = bytes[4096..].iter().map(|&b| b as u64).sum();
        assert_eq!(tail, 0);
        assert!(w.short());
        drop(w);
        // A new window over the shorter file reads what is left and says it is short.
        let w = Window::new(&file, 0, len).unwrap();
        assert_eq!(w.bytes()[..4096], vec![0xabu8; 4096][..]);
        let _ = w.bytes().iter().map(|&b| b as u64).sum::<u64>();
        assert!(w.short());
    }

    #[test]
    fn a_fault_outside_every_window_is_not_swallowed() {
        // In a child process (this test again, told so by the environment): the guard installed
        // and a window mapped, then a load past the end of a truncated file mapped elsewhere must
        // still kill the process with SIGBUS, as it would without the guard.
        if let Some(dir) = std::env::var_os("MODELVET_SIGBUS_CHILD") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::write(dir.join("guarded"), vec![1u8; 8192]).unwrap();
            let guarded = File::open(dir.join("guarded")).unwrap();
            let w = Window::new(&guarded, 0, 8192).unwrap();
            assert!(matches!(w.bytes, Bytes::Mapped { .. }));
            std::fs::write(dir.join("other"), vec![2u8; 8192]).unwrap();
            let other = File::open(dir.join("other")).unwrap();
            // SAFETY: this mapping is meant to fault: that is what the test checks.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&other) }.unwrap();
            std::fs::OpenOptions::new()
                .write(true)
                .open(dir.join("other"))
                .unwrap()
                .set_len(0)
                .unwrap();
            let sum: u64 = map.iter().map(|&b| b as u64).sum();
            // Reached only if the fault was swallowed.
            std::process::exit(if sum == 0 { 3 } else { 4 });
        }
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "hashing::mapped::tests::a_fault_outside_every_window_is_not_swallowed",
                "--test-threads=1",
            ])
            .env("MODELVET_SIGBUS_CHILD", dir.path())
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGBUS),
            "{:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
