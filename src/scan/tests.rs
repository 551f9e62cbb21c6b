//! Unit tests for the pickle scanner's stack simulation on hand-assembled streams.

use super::pickle::{Kind, scan};

fn codes(data: &[u8]) -> Vec<String> {
    let mut c: Vec<String> = scan(data, Kind::Raw, "t", None)
        .findings
        .into_iter()
        .map(|f| format!("{}:{}", f.code, f.message))
        .collect();
    c.sort();
    c
}

fn sbu(s: &str) -> Vec<u8> {
    let mut v = vec![0x8c, s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

#[test]
fn stack_global_through_memo_is_resolved() {
    // "os" stored at memo 0 by MEMOIZE, "torch._utils" written over nothing; GET 0 fetches "os".
    let mut p = vec![0x80, 4];
    p.extend(sbu("os"));
    p.push(0x94); // memo[0] = "os"
    p.push(b'0'); // POP
    p.extend(sbu("system"));
    p.extend([b'q', 1]); // BINPUT 1
    p.push(b'0');
    p.extend([b'h', 0, b'h', 1, 0x93]);
    p.extend(sbu("id"));
    p.extend([0x85, b'R', b'.']);
    let c = codes(&p);
    assert!(
        c.iter()
            .any(|c| c.starts_with("pickle-global-dangerous") && c.contains("os.system")),
        "{c:?}"
    );
}

#[test]
fn unresolved_operand_is_critical() {
    let mut p = vec![0x80, 4, b']'];
    p.extend(sbu("system"));
    p.extend([0x93, b'.']);
    let c = codes(&p);
    assert!(
        c.iter().any(|c| c.starts_with("pickle-global-unresolved")),
        "{c:?}"
    );
}

#[test]
fn broken_stream_keeps_finding_and_second_pickle_is_scanned() {
    let mut p = b"\x80\x02cposix\nsystem\nq\x00.".to_vec();
    p.extend(b"\x80\x02cbuiltins\neval\n\xff");
    let c = codes(&p);
    assert!(c.iter().any(|c| c.contains("posix.system")), "{c:?}");
    assert!(c.iter().any(|c| c.contains("builtins.eval")), "{c:?}");
    assert!(c.iter().any(|c| c.starts_with("pickle-malformed")), "{c:?}");
}

#[test]
fn benign_protocol2_globals_are_clean() {
    let p = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x020ctorch\nFloatStorage\nq\x030.";
    let r = scan(p, Kind::Raw, "t", None);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.globals.len(), 3);
}

#[test]
fn salvage_of_opcode_soup_is_bounded() {
    // A broken stream followed by 32 MiB of STACK_GLOBAL and `c` bytes: the salvage pass must stop
    // at its byte and candidate limits rather than try every position.
    let mut p = vec![0x80, 2, 0xff];
    p.extend(std::iter::repeat_n([0x93u8, b'c'], 16 << 20).flatten());
    let r = scan(&p, Kind::Raw, "t", None);
    assert!(r.incomplete);
    assert!(r.findings.iter().any(|f| f.code == "pickle-malformed"));
}

#[test]
fn memo_dense_and_sparse_keys_resolve() {
    // LONG_BINPUT at a far key, BINPUT at 0, then both read back as STACK_GLOBAL operands.
    let mut p = vec![0x80, 4];
    p.extend(sbu("os"));
    p.push(b'r');
    p.extend(1_000_000u32.to_le_bytes());
    p.push(b'0');
    p.extend(sbu("system"));
    p.extend([b'q', 0, b'0', b'j']);
    p.extend(1_000_000u32.to_le_bytes());
    p.extend([b'h', 0, 0x93, b'.']);
    let c = codes(&p);
    assert!(c.iter().any(|c| c.contains("os.system")), "{c:?}");
}

/// Minimized crashers of the cargo-fuzz scan targets (`fuzz/`), committed under
/// `tests/fuzz-regressions/TARGET/`: (path there, the file name the target scans it as, the
/// finding expected). CI builds no fuzzers; this runs them through the same `scan_file`.
const FUZZ_REGRESSIONS: &[(&str, &str, &str)] = &[
    // `{%}`: the closing `%}` was searched from the opening `{%`, so the two shared the `%` and
    // `strip_hf_tags` sliced `[2..1]` (a panic on every template holding `{%}`).
    (
        "scan_chat_template/open-tag-sharing-its-percent.jinja",
        "chat_template.jinja",
        "template-unparsed",
    ),
];

#[test]
fn fuzz_regressions_are_findings_not_panics() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let tmp = tempfile::tempdir().unwrap();
    for (input, name, code) in FUZZ_REGRESSIONS {
        let p = tmp.path().join(name);
        std::fs::copy(root.join(input), &p).unwrap();
        let findings = super::scan_file(&p, name);
        assert!(
            findings.iter().any(|f| f.code == *code),
            "{input}: {findings:?}"
        );
    }
    // Every committed crasher has its expectation here.
    for target in std::fs::read_dir(&root).unwrap() {
        let target = target.unwrap();
        if !target.file_name().to_string_lossy().starts_with("scan_") {
            continue;
        }
        for f in std::fs::read_dir(target.path()).unwrap() {
            let rel = format!(
                "{}/{}",
                target.file_name().to_string_lossy(),
                f.unwrap().file_name().to_string_lossy()
            );
            assert!(
                FUZZ_REGRESSIONS.iter().any(|(i, _, _)| *i == rel),
                "{rel} has no entry in FUZZ_REGRESSIONS"
            );
        }
    }
}
