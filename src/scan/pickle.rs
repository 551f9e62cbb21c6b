//! Pickle streams: disassembled with a stack simulation, never loaded.
//!
//! Globals are resolved the way CPython's unpickler would resolve them — `STACK_GLOBAL` takes the
//! two strings actually on the stack (through the memo, `DUP`, marks…), not "the two previous
//! opcodes" — so memo confusion and indirectly built operands do not hide an import. Each global is
//! judged against an allow-list modelled on PyTorch's weights-only unpickler; a deny-list (with
//! parent-module inheritance) only decides whether a finding is `critical` or `high`.

use super::{ScanCode, loc};
use crate::finding::Finding;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Most stack entries and memo entries one pickle may create before the scan stops.
const MAX_STACK: usize = 4_000_000;
const MAX_MEMO: usize = 4_000_000;
/// Longer module or attribute names are treated as unresolvable (no real module is this long).
const MAX_NAME: usize = 4096;
/// GET/PUT ratio and DUP count above which a stream is an expansion ("billion laughs") bomb.
const BOMB_GET_RATIO: u64 = 50;
const BOMB_MIN_GETS: u64 = 1000;
const BOMB_DUPS: u64 = 100;
/// How many pickles a legacy `torch.save` file holds before its raw storages.
const LEGACY_TORCH_PICKLES: usize = 5;
/// The byte-level salvage after a parse error looks at this many bytes and candidates at most, so
/// a file of repeated opcode bytes cannot make it quadratic.
const SALVAGE_BYTES: usize = 16 << 20;
const SALVAGE_CANDIDATES: usize = 100_000;

/// What kind of container the stream came from; decides how trailing bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A raw pickle file or archive member: every following pickle is scanned.
    Raw,
    /// Legacy `torch.save`: five pickles, then raw storage bytes.
    LegacyTorch,
}

/// How a global is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allowed,
    NotAllowed,
    Dangerous,
}

/// A stack value, as far as the scanner needs to know it.
#[derive(Debug, Clone)]
enum V {
    Str(Rc<str>),
    /// A class or function imported by GLOBAL/STACK_GLOBAL (index into `globals`).
    Global,
    /// Anything else: numbers, containers, call results.
    Other,
}

/// The unpickler's memo. Picklers number entries 0, 1, 2…, so a vector serves almost every key
/// without hashing; keys far beyond its end go to a map.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<V>>,
    /// Keys at or beyond `dense.len()` only.
    sparse: HashMap<u64, V>,
    /// Distinct keys stored (what MEMOIZE uses as its index).
    len: usize,
}

/// Largest hole the dense memo fills with empty slots to reach a key.
const MEMO_HOLE: u64 = 4096;

impl Memo {
    fn get(&self, k: u64) -> Option<&V> {
        match usize::try_from(k).ok().and_then(|i| self.dense.get(i)) {
            Some(slot) => slot.as_ref(),
            None => self.sparse.get(&k),
        }
    }

    fn insert(&mut self, k: u64, v: V) {
        let n = self.dense.len() as u64;
        let new = if k < n {
            self.dense[k as usize].replace(v).is_none()
        } else if k < n + MEMO_HOLE && k <= MAX_MEMO as u64 + MEMO_HOLE {
            let mut new = true;
            for j in n..=k {
                let moved = if self.sparse.is_empty() {
                    None
                } else {
                    self.sparse.remove(&j)
                };
                if j == k {
                    new = moved.is_none();
                    self.dense.push(Some(v.clone()));
                } else {
                    self.dense.push(moved);
                }
            }
            new
        } else {
            self.sparse.insert(k, v).is_none()
        };
        if new {
            self.len += 1;
        }
    }
}

/// The outcome of scanning one stream.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub findings: Vec<Finding>,
    /// Every distinct global seen, `module.name`, in order of appearance.
    pub globals: Vec<String>,
    /// Set when the scan hit a resource limit or could not parse everything.
    pub incomplete: bool,
}

struct Err {
    pos: usize,
    msg: String,
}

fn err(pos: usize, msg: impl Into<String>) -> Err {
    Err {
        pos,
        msg: msg.into(),
    }
}

/// Scans `data` (a whole stream, possibly several concatenated pickles).
/// `rel` names the file and `member` the archive member, for findings.
pub(crate) fn scan(data: &[u8], kind: Kind, rel: &str, member: Option<&str>) -> Report {
    scan_as(data, kind, rel, member, false)
}

/// Like [`scan`], for a TorchScript archive's pickles, whose `__torch__` classes are compiled
/// from the archive's own code (judged separately) rather than imported.
pub(crate) fn scan_torchscript(data: &[u8], rel: &str, member: Option<&str>) -> Report {
    scan_as(data, Kind::Raw, rel, member, true)
}

/// Opcodes a stream must parse before it breaks to count as a pickle with no import in it.
const SNIFF_OPS: usize = 16;

/// Whether `data` is a pickle, judged by its bytes alone: the unpickler accepts any opcode first
/// (no PROTO needed), so a stream that parses to STOP, imports something before it breaks, runs
/// on to the end of `data`, or parses many opcodes is one, whatever the file is called.
pub(crate) fn sniff(data: &[u8]) -> bool {
    if data.len() < 2 {
        return false;
    }
    let mut s = Scanner::new("", None, false);
    match s.run(data, 0) {
        Ok(end) => end >= 2,
        Err(e) => {
            // An import the unpickler could perform: both names Python identifiers (text such
            // as "import torch" or "id,name" reads as INST of names no module has).
            let imported = s.report.globals.iter().any(|g| dotted_ident(g));
            let ran_out = e.pos >= data.len()
                || e.msg.contains("past the end")
                || e.msg.contains("no end of line");
            imported || s.ops >= SNIFF_OPS || (ran_out && s.ops >= 3)
        }
    }
}

/// Whether `s` is a dotted Python identifier (`os.system`, `torch._utils._rebuild_tensor`).
fn dotted_ident(s: &str) -> bool {
    s.split('.').all(|part| {
        let mut c = part.chars();
        c.next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
    })
}

fn scan_as(data: &[u8], kind: Kind, rel: &str, member: Option<&str>, torchscript: bool) -> Report {
    let mut s = Scanner::new(rel, member, torchscript);
    let mut pos = 0usize;
    let mut n = 0usize;
    while pos < data.len() {
        if kind == Kind::LegacyTorch && n == LEGACY_TORCH_PICKLES {
            break;
        }
        // A protocol 0/1 pickle has no PROTO header; after the first pickle, only a stream that
        // parses counts as another pickle, and junk after the last one is reported, not scanned.
        let trailing = n > 0 && data[pos] != 0x80;
        match s.run(data, pos) {
            Ok(end) => {
                pos = end;
                n += 1;
            }
            Err(e) if trailing && e.pos <= pos + 1 => {
                s.report.findings.push(
                    Finding::new(
                        &ScanCode::PickleTrailingData,
                        format!(
                            "{} bytes after the last pickle are not a pickle",
                            data.len() - pos
                        ),
                    )
                    .at(rel)
                    .with_evidence(loc(member, pos)),
                );
                break;
            }
            Err(e) => {
                if !(s.joblib && n == 0) {
                    s.report.findings.push(
                        Finding::new(
                            &ScanCode::PickleMalformed,
                            format!("the pickle stream breaks: {}", e.msg),
                        )
                        .at(rel)
                        .with_evidence(loc(member, e.pos)),
                    );
                }
                s.salvage(&data[e.pos.min(data.len())..], e.pos);
                break;
            }
        }
    }
    s.report
}

struct Scanner<'a> {
    rel: &'a str,
    member: Option<&'a str>,
    report: Report,
    seen: HashSet<String>,
    /// The stream uses joblib's array wrapper: raw array bytes interrupt the opcodes by design.
    joblib: bool,
    /// TorchScript archives name their compiled classes `__torch__.…`; those are not imports.
    torchscript: bool,
    /// Opcodes read so far (the byte sniffer's measure of "parses as a pickle").
    ops: usize,
}

fn line(data: &[u8], p: usize) -> Result<(&[u8], usize), Err> {
    let rest = data.get(p..).ok_or_else(|| err(p, "truncated"))?;
    match memchr::memchr(b'\n', rest) {
        Some(i) => Ok((&rest[..i], p + i + 1)),
        None => Err(err(p, "a text argument has no end of line")),
    }
}

fn take(data: &[u8], p: usize, n: usize) -> Result<(&[u8], usize), Err> {
    let end = p
        .checked_add(n)
        .filter(|&e| e <= data.len())
        .ok_or_else(|| err(p, format!("an argument of {n} bytes runs past the end")))?;
    Ok((&data[p..end], end))
}

/// How a GET or PUT writes its memo key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    Text,
    Byte,
    Long,
}

impl KeyForm {
    /// The form of opcode `op`, given the opcode of the text form and of the one-byte form.
    fn of(op: u8, text: u8, byte: u8) -> KeyForm {
        if op == text {
            KeyForm::Text
        } else if op == byte {
            KeyForm::Byte
        } else {
            KeyForm::Long
        }
    }
}

/// The memo key of a GET or PUT: a decimal line (protocol 0), one byte (`BIN…`) or four
/// little-endian bytes (`LONG_BIN…`). Returns the key and the position after it.
fn memo_key(
    data: &[u8],
    p: usize,
    form: KeyForm,
    at: usize,
    what: &str,
) -> Result<(u64, usize), Err> {
    if form == KeyForm::Text {
        let (l, np) = line(data, p)?;
        let key = std::str::from_utf8(l)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| err(at, format!("{what} with a bad memo key")))?;
        Ok((key, np))
    } else if form == KeyForm::Byte {
        let (b, np) = take(data, p, 1)?;
        Ok((b[0] as u64, np))
    } else {
        let (b, np) = take(data, p, 4)?;
        Ok((le(b), np))
    }
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | x as u64)
}

fn text(b: &[u8]) -> V {
    if b.len() > MAX_NAME {
        return V::Other;
    }
    match std::str::from_utf8(b) {
        Ok(s) => V::Str(Rc::from(s)),
        Err(_) => V::Other,
    }
}

/// The content of a protocol-0 `STRING` argument: a quoted Python literal (the unpickler refuses
/// anything else).
fn quoted(b: &[u8]) -> Option<V> {
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    if b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0] {
        Some(text(&b[1..b.len() - 1]))
    } else {
        None
    }
}

/// Whether a protocol-0 INT, LONG or FLOAT argument is something `int()`/`float()` accept.
fn numeric(b: &[u8]) -> bool {
    let t = b.trim_ascii();
    if t.is_empty() {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    let start = lower
        .iter()
        .take_while(|c| **c == b'+' || **c == b'-')
        .count();
    if matches!(&lower[start..], b"inf" | b"infinity" | b"nan") {
        return true;
    }
    t.iter().any(u8::is_ascii_digit)
        && t.iter()
            .all(|c| c.is_ascii_digit() || b"+-._eEL".contains(c))
}

/// The unpickler's state while one pickle runs: stack, marks, memo, and the memo counters.
#[derive(Default)]
struct Vm {
    stack: Vec<V>,
    marks: Vec<usize>,
    memo: Memo,
    gets: u64,
    puts: u64,
    dups: u64,
}

impl Vm {
    /// The stack length below which the current mark forbids popping.
    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }
    fn need(&self, at: usize) -> Result<(), Err> {
        if self.stack.len() <= self.floor() {
            return Err(err(at, "stack underflow"));
        }
        Ok(())
    }
    fn pop(&mut self, at: usize) -> Result<V, Err> {
        self.need(at)?;
        self.stack.pop().ok_or_else(|| err(at, "stack underflow"))
    }
    fn top(&self, at: usize) -> Result<V, Err> {
        self.need(at)?;
        self.stack
            .last()
            .cloned()
            .ok_or_else(|| err(at, "stack underflow"))
    }
    fn pop_mark(&mut self, at: usize) -> Result<Vec<V>, Err> {
        let m = self
            .marks
            .pop()
            .ok_or_else(|| err(at, "no MARK on the stack"))?;
        Ok(self.stack.split_off(m.min(self.stack.len())))
    }
    fn is_bomb(&self) -> bool {
        self.dups > BOMB_DUPS
            || (self.gets >= BOMB_MIN_GETS && self.gets > BOMB_GET_RATIO * self.puts.max(1))
    }
}

impl<'a> Scanner<'a> {
    fn new(rel: &'a str, member: Option<&'a str>, torchscript: bool) -> Scanner<'a> {
        Scanner {
            rel,
            member,
            report: Report::default(),
            seen: HashSet::new(),
            joblib: false,
            torchscript,
            ops: 0,
        }
    }

    /// Runs one pickle from `start` to its STOP; returns the offset after it.
    fn run(&mut self, data: &[u8], start: usize) -> Result<usize, Err> {
        let mut vm = Vm::default();
        let mut bomb_reported = false;
        let mut p = start;
        loop {
            if vm.stack.len() > MAX_STACK || vm.memo.len > MAX_MEMO {
                self.report.incomplete = true;
                self.push(
                    Finding::new(
                        &ScanCode::PickleResourceLimit,
                        format!(
                            "the pickle builds more than {MAX_STACK} stack or memo entries; scanning stopped"
                        ),
                    )
                    .with_evidence(loc(self.member, p)),
                );
                return Ok(data.len());
            }
            if !bomb_reported && vm.is_bomb() {
                bomb_reported = true;
                let (gets, puts, dups) = (vm.gets, vm.puts, vm.dups);
                self.push(
                    Finding::new(
                        &ScanCode::PickleExpansionBomb,
                        format!(
                            "the pickle re-uses memo entries {gets} times for {puts} stored ({dups} DUP): an expansion bomb"
                        ),
                    )
                    .with_evidence(loc(self.member, p)),
                );
            }
            let at = p;
            let op = *data
                .get(p)
                .ok_or_else(|| err(p, "the stream ends before STOP"))?;
            p += 1;
            self.ops += 1;
            p = match op {
                b'.' => return Ok(p),
                b'(' | b'0' | b'1' | b'2' | 0x80 | 0x95 | 0x97 | 0x98 => {
                    self.op_control(&mut vm, data, op, at, p)?
                }
                b'F' | b'I' | b'L' | b'J' | b'K' | b'M' | b'G' | b'N' | 0x88 | 0x89 | b'}'
                | b']' | b')' | 0x8f | b'P' => self.op_number(&mut vm, data, op, at, p)?,
                b'S' | b'T' | b'U' | 0x8c | b'V' | b'X' | 0x8d | b'B' | 0x8e | 0x96 | b'C'
                | 0x8a | 0x8b => self.op_string(&mut vm, data, op, at, p)?,
                b'g' | b'h' | b'j' | b'p' | b'q' | b'r' | 0x94 => {
                    self.op_memo(&mut vm, data, op, at, p)?
                }
                b'c' | b'i' | 0x82..=0x84 | 0x93 => self.op_import(&mut vm, data, op, at, p)?,
                _ => {
                    self.op_build(&mut vm, op, at)?;
                    p
                }
            };
        }
    }

    /// Marks, POP, DUP, PROTO, FRAME and the out-of-band buffer opcodes.
    fn op_control(
        &mut self,
        vm: &mut Vm,
        data: &[u8],
        op: u8,
        at: usize,
        mut p: usize,
    ) -> Result<usize, Err> {
        match op {
            b'(' => vm.marks.push(vm.stack.len()),
            b'0' => {
                if vm.stack.len() > vm.marks.last().copied().unwrap_or(0) {
                    vm.stack.pop();
                } else if vm.marks.pop().is_none() {
                    return Err(err(at, "stack underflow"));
                }
            }
            b'1' => {
                vm.pop_mark(at)?;
            }
            b'2' => {
                vm.dups += 1;
                let v = vm.top(at)?;
                vm.stack.push(v);
            }
            0x80 => {
                let (v, np) = take(data, p, 1)?;
                p = np;
                if v[0] > 5 {
                    return Err(err(at, format!("unsupported protocol {}", v[0])));
                }
            }
            0x95 => p = take(data, p, 8)?.1,
            0x97 => vm.stack.push(V::Other),
            0x98 => {
                vm.need(at)?;
            }
            other => return Err(err(at, format!("unknown opcode 0x{other:02x}"))),
        }
        Ok(p)
    }
    /// Numbers, booleans, None, empty containers and persistent ids: values the scan does not track.
    fn op_number(
        &mut self,
        vm: &mut Vm,
        data: &[u8],
        op: u8,
        at: usize,
        mut p: usize,
    ) -> Result<usize, Err> {
        match op {
            b'F' | b'I' | b'L' => {
                let (l, np) = line(data, p)?;
                if !numeric(l) {
                    return Err(err(at, "a text number is not a number"));
                }
                p = np;
                vm.stack.push(V::Other);
            }
            b'J' => {
                p = take(data, p, 4)?.1;
                vm.stack.push(V::Other);
            }
            b'K' => {
                p = take(data, p, 1)?.1;
                vm.stack.push(V::Other);
            }
            b'M' => {
                p = take(data, p, 2)?.1;
                vm.stack.push(V::Other);
            }
            b'G' => {
                p = take(data, p, 8)?.1;
                vm.stack.push(V::Other);
            }
            b'N' | 0x88 | 0x89 | b'}' | b']' | b')' | 0x8f => vm.stack.push(V::Other),
            b'P' => {
                p = line(data, p)?.1;
                vm.stack.push(V::Other);
            }
            other => return Err(err(at, format!("unknown opcode 0x{other:02x}"))),
        }
        Ok(p)
    }
    /// Strings (kept, for imports) and bytes (skipped).
    fn op_string(
        &mut self,
        vm: &mut Vm,
        data: &[u8],
        op: u8,
        at: usize,
        mut p: usize,
    ) -> Result<usize, Err> {
        match op {
            b'S' => {
                let (l, np) = line(data, p)?;
                p = np;
                vm.stack
                    .push(quoted(l).ok_or_else(|| err(at, "a STRING argument is not quoted"))?);
            }
            b'T' => {
                let (n, np) = take(data, p, 4)?;
                let n = i32::from_le_bytes(n.try_into().expect("4 bytes"));
                if n < 0 {
                    return Err(err(at, "negative string length"));
                }
                let (s, np) = take(data, np, n as usize)?;
                p = np;
                vm.stack.push(text(s));
            }
            b'U' | 0x8c => {
                let (n, np) = take(data, p, 1)?;
                let (s, np) = take(data, np, n[0] as usize)?;
                p = np;
                vm.stack.push(text(s));
            }
            b'V' => {
                let (l, np) = line(data, p)?;
                p = np;
                vm.stack.push(text(l));
            }
            b'X' => {
                let (n, np) = take(data, p, 4)?;
                let (s, np) = take(data, np, le(n) as usize)?;
                p = np;
                vm.stack.push(text(s));
            }
            0x8d => {
                let (n, np) = take(data, p, 8)?;
                let (s, np) = take(data, np, usize::try_from(le(n)).unwrap_or(usize::MAX))?;
                p = np;
                vm.stack.push(text(s));
            }
            b'B' | 0x8e | 0x96 | b'C' | 0x8a | 0x8b => {
                let w = match op {
                    b'C' | 0x8a => 1,
                    b'B' | 0x8b => 4,
                    _ => 8,
                };
                let (n, np) = take(data, p, w)?;
                let n = if op == 0x8b {
                    let v = i32::from_le_bytes(n.try_into().expect("4 bytes"));
                    if v < 0 {
                        return Err(err(at, "negative length"));
                    }
                    v as u64
                } else {
                    le(n)
                };
                p = take(data, np, usize::try_from(n).unwrap_or(usize::MAX))?.1;
                vm.stack.push(V::Other);
            }
            other => return Err(err(at, format!("unknown opcode 0x{other:02x}"))),
        }
        Ok(p)
    }
    /// Opcodes that build containers and objects or call what is on the stack.
    fn op_build(&mut self, vm: &mut Vm, op: u8, at: usize) -> Result<(), Err> {
        match op {
            b'Q' => {
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            b'R' => {
                vm.pop(at)?;
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            b'a' => {
                vm.pop(at)?;
                vm.need(at)?;
            }
            b'e' | 0x90 => {
                vm.pop_mark(at)?;
                vm.need(at)?;
            }
            b'b' => {
                vm.pop(at)?;
                if let V::Global = vm.top(at)? {
                    self.push(
                        Finding::new(
                            &ScanCode::PickleGlobalMutated,
                            "the pickle applies BUILD to an imported class or function, rewriting its attributes",
                        )
                        .with_evidence(loc(self.member, at)),
                    );
                }
            }
            b'o' => {
                let items = vm.pop_mark(at)?;
                if items.is_empty() {
                    return Err(err(at, "OBJ without a class"));
                }
                vm.stack.push(V::Other);
            }
            b'd' | b'l' | b't' | 0x91 => {
                vm.pop_mark(at)?;
                vm.stack.push(V::Other);
            }
            0x85 => {
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            0x86 => {
                vm.pop(at)?;
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            0x87 => {
                vm.pop(at)?;
                vm.pop(at)?;
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            b's' => {
                vm.pop(at)?;
                vm.pop(at)?;
                vm.need(at)?;
            }
            b'u' => {
                vm.pop_mark(at)?;
                vm.need(at)?;
            }
            0x81 => {
                vm.pop(at)?;
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            0x92 => {
                vm.pop(at)?;
                vm.pop(at)?;
                vm.pop(at)?;
                vm.stack.push(V::Other);
            }
            other => return Err(err(at, format!("unknown opcode 0x{other:02x}"))),
        }
        Ok(())
    }
    /// Memo reads and writes; counted for the expansion-bomb check.
    fn op_memo(
        &mut self,
        vm: &mut Vm,
        data: &[u8],
        op: u8,
        at: usize,
        mut p: usize,
    ) -> Result<usize, Err> {
        match op {
            b'g' | b'h' | b'j' => {
                let (key, np) = memo_key(data, p, KeyForm::of(op, b'g', b'h'), at, "GET")?;
                p = np;
                vm.gets += 1;
                match vm.memo.get(key) {
                    Some(v) => vm.stack.push(v.clone()),
                    None => {
                        self.push(
                            Finding::new(
                                &ScanCode::PickleMemoUndefined,
                                format!(
                                    "the pickle reads memo entry {key}, which was never stored"
                                ),
                            )
                            .with_evidence(loc(self.member, at)),
                        );
                        vm.stack.push(V::Other);
                    }
                }
            }
            b'p' | b'q' | b'r' | 0x94 => {
                let key = if op == 0x94 {
                    // MEMOIZE takes the next free key.
                    vm.memo.len as u64
                } else {
                    let (key, np) = memo_key(data, p, KeyForm::of(op, b'p', b'q'), at, "PUT")?;
                    p = np;
                    key
                };
                vm.puts += 1;
                let v = vm.top(at)?;
                vm.memo.insert(key, v);
            }
            other => return Err(err(at, format!("unknown opcode 0x{other:02x}"))),
        }
        Ok(p)
    }
    /// GLOBAL, INST, STACK_GLOBAL and the extension registry: every import is judged.
    fn op_import(
        &mut self,
        vm: &mut Vm,
        data: &[u8],
        op: u8,
        at: usize,
        mut p: usize,
    ) -> Result<usize, Err> {
        match op {
            b'c' => {
                let (m, np) = line(data, p)?;
                let (n, np) = line(data, np)?;
                p = np;
                self.global(text(m), text(n), at);
                vm.stack.push(V::Global);
            }
            b'i' => {
                let (m, np) = line(data, p)?;
                let (n, np) = line(data, np)?;
                p = np;
                self.global(text(m), text(n), at);
                vm.pop_mark(at)?;
                vm.stack.push(V::Other);
            }
            0x82..=0x84 => {
                let w = [1, 2, 4][(op - 0x82) as usize];
                let (b, np) = take(data, p, w)?;
                p = np;
                let msg = format!("extension code {}", le(b));
                self.unresolved(&msg, at);
                vm.stack.push(V::Global);
            }
            0x93 => {
                let name = vm.pop(at)?;
                let module = vm.pop(at)?;
                self.global(module, name, at);
                vm.stack.push(V::Global);
            }
            other => return Err(err(at, format!("unknown opcode 0x{other:02x}"))),
        }
        Ok(p)
    }

    fn push(&mut self, f: Finding) {
        self.report.findings.push(f.at(self.rel));
    }

    fn global(&mut self, module: V, name: V, at: usize) {
        match (module, name) {
            (V::Str(m), V::Str(n)) => self.named(&m, &n, at, false),
            (m, n) => {
                let show = |v: &V| match v {
                    V::Str(s) => format!("`{s}`"),
                    V::Global => "an imported object".to_string(),
                    V::Other => "a computed value".to_string(),
                };
                self.unresolved(&format!("module {}, name {}", show(&m), show(&n)), at);
            }
        }
    }

    fn unresolved(&mut self, what: &str, at: usize) {
        self.push(
            Finding::new(
                &ScanCode::PickleGlobalUnresolved,
                format!(
                    "the pickle imports a global whose name cannot be resolved statically ({what})"
                ),
            )
            .with_evidence(loc(self.member, at)),
        );
    }

    fn named(&mut self, module: &str, name: &str, at: usize, salvaged: bool) {
        let full = format!("{module}.{name}");
        if module.contains('\n') || name.contains('\n') || !self.seen.insert(full.clone()) {
            return;
        }
        self.report.globals.push(full.clone());
        if full == "joblib.numpy_pickle.NumpyArrayWrapper" {
            self.joblib = true;
        }
        let how = if salvaged {
            " (found in bytes after the stream broke)"
        } else {
            ""
        };
        let verdict = if self.torchscript && torchscript_class(module, name) {
            Verdict::Allowed
        } else {
            classify(module, name)
        };
        match verdict {
            Verdict::Allowed => {}
            Verdict::Dangerous => self.push(
                Finding::new(
                    &ScanCode::PickleGlobalDangerous,
                    format!("the pickle imports `{full}`, which can run code or touch the system when loaded{how}"),
                )
                .with_evidence(loc(self.member, at)),
            ),
            Verdict::NotAllowed => self.push(
                Finding::new(
                    &ScanCode::PickleGlobalNotAllowed,
                    format!("the pickle imports `{full}`, which is outside the weights-only allow-list{how}"),
                )
                .with_evidence(loc(self.member, at)),
            ),
        }
    }

    /// After a parse error, looks through the remaining bytes for import opcodes: a payload placed
    /// after junk (or after joblib's raw arrays) still counts.
    fn salvage(&mut self, rest: &[u8], base: usize) {
        if rest.len() > SALVAGE_BYTES {
            self.report.incomplete = true;
        }
        let rest = &rest[..rest.len().min(SALVAGE_BYTES)];
        let ident = |b: &[u8]| {
            !b.is_empty()
                && b.len() <= 256
                && (b[0].is_ascii_alphabetic() || b[0] == b'_')
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        };
        let mut hits: Vec<(String, String, usize)> = Vec::new();
        // GLOBAL / INST: `c` or `i`, then `module\nname\n`.
        for i in memchr::memchr2_iter(b'c', b'i', rest).take(SALVAGE_CANDIDATES) {
            let Some(a) = rest
                .get(i + 1..)
                .and_then(|r| memchr::memchr(b'\n', &r[..r.len().min(258)]))
            else {
                continue;
            };
            let m = &rest[i + 1..i + 1 + a];
            let from = i + 2 + a;
            let Some(b) = rest
                .get(from..)
                .and_then(|r| memchr::memchr(b'\n', &r[..r.len().min(258)]))
            else {
                continue;
            };
            let n = &rest[from..from + b];
            if ident(m) && ident(n) {
                hits.push((
                    String::from_utf8_lossy(m).into_owned(),
                    String::from_utf8_lossy(n).into_owned(),
                    base + i,
                ));
            }
        }
        // STACK_GLOBAL preceded by two short strings (each optionally memoized).
        let short_before = |end: usize| -> Option<(&[u8], usize)> {
            for len in 1..=255usize.min(end.saturating_sub(2)) {
                let start = end - len - 2;
                if rest[start] == 0x8c && rest[start + 1] as usize == len {
                    let s = &rest[start + 2..end];
                    if ident(s) {
                        return Some((s, start));
                    }
                }
            }
            None
        };
        for i in memchr::memchr_iter(0x93, rest).take(SALVAGE_CANDIDATES) {
            let mut end = i;
            if end > 0 && rest[end - 1] == 0x94 {
                end -= 1;
            }
            let Some((n, s)) = short_before(end) else {
                continue;
            };
            let mut end = s;
            if end > 0 && rest[end - 1] == 0x94 {
                end -= 1;
            }
            let Some((m, _)) = short_before(end) else {
                continue;
            };
            hits.push((
                String::from_utf8_lossy(m).into_owned(),
                String::from_utf8_lossy(n).into_owned(),
                base + i,
            ));
        }
        for (m, n, at) in hits {
            self.named(&m, &n, at, true);
        }
    }
}

/// Names a TorchScript archive's pickles use for its own compiled classes and TorchScript's
/// rebuild helpers; their code is in the archive's `code/` and is judged there.
fn torchscript_class(module: &str, name: &str) -> bool {
    let compiled = module == "__torch__" || module.starts_with("__torch__.");
    let helper = module == "torch.jit._pickle"
        && matches!(
            name,
            "build_intlist"
                | "build_tensorlist"
                | "build_doublelist"
                | "build_boollist"
                | "build_tensor_from_id"
                | "restore_type_tag"
        );
    (compiled && !name.contains("__")) || helper
}

/// Python 2 spellings that the unpickler maps to their Python 3 modules.
fn py3_module(module: &str) -> &str {
    match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        "cPickle" => "pickle",
        "commands" => "subprocess",
        _ => module,
    }
}

const TORCH_UTILS: &[&str] = &[
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_qtensor",
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage",
    "_rebuild_wrapper_subclass",
    "_rebuild_device_tensor_from_numpy",
    "_rebuild_device_tensor_from_cpu_tensor",
    "_rebuild_nested_tensor",
];

const TORCH_TOP: &[&str] = &[
    "Size",
    "Tensor",
    "device",
    "UntypedStorage",
    // dtypes
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "complex32",
    "chalf",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    "quint8",
    "qint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e5m2",
    "float8_e4m3fn",
    "float8_e5m2fnuz",
    "float8_e4m3fnuz",
    "float8_e8m0fnu",
    "float4_e2m1fn_x2",
    "bits8",
    "bits16",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "uint1",
    "uint2",
    "uint3",
    "uint4",
    "uint5",
    "uint6",
    "uint7",
    "int1",
    "int2",
    "int3",
    "int4",
    "int5",
    "int6",
    "int7",
    // layouts, memory formats, quantisation schemes
    "strided",
    "sparse_coo",
    "sparse_csr",
    "sparse_csc",
    "sparse_bsr",
    "sparse_bsc",
    "_mkldnn",
    "jagged",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "per_tensor_affine",
    "per_channel_affine",
    "per_tensor_symmetric",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

const TORCH_KINDS: &[&str] = &[
    "Double",
    "Float",
    "Half",
    "Long",
    "Int",
    "Short",
    "Char",
    "Byte",
    "Bool",
    "BFloat16",
    "ComplexDouble",
    "ComplexFloat",
    "QUInt8",
    "QInt8",
    "QInt32",
    "QUInt4x2",
    "QUInt2x4",
];

/// Exact `module.name` pairs that only rebuild data (PyTorch's weights-only set, plus the numpy and
/// joblib constructors that array pickles use).
const ALLOWED: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "Counter"),
    ("torch.nn.parameter", "Parameter"),
    ("torch.serialization", "_get_layout"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("_codecs", "encode"),
    ("builtins", "bytearray"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    // numpy 2's protocol-5 array pickles (the default from Python 3.14)
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
];

/// Modules dangerous as a whole (and every submodule).
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "nt",
    "posix",
    "posixpath",
    "ntpath",
    "sys",
    "subprocess",
    "_posixsubprocess",
    "runpy",
    "importlib",
    "imp",
    "marshal",
    "pickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "joblib.externals.cloudpickle",
    "shelve",
    "socket",
    "_socket",
    "ssl",
    "shutil",
    "pty",
    "pdb",
    "bdb",
    "asyncio",
    "ctypes",
    "_ctypes",
    "webbrowser",
    "requests",
    "httplib",
    "http",
    "urllib",
    "urllib2",
    "aiohttp",
    "ftplib",
    "smtplib",
    "imaplib",
    "poplib",
    "telnetlib",
    "pip",
    "setuptools",
    "distutils",
    "ensurepip",
    "venv",
    "code",
    "codeop",
    "cProfile",
    "profile",
    "timeit",
    "trace",
    "doctest",
    "pydoc",
    "idlelib",
    "lib2to3",
    "pkgutil",
    "multiprocessing",
    "_interpreters",
    "_xxsubinterpreters",
    "concurrent.interpreters",
    "_osx_support",
    "_aix_support",
    "_pyrepl",
    "uuid",
    "test",
    "tempfile",
    "_io",
    "io",
    "numpy.f2py",
    "numpy.testing._private.utils",
    "torch.hub",
    "torch._dynamo",
    "torch._inductor",
    "torch.utils.collect_env",
    "torch.utils.bottleneck",
    "torch.utils.data.datapipes.utils.decoder",
    "torch.jit",
    // importing a scanner is an attempt to switch it off
    "fickling",
    "picklescan",
    "modelscan",
    "modelaudit",
    "model_unpickler",
    "saferpickle",
];

/// Single names that run code or read and write files.
const DANGEROUS_NAMES: &[(&str, &str)] = &[
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "execfile"),
    ("builtins", "compile"),
    ("builtins", "getattr"),
    ("builtins", "setattr"),
    ("builtins", "delattr"),
    ("builtins", "apply"),
    ("builtins", "open"),
    ("builtins", "breakpoint"),
    ("builtins", "__import__"),
    ("builtins", "input"),
    ("builtins", "globals"),
    ("builtins", "locals"),
    ("builtins", "vars"),
    ("builtins", "help"),
    ("builtins", "exit"),
    ("builtins", "quit"),
    ("types", "CodeType"),
    ("types", "FunctionType"),
    ("types", "LambdaType"),
    ("types", "MethodType"),
    ("functools", "partial"),
    ("functools", "reduce"),
    ("operator", "attrgetter"),
    ("operator", "itemgetter"),
    ("operator", "methodcaller"),
    ("_operator", "attrgetter"),
    ("_operator", "itemgetter"),
    ("_operator", "methodcaller"),
    ("logging", "FileHandler"),
    ("copyreg", "_reconstructor"),
    ("torch.serialization", "load"),
    ("torch", "load"),
    (
        "torch.fx.experimental.symbolic_shapes",
        "ShapeEnv.evaluate_guards_expression",
    ),
    ("torch.utils._config_module", "ConfigModule.load_config"),
    ("numpy", "load"),
    ("numpy.lib.npyio", "load"),
];

/// Judges one global: allowed data constructor, known-dangerous, or merely not allowed.
pub(crate) fn classify(module: &str, name: &str) -> Verdict {
    let module = py3_module(module);
    // Dotted names reach attributes of attributes (`os.path`, `Bdb.run`): judge the first hop too.
    let first = name.split('.').next().unwrap_or(name);
    let danger_module = DANGEROUS_MODULES.iter().any(|d| {
        module == *d
            || module
                .strip_prefix(d)
                .is_some_and(|rest| rest.starts_with('.'))
    });
    if danger_module
        || DANGEROUS_NAMES
            .iter()
            .any(|(m, n)| *m == module && (*n == name || *n == first))
        || name.contains("__")
            && !(module == "torch._utils" || module == "torch._tensor")
            && name != "__builtin__"
    {
        return Verdict::Dangerous;
    }
    if name.contains('.') {
        return Verdict::NotAllowed;
    }
    let allowed = ALLOWED.iter().any(|(m, n)| *m == module && *n == name)
        || (module == "torch._utils" && TORCH_UTILS.contains(&name))
        || (module == "torch" && TORCH_TOP.contains(&name))
        || (module == "torch"
            && TORCH_KINDS.iter().any(|k| {
                name.strip_prefix(k)
                    .is_some_and(|rest| rest == "Storage" || rest == "Tensor")
            }));
    if allowed {
        Verdict::Allowed
    } else {
        Verdict::NotAllowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            classify("torch._utils", "_rebuild_tensor_v2"),
            Verdict::Allowed
        );
        assert_eq!(classify("torch", "FloatStorage"), Verdict::Allowed);
        assert_eq!(classify("torch", "BFloat16Storage"), Verdict::Allowed);
        assert_eq!(classify("collections", "OrderedDict"), Verdict::Allowed);
        assert_eq!(classify("__builtin__", "set"), Verdict::Allowed);
        assert_eq!(classify("os", "system"), Verdict::Dangerous);
        assert_eq!(classify("posix", "system"), Verdict::Dangerous);
        assert_eq!(
            classify("asyncio.unix_events", "_UnixSubprocessTransport"),
            Verdict::Dangerous
        );
        assert_eq!(classify("__builtin__", "eval"), Verdict::Dangerous);
        assert_eq!(classify("bdb", "Bdb.run"), Verdict::Dangerous);
        assert_eq!(classify("osmosis", "x"), Verdict::NotAllowed);
        assert_eq!(
            classify("sklearn.linear_model", "LogisticRegression"),
            Verdict::NotAllowed
        );
        assert_eq!(classify("numpy", "__builtins__"), Verdict::Dangerous);
        assert_eq!(
            classify("collections", "OrderedDict.__init__"),
            Verdict::Dangerous
        );
    }
}
