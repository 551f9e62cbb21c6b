//! The scan corpus: hand-assembled model files (pickles, zips, safetensors, GGUF, ONNX, Keras,
//! chat templates) written by code, each with what the scanner must say about it. Never unpickled.
//! `scripts/bench-scan` writes it to disk through `scan::write_corpus_for_bench`.

#![allow(dead_code)]

use std::path::Path;

mod evasions;

/// What the scanner must report for a case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// No findings at all.
    Clean,
    /// At least one finding with this code.
    Code(&'static str),
}

/// One file (or a file plus companions) of the corpus.
pub struct Case {
    /// Path relative to the corpus root; the file the expectation is about.
    pub path: String,
    pub bytes: Vec<u8>,
    pub expect: Vec<Expect>,
    /// Whether the case is a pickle-bearing file (counted in the pickle benchmark).
    pub pickle: bool,
    /// Extra files written beside it (path, bytes), e.g. shards or external data.
    pub extra: Vec<(String, Vec<u8>)>,
    /// Symlinks (link path, target) created beside it.
    pub links: Vec<(String, String)>,
}

fn case(path: &str, bytes: Vec<u8>, expect: &[Expect]) -> Case {
    Case {
        path: path.to_string(),
        bytes,
        expect: expect.to_vec(),
        pickle: false,
        extra: Vec::new(),
        links: Vec::new(),
    }
}

fn pk(path: &str, bytes: Vec<u8>, expect: &[Expect]) -> Case {
    Case {
        pickle: true,
        ..case(path, bytes, expect)
    }
}

use Expect::{Clean, Code};
const DANGEROUS: Expect = Code("pickle-global-dangerous");

// ---------------------------------------------------------------- pickles

/// A small pickler: emits opcodes the way CPython's pickler does for the chosen protocol.
pub struct P {
    pub b: Vec<u8>,
    proto: u8,
    memo: u32,
}

impl P {
    pub fn new(proto: u8) -> P {
        let mut b = vec![0x80, proto];
        if proto >= 4 {
            // FRAME with a length the scanner does not need to trust.
            b.push(0x95);
            b.extend(0u64.to_le_bytes());
        }
        P { b, proto, memo: 0 }
    }
    pub fn op(&mut self, bytes: &[u8]) -> &mut Self {
        self.b.extend_from_slice(bytes);
        self
    }
    pub fn put(&mut self) -> u32 {
        let i = self.memo;
        self.memo += 1;
        if self.proto >= 4 {
            self.b.push(0x94);
        } else if i < 256 {
            self.b.extend([b'q', i as u8]);
        } else {
            self.b.push(b'r');
            self.b.extend(i.to_le_bytes());
        }
        i
    }
    pub fn get(&mut self, i: u32) -> &mut Self {
        if i < 256 {
            self.b.extend([b'h', i as u8]);
        } else {
            self.b.push(b'j');
            self.b.extend(i.to_le_bytes());
        }
        self
    }
    /// A string, memoized.
    pub fn s(&mut self, s: &str) -> u32 {
        if self.proto >= 4 && s.len() < 256 {
            self.b.extend([0x8c, s.len() as u8]);
        } else {
            self.b.push(b'X');
            self.b.extend((s.len() as u32).to_le_bytes());
        }
        self.b.extend_from_slice(s.as_bytes());
        self.put()
    }
    /// A global: GLOBAL below protocol 4, STACK_GLOBAL from 4; memoized.
    pub fn g(&mut self, m: &str, n: &str) -> u32 {
        if self.proto >= 4 {
            self.s(m);
            self.s(n);
            self.b.push(0x93);
        } else {
            self.b.push(b'c');
            self.b.extend_from_slice(format!("{m}\n{n}\n").as_bytes());
        }
        self.put()
    }
    pub fn int(&mut self, v: u32) -> &mut Self {
        if v < 256 {
            self.b.extend([b'K', v as u8]);
        } else {
            self.b.push(b'J');
            self.b.extend(v.to_le_bytes());
        }
        self
    }
    pub fn finish(&mut self) -> Vec<u8> {
        self.b.push(b'.');
        std::mem::take(&mut self.b)
    }
}

/// A `torch.save` state dict (`OrderedDict` of `_rebuild_tensor_v2` tensors with BINPERSID storages).
pub fn state_dict(proto: u8, tensors: &[(&str, &[u32])]) -> Vec<u8> {
    let mut p = P::new(proto);
    let od = p.g("collections", "OrderedDict");
    p.op(b")R");
    p.put();
    p.op(b"(");
    let (mut rebuild, mut storage) = (None, None);
    for (i, (name, shape)) in tensors.iter().enumerate() {
        p.s(name);
        match rebuild {
            Some(r) => {
                p.get(r);
            }
            None => rebuild = Some(p.g("torch._utils", "_rebuild_tensor_v2")),
        }
        p.op(b"((");
        p.s("storage");
        match storage {
            Some(s) => {
                p.get(s);
            }
            None => storage = Some(p.g("torch", "FloatStorage")),
        }
        p.s(&i.to_string());
        p.s("cpu");
        p.int(shape.iter().product());
        p.op(b"t");
        p.put();
        p.op(b"Q");
        p.int(0);
        p.op(b"(");
        for d in *shape {
            p.int(*d);
        }
        p.op(b"t");
        p.put();
        p.op(b"(");
        let mut stride = 1;
        let mut strides = Vec::new();
        for d in shape.iter().rev() {
            strides.push(stride);
            stride *= d;
        }
        for s in strides.iter().rev() {
            p.int(*s);
        }
        p.op(b"t");
        p.put();
        p.op(&[0x89]);
        p.get(od);
        p.op(b")R");
        p.put();
        p.op(b"t");
        p.put();
        p.op(b"R");
        p.put();
    }
    p.op(b"u}");
    p.put();
    p.s("_metadata");
    p.get(od);
    p.op(b")R");
    p.put();
    p.op(b"(");
    p.s("");
    p.op(b"}");
    p.put();
    p.s("version");
    p.int(1);
    p.op(b"su");
    p.op(b"sb");
    p.finish()
}

/// `module.name("id")` called through REDUCE.
pub fn call(proto: u8, m: &str, n: &str) -> Vec<u8> {
    let mut p = P::new(proto);
    p.g(m, n);
    p.s("id");
    p.op(&[0x85, b'R']);
    p.finish()
}

fn raw(s: &[u8]) -> Vec<u8> {
    s.to_vec()
}

/// Legacy `torch.save`: magic, protocol, sys info, the object, storage keys, raw storage bytes.
fn legacy_torch(object: Vec<u8>) -> Vec<u8> {
    let mut b = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.".to_vec();
    b.extend(b"\x80\x02M\xe9\x03.");
    b.extend(b"\x80\x02}q\x00(X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03X\x0d\x00\x00\x00little_endianq\x02\x88u.");
    b.extend(object);
    b.extend(b"\x80\x02]q\x00X\x01\x00\x00\x000q\x01a.");
    b.extend(1u64.to_le_bytes());
    b.extend(16u64.to_le_bytes());
    // Raw float bytes that happen to look like opcodes: must not be read as a pickle.
    b.extend(b"\x80\x02cos\nsystem\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    b
}

fn npy(descr: &str, body: &[u8]) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    b.extend(body);
    b
}

// ---------------------------------------------------------------- zip

/// CRC-32 (IEEE), bitwise: small and obviously right.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A zip member and the ways a test may tamper with it.
#[derive(Clone, Default)]
pub struct Member {
    pub name: String,
    pub data: Vec<u8>,
    pub local_name: Option<String>,
    pub flags: u16,
    pub deflate: bool,
    pub crc: Option<u32>,
    pub declared_size: Option<u32>,
}

pub fn m(name: &str, data: Vec<u8>) -> Member {
    Member {
        name: name.into(),
        data,
        ..Default::default()
    }
}

pub fn zip(members: &[Member]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for mem in members {
        let stored = if mem.deflate {
            let mut e =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&mem.data).unwrap();
            e.finish().unwrap()
        } else {
            mem.data.clone()
        };
        let crc = mem.crc.unwrap_or_else(|| crc32(&mem.data));
        let size = mem.declared_size.unwrap_or(mem.data.len() as u32);
        let method: u16 = if mem.deflate { 8 } else { 0 };
        let local_name = mem.local_name.clone().unwrap_or_else(|| mem.name.clone());
        let offset = out.len() as u32;
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(mem.flags.to_le_bytes());
        out.extend(method.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend(crc.to_le_bytes());
        out.extend((stored.len() as u32).to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend((local_name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(local_name.as_bytes());
        out.extend(&stored);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(mem.flags.to_le_bytes());
        central.extend(method.to_le_bytes());
        central.extend([0u8; 4]);
        central.extend(crc.to_le_bytes());
        central.extend((stored.len() as u32).to_le_bytes());
        central.extend(size.to_le_bytes());
        central.extend((mem.name.len() as u16).to_le_bytes());
        central.extend([0u8; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(mem.name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_off.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A `torch.save` zip archive around `data_pkl`.
pub fn torch_zip(data_pkl: Vec<u8>) -> Vec<u8> {
    zip(&[
        m("archive/data.pkl", data_pkl),
        m("archive/byteorder", b"little".to_vec()),
        m(
            "archive/data/0",
            vec![
                0x80, 0x02, 0xff, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            ],
        ),
        m("archive/version", b"3\n".to_vec()),
    ])
}

// ---------------------------------------------------------------- safetensors

pub fn st(header: &str, data_len: usize) -> Vec<u8> {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend(header.as_bytes());
    b.extend(vec![0u8; data_len]);
    b
}

fn st_raw_len(n: u64, rest: &[u8]) -> Vec<u8> {
    let mut b = n.to_le_bytes().to_vec();
    b.extend(rest);
    b
}

// ---------------------------------------------------------------- GGUF

/// A GGUF writer with knobs for every field the validator checks.
pub struct G {
    pub magic: [u8; 4],
    pub version: u32,
    pub kv: Vec<u8>,
    pub n_kv: u64,
    pub tensors: Vec<u8>,
    pub n_tensors: u64,
    pub alignment: u64,
    pub data_len: u64,
}

fn gs(s: &str) -> Vec<u8> {
    let mut b = (s.len() as u64).to_le_bytes().to_vec();
    b.extend(s.as_bytes());
    b
}

impl G {
    pub fn new() -> G {
        let mut g = G {
            magic: *b"GGUF",
            version: 3,
            kv: Vec::new(),
            n_kv: 0,
            tensors: Vec::new(),
            n_tensors: 0,
            alignment: 32,
            data_len: 0,
        };
        g.kv_str("general.architecture", "llama");
        g
    }
    pub fn kv(&mut self, key: &str, ty: u32, value: &[u8]) -> &mut Self {
        self.kv.extend(gs(key));
        self.kv.extend(ty.to_le_bytes());
        self.kv.extend(value);
        self.n_kv += 1;
        self
    }
    pub fn kv_str(&mut self, key: &str, v: &str) -> &mut Self {
        self.kv(key, 8, &gs(v))
    }
    pub fn tensor(&mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.tensors.extend(gs(name));
        self.tensors.extend((dims.len() as u32).to_le_bytes());
        for d in dims {
            self.tensors.extend(d.to_le_bytes());
        }
        self.tensors.extend(ty.to_le_bytes());
        self.tensors.extend(offset.to_le_bytes());
        self.n_tensors += 1;
        self
    }
    pub fn build(&self) -> Vec<u8> {
        let mut b = self.magic.to_vec();
        b.extend(self.version.to_le_bytes());
        b.extend(self.n_tensors.to_le_bytes());
        b.extend(self.n_kv.to_le_bytes());
        b.extend(&self.kv);
        b.extend(&self.tensors);
        while !(b.len() as u64).is_multiple_of(self.alignment) {
            b.push(0);
        }
        b.extend(vec![0u8; self.data_len as usize]);
        b
    }
}

/// A valid GGUF: an F32 [8] tensor and a Q4_0 [32, 2] tensor (2 blocks of 18 bytes).
pub fn gguf_ok() -> G {
    let mut g = G::new();
    g.tensor("a.weight", &[8], 0, 0)
        .tensor("b.weight", &[32, 2], 2, 32);
    g.data_len = 32 + 36;
    g
}

// ---------------------------------------------------------------- ONNX

fn pb_len(field: u64, body: &[u8]) -> Vec<u8> {
    let mut b = varint(field << 3 | 2);
    b.extend(varint(body.len() as u64));
    b.extend(body);
    b
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut b = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            b.push(byte);
            return b;
        }
        b.push(byte | 0x80);
    }
}

/// A ModelProto whose one initializer keeps its data at `location`.
pub fn onnx_external(location: &str) -> Vec<u8> {
    let mut entry = pb_len(1, b"location");
    entry.extend(pb_len(2, location.as_bytes()));
    let mut tensor = pb_len(8, b"w");
    tensor.extend(pb_len(13, &entry));
    tensor.extend([14 << 3, 1]);
    let mut graph = pb_len(5, &tensor);
    graph.extend(pb_len(2, b"g"));
    let mut model = vec![0x08, 8];
    model.extend(pb_len(7, &graph));
    model
}

// ---------------------------------------------------------------- templates

pub const LLAMA3_TEMPLATE: &str = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

pub(crate) fn tokenizer_config(template: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "bos_token": "<|begin_of_text|>",
        "chat_template": template,
    }))
    .unwrap()
}

// ---------------------------------------------------------------- the corpus

/// Every case. Paths are unique; folders group cases that need companions.
pub fn corpus() -> Vec<Case> {
    let mut c = Vec::new();
    let sd = [("layer.weight", &[2u32, 2][..]), ("layer.bias", &[2][..])];

    // Benign controls.
    c.push(pk("benign/state_dict_p2.pkl", state_dict(2, &sd), &[Clean]));
    c.push(pk("benign/state_dict_p4.pkl", state_dict(4, &sd), &[Clean]));
    c.push(pk(
        "benign/torch_zip_p2.bin",
        torch_zip(state_dict(2, &sd)),
        &[Clean],
    ));
    c.push(pk(
        "benign/torch_zip_p4.pt",
        torch_zip(state_dict(4, &sd)),
        &[Clean],
    ));
    c.push(pk(
        "benign/legacy.pt",
        legacy_torch(state_dict(2, &sd)),
        &[Clean],
    ));
    c.push(case("benign/floats.npy", npy("<f8", &[0u8; 16]), &[Clean]));
    c.push(case(
        "benign/tokenizer_config.json",
        tokenizer_config(LLAMA3_TEMPLATE),
        &[Clean],
    ));
    c.push(case(
        "benign/config.json",
        br#"{"architectures": ["BertModel"], "model_type": "bert"}"#.to_vec(),
        &[Clean],
    ));
    c.push(case("benign/model.gguf", gguf_ok().build(), &[Clean]));
    {
        let mut g = gguf_ok();
        g.kv_str("tokenizer.chat_template", LLAMA3_TEMPLATE);
        c.push(case("benign/llama3-template.gguf", g.build(), &[Clean]));
    }
    for (name, header, len) in [
        (
            "two",
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[8,16]}}"#,
            16,
        ),
        ("zero-tensors", "{}", 0),
        (
            "scalar",
            r#"{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,
            4,
        ),
        (
            "zero-dim",
            r#"{"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"s":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}"#,
            1,
        ),
        (
            "empty-metadata",
            r#"{"__metadata__":{},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
            1,
        ),
        (
            "padded",
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}       "#,
            1,
        ),
    ] {
        c.push(case(
            &format!("benign/st-{name}.safetensors"),
            st(header, len),
            &[Clean],
        ));
    }
    {
        let mut k = case(
            "benign/onnx/model.onnx",
            onnx_external("weights.bin"),
            &[Clean],
        );
        k.extra
            .push(("benign/onnx/weights.bin".into(), vec![0u8; 16]));
        c.push(k);
    }

    // Malicious pickles: dangerous imports.
    let danger: &[(&str, &str, u8)] = &[
        ("os", "system", 2),
        ("posix", "system", 2),
        ("nt", "system", 4),
        ("builtins", "eval", 4),
        ("__builtin__", "exec", 2),
        ("builtins", "getattr", 4),
        ("builtins", "__import__", 2),
        ("subprocess", "Popen", 2),
        ("runpy", "_run_code", 4),
        ("pip", "main", 2),
        ("importlib", "import_module", 4),
        ("marshal", "loads", 2),
        ("bdb", "Bdb.run", 4),
        ("asyncio.unix_events", "_UnixSubprocessTransport", 4),
        ("operator", "methodcaller", 2),
        ("_io", "FileIO", 2),
        ("types", "CodeType", 2),
        ("cloudpickle.cloudpickle", "_make_function", 4),
        ("pickle", "loads", 2),
        ("_pickle", "loads", 4),
        ("torch.serialization", "load", 2),
        ("_interpreters", "create", 4),
        ("fickling", "load", 4),
        ("webbrowser", "open", 2),
        ("socket", "create_connection", 2),
        ("shutil", "rmtree", 4),
        ("timeit", "timeit", 2),
        ("numpy.f2py", "crackfortran", 4),
        ("ssl", "get_server_certificate", 2),
        ("pydoc", "pipepager", 2),
    ];
    for (mo, n, proto) in danger {
        c.push(pk(
            &format!("evil/{mo}.{n}.p{proto}.pkl"),
            call(*proto, mo, n),
            &[DANGEROUS],
        ));
    }
    {
        // functools.partial(os.system, "id")()
        let mut p = P::new(2);
        p.g("functools", "partial");
        p.g("os", "system");
        p.s("id");
        p.op(&[0x86, b'R', b')', b'R']);
        c.push(pk("evil/partial-os-system.pkl", p.finish(), &[DANGEROUS]));
    }
    c.push(pk(
        "evil/not-allowed.pkl",
        call(2, "mypkg.evil", "Thing"),
        &[Code("pickle-global-not-allowed")],
    ));

    // Evasion.
    {
        // Memo confusion: BINPUT 0 holds "torch._utils" but MEMOIZE (memo[len]) stores "os" at 1,
        // and a later BINPUT overwrites 0; STACK_GLOBAL must see the real strings.
        let mut b = vec![0x80, 4];
        b.extend([0x8c, 12]);
        b.extend(b"torch._utils");
        b.extend([b'q', 1, b'0']); // BINPUT 1 = torch._utils, POP
        b.extend([0x8c, 2]);
        b.extend(b"os");
        b.extend([0x94]); // MEMOIZE: memo[len=1]... overwrites 1 with "os"
        b.extend([b'0', 0x8c, 6]);
        b.extend(b"system");
        b.extend([b'q', 0, b'0']);
        b.extend([b'h', 1, b'h', 0, 0x93]);
        b.extend([0x8c, 2]);
        b.extend(b"id");
        b.extend([0x85, b'R', b'.']);
        c.push(pk("evasion/memo-confusion.pkl", b, &[DANGEROUS]));
    }
    {
        let mut b = vec![0x80, 4, b'h', 7, 0x8c, 6];
        b.extend(b"system");
        b.extend([0x93, b'.']);
        c.push(pk(
            "evasion/get-undefined.pkl",
            b,
            &[
                Code("pickle-global-unresolved"),
                Code("pickle-memo-undefined"),
            ],
        ));
    }
    {
        // numpy.prod.a = "os" via BUILD, then getattr(numpy.prod, "a") feeds STACK_GLOBAL.
        let mut p = P::new(4);
        let prod = p.g("numpy", "prod");
        p.op(b"}");
        p.s("a");
        p.s("os");
        p.op(b"sb0");
        p.g("builtins", "getattr");
        p.get(prod);
        p.s("a");
        p.op(&[0x86, b'R']);
        p.s("system");
        p.op(&[0x93]);
        p.s("id");
        p.op(&[0x85, b'R']);
        c.push(pk(
            "evasion/numpy-prod-build.pkl",
            p.finish(),
            &[
                Code("pickle-global-mutated"),
                Code("pickle-global-unresolved"),
            ],
        ));
    }
    {
        // ShadowPickle: an allow-listed name overwritten through BUILD.
        let mut p = P::new(2);
        p.g("collections", "OrderedDict");
        p.op(b"}");
        p.s("__reduce__");
        p.g("os", "system");
        p.op(b"sb.");
        c.push(pk(
            "evasion/overwrite-allowlisted.pkl",
            p.b.clone(),
            &[Code("pickle-global-mutated")],
        ));
    }
    {
        let mut b = call(2, "os", "system");
        b.pop(); // no STOP
        b.extend(b"\xfe\xfe garbage");
        c.push(pk(
            "evasion/broken-after-payload.pkl",
            b,
            &[DANGEROUS, Code("pickle-malformed")],
        ));
    }
    {
        let mut b = state_dict(2, &sd);
        b.extend(call(4, "os", "system"));
        c.push(pk("evasion/second-pickle.pkl", b, &[DANGEROUS]));
    }
    {
        let mut b = state_dict(2, &sd);
        b.extend(b"cos\nsystem\n(S'id'\ntR.");
        c.push(pk("evasion/second-pickle-protocol0.pkl", b, &[DANGEROUS]));
    }
    {
        // joblib: a NumpyArrayWrapper, raw array bytes inline, then the payload.
        let mut p = P::new(4);
        p.g("joblib.numpy_pickle", "NumpyArrayWrapper");
        p.op(b")\x81}");
        p.s("order");
        p.s("C");
        p.op(b"sb");
        let mut b = p.b.clone();
        b.extend([
            0xff, 0xfe, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0xff, 0xff, 0xff, 0x7f,
        ]);
        b.extend([0x8c, 5]);
        b.extend(b"posix");
        b.push(0x94);
        b.extend([0x8c, 6]);
        b.extend(b"system");
        b.extend([0x94, 0x93, 0x94, 0x8c, 2]);
        b.extend(b"id");
        b.extend([0x85, b'R', b'.']);
        c.push(pk("evasion/joblib-after-array.joblib", b, &[DANGEROUS]));
    }
    {
        // The "magic number" pickle of a legacy file replaced by a REDUCE.
        let mut b = call(2, "os", "system");
        b.extend(b"\x80\x02M\xe9\x03.");
        b.extend(state_dict(2, &sd));
        c.push(pk("evasion/legacy-magic-reduce.pt", b, &[DANGEROUS]));
    }
    c.push(pk(
        "evasion/legacy-payload.pt",
        legacy_torch(call(2, "posix", "system")),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/model.bin",
        call(2, "os", "system"),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/config.p",
        call(4, "os", "system"),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/weights.safetensors",
        call(2, "os", "system"),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/protocol0.pkl",
        raw(b"cos\nsystem\n(S'id'\ntR."),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/inst.pkl",
        raw(b"(S'id'\nios\nsystem\n."),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/ext1.pkl",
        raw(b"\x80\x02\x82\x01)R."),
        &[Code("pickle-global-unresolved")],
    ));
    {
        let mut b = vec![0x80, 2, b']', b'q', 0];
        for _ in 0..2000 {
            b.extend([b'h', 0]);
        }
        b.extend(b"0".repeat(2000));
        b.push(b'.');
        c.push(pk(
            "evasion/get-bomb.pkl",
            b,
            &[Code("pickle-expansion-bomb")],
        ));
    }
    {
        let mut b = vec![0x80, 2, b']'];
        b.extend(b"2".repeat(500));
        b.extend(b"0".repeat(500));
        b.push(b'.');
        c.push(pk(
            "evasion/dup-bomb.pkl",
            b,
            &[Code("pickle-expansion-bomb")],
        ));
    }
    c.push(pk(
        "evasion/object-array.npy",
        npy("|O", &call(2, "os", "system")),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/f8-holding-pickle.npy",
        npy("<f8", &call(2, "os", "system")),
        &[DANGEROUS, Code("npy-pickle-data")],
    ));
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&call(4, "os", "system")).unwrap();
        c.push(pk(
            "evasion/compressed.joblib",
            e.finish().unwrap(),
            &[DANGEROUS],
        ));
    }

    // Archives.
    c.push(pk(
        "zip/payload.pt",
        torch_zip(call(2, "os", "system")),
        &[DANGEROUS],
    ));
    {
        let b = zip(&[
            m("archive/data.pkl", state_dict(2, &sd)),
            m("archive/extra", call(4, "subprocess", "run")),
        ]);
        c.push(pk("zip/unnamed-member.pt", b, &[DANGEROUS]));
    }
    {
        let mut evil = m("archive/data.pkl", call(2, "os", "system"));
        evil.local_name = Some("archive/data.txt".into());
        c.push(pk(
            "zip/name-mismatch.pt",
            zip(&[evil]),
            &[Code("archive-name-mismatch"), DANGEROUS],
        ));
    }
    {
        let mut evil = m("archive/data.pkl", call(2, "os", "system"));
        evil.flags = 1;
        c.push(pk(
            "zip/flag-bits.pt",
            zip(&[evil]),
            &[Code("archive-header-tampered"), DANGEROUS],
        ));
    }
    {
        let mut evil = m("archive/data.pkl", call(2, "os", "system"));
        evil.crc = Some(0xdead_beef);
        c.push(pk(
            "zip/bad-crc.pt",
            zip(&[evil]),
            &[Code("archive-header-tampered"), DANGEROUS],
        ));
    }
    {
        let mut enc = m(
            "archive/data.pkl",
            vec![
                0x17, 0x99, 0x42, 0x00, 0x13, 0x37, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
            ],
        );
        enc.flags = 1;
        c.push(pk("zip/password.pt", zip(&[enc]), &[Code("not-scanned")]));
    }
    {
        let mut bomb = m("archive/data.pkl", vec![b'N'; 8 << 20]);
        bomb.deflate = true;
        bomb.declared_size = Some(1000);
        c.push(pk(
            "zip/expansion.pt",
            zip(&[bomb]),
            &[Code("archive-expansion-limit")],
        ));
    }
    {
        let a = m("archive/data.pkl", state_dict(2, &sd));
        let b = m("archive/data.pkl", call(2, "os", "system"));
        c.push(pk(
            "zip/duplicate-member.pt",
            zip(&[a, b]),
            &[Code("archive-duplicate-member"), DANGEROUS],
        ));
    }
    {
        let mut b = b"7z\xbc\xaf\x27\x1c\x00\x04".to_vec();
        b.extend([0u8; 24]);
        c.push(pk("zip/model.7z", b, &[Code("not-scanned")]));
    }
    c.push(pk(
        "zip/truncated.pt",
        torch_zip(state_dict(2, &sd))[..60].to_vec(),
        &[Code("not-scanned")],
    ));
    {
        let mut deflated = m("archive/data.pkl", call(2, "os", "system"));
        deflated.deflate = true;
        c.push(pk("zip/deflated.pt", zip(&[deflated]), &[DANGEROUS]));
    }
    c.push(pk(
        "zip/arrays.npz",
        zip(&[m("a.npy", npy("|O", &call(2, "os", "system")))]),
        &[DANGEROUS],
    ));

    // Keras.
    let lambda_cfg = br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lambda", "function": "4wEAAAAAAAAA"}}]}}"#;
    let keras = |cfg: &[u8]| {
        zip(&[
            m("metadata.json", br#"{"keras_version": "3.5.0"}"#.to_vec()),
            m("config.json", cfg.to_vec()),
            m("model.weights.h5", b"\x89HDF\r\n\x1a\n".to_vec()),
        ])
    };
    c.push(case(
        "keras/lambda.keras",
        keras(lambda_cfg),
        &[Code("keras-lambda-layer")],
    ));
    c.push(case(
        "keras/builtins.keras",
        keras(br#"{"class_name": "Sequential", "config": {"layers": [{"module": "builtins", "class_name": "function", "registered_name": "function", "config": "exec"}]}}"#),
        &[Code("keras-module-not-keras")],
    ));
    c.push(case(
        "keras/unsafe.keras",
        keras(br#"{"class_name": "Functional", "config": {"layers": [{"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization"}]}}"#),
        &[Code("keras-unsafe-deserialization")],
    ));
    {
        let mut h5 = b"\x89HDF\r\n\x1a\n".to_vec();
        h5.extend([0u8; 100]);
        h5.extend(b"model_config");
        h5.extend(r#"{"class_name": "Model", "config": {"layers": [{"class_name": "Lambda", "config": {}}]}}"#.as_bytes());
        c.push(case("keras/lambda.h5", h5, &[Code("keras-lambda-layer")]));
    }

    // ONNX external data.
    for (name, loc) in [
        ("dotdot", "../secret"),
        ("nested", "sub/../../secret"),
        ("absolute", "/etc/passwd"),
    ] {
        c.push(case(
            &format!("onnx/{name}/model.onnx"),
            onnx_external(loc),
            &[Code("onnx-external-data-outside")],
        ));
    }
    {
        let mut k = case(
            "onnx/symlink/model.onnx",
            onnx_external("link.bin"),
            &[Code("onnx-external-data-outside")],
        );
        k.links.push((
            "onnx/symlink/link.bin".into(),
            "../../benign/floats.npy".into(),
        ));
        c.push(k);
    }

    // Chat templates.
    for (name, t) in [
        (
            "subclasses",
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        ),
        ("attr", "{{ messages | attr('__init__') }}"),
        ("include", "{%- include 'secrets.txt' %}"),
    ] {
        c.push(case(
            &format!("template/{name}/tokenizer_config.json"),
            tokenizer_config(t),
            &[Code("template-injection")],
        ));
    }
    c.push(case(
        "template/chat_template.jinja",
        b"{{ cycler.__init__.__globals__.os.popen('id').read() }}".to_vec(),
        &[Code("template-injection")],
    ));

    safetensors_cases(&mut c);
    gguf_cases(&mut c);
    evasions::cases(&mut c);
    c
}

fn safetensors_cases(c: &mut Vec<Case>) {
    let t = |name: &str, b: Vec<u8>, code: &'static str| {
        case(&format!("st/{name}.safetensors"), b, &[Code(code)])
    };
    c.push(t(
        "too-small",
        vec![1, 2, 3, 4, 5],
        "safetensors-header-too-small",
    ));
    c.push(t(
        "n-max",
        st_raw_len(u64::MAX, b"{}"),
        "safetensors-header-too-large",
    ));
    c.push(t(
        "n-100000001",
        st_raw_len(100_000_001, b"{}"),
        "safetensors-header-too-large",
    ));
    c.push(t(
        "n-past-end",
        st_raw_len(1000, b"{\"a\":1}"),
        "safetensors-header-length-invalid",
    ));
    c.push(t(
        "not-utf8",
        st_raw_len(4, b"{\xff\xfe}"),
        "safetensors-header-not-utf8",
    ));
    c.push(t("not-json", st("{abc", 0), "safetensors-header-not-json"));
    c.push(t("array", st("[1, 2]", 0), "safetensors-header-not-object"));
    c.push(t(
        "leading-space",
        st(
            r#" {"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
            1,
        ),
        "safetensors-header-leading-whitespace",
    ));
    c.push(t("dup-identical", st(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1), "safetensors-duplicate-key"));
    c.push(t("dup-differing", st(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, 4), "safetensors-duplicate-key"));
    c.push(t("metadata-number", st(r#"{"__metadata__":{"format":"pt","epoch":3},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1), "safetensors-metadata-not-string"));
    c.push(t(
        "dtype-unknown",
        st(
            r#"{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,2]}}"#,
            2,
        ),
        "safetensors-dtype-unknown",
    ));
    c.push(t(
        "f4-odd",
        st(
            r#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#,
            2,
        ),
        "safetensors-misaligned",
    ));
    c.push(t("gap", st(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#, 3), "safetensors-offset-gap"));
    c.push(t("overlap", st(r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, 3), "safetensors-offset-overlap"));
    c.push(t(
        "first-not-zero",
        st(
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
            2,
        ),
        "safetensors-offset-gap",
    ));
    c.push(t(
        "end-before-begin",
        st(
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[2,1]}}"#,
            2,
        ),
        "safetensors-offset-reversed",
    ));
    c.push(t(
        "size-mismatch",
        st(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
            4,
        ),
        "safetensors-size-mismatch",
    ));
    c.push(t(
        "shape-overflow",
        st(
            r#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#,
            4,
        ),
        "safetensors-shape-overflow",
    ));
    c.push(t(
        "trailing",
        st(
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
            9,
        ),
        "safetensors-trailing-bytes",
    ));
    c.push(t(
        "past-end",
        st(
            r#"{"a":{"dtype":"U8","shape":[64],"data_offsets":[0,64]}}"#,
            8,
        ),
        "safetensors-offset-out-of-bounds",
    ));
    c.push(t(
        "offsets-not-two",
        st(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, 1),
        "safetensors-tensor-invalid",
    ));

    let shard = |names: &[&str]| {
        let mut h = String::from("{");
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                h.push(',');
            }
            h.push_str(&format!(
                r#""{n}":{{"dtype":"F32","shape":[1],"data_offsets":[{},{}]}}"#,
                i * 4,
                i * 4 + 4
            ));
        }
        h.push('}');
        st(&h, names.len() * 4)
    };
    let index = |map: &[(&str, &str)], total: u64| {
        let wm: serde_json::Map<String, serde_json::Value> = map
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        serde_json::to_vec(
            &serde_json::json!({"metadata": {"total_size": total}, "weight_map": wm}),
        )
        .unwrap()
    };
    let s1 = "model-00001-of-00002.safetensors";
    let s2 = "model-00002-of-00002.safetensors";
    {
        let mut k = case(
            "st-index/ok/model.safetensors.index.json",
            index(&[("a", s1), ("b", s2)], 8),
            &[Clean],
        );
        k.extra.push((format!("st-index/ok/{s1}"), shard(&["a"])));
        k.extra.push((format!("st-index/ok/{s2}"), shard(&["b"])));
        c.push(k);
    }
    {
        let mut k = case(
            "st-index/missing/model.safetensors.index.json",
            index(&[("a", s1), ("b", s2)], 8),
            &[Code("safetensors-index-missing-shard")],
        );
        k.extra
            .push((format!("st-index/missing/{s1}"), shard(&["a"])));
        c.push(k);
    }
    {
        let mut k = case(
            "st-index/two-shards/model.safetensors.index.json",
            index(&[("a", s1), ("b", s2)], 12),
            &[Code("safetensors-index-duplicate-tensor")],
        );
        k.extra
            .push((format!("st-index/two-shards/{s1}"), shard(&["a"])));
        k.extra
            .push((format!("st-index/two-shards/{s2}"), shard(&["a", "b"])));
        c.push(k);
    }
    {
        let mut k = case(
            "st-index/total/model.safetensors.index.json",
            index(&[("a", s1), ("b", s2)], 999),
            &[Code("safetensors-index-total-size")],
        );
        k.extra
            .push((format!("st-index/total/{s1}"), shard(&["a"])));
        k.extra
            .push((format!("st-index/total/{s2}"), shard(&["b"])));
        c.push(k);
    }
}

fn gguf_cases(c: &mut Vec<Case>) {
    let mut t = |name: &str, b: Vec<u8>, code: &'static str| {
        c.push(case(&format!("gguf/{name}.gguf"), b, &[Code(code)]))
    };
    let with = |f: &dyn Fn(&mut G)| {
        let mut g = gguf_ok();
        f(&mut g);
        g.build()
    };
    t("bad-magic", with(&|g| g.magic = *b"GGUX"), "gguf-bad-magic");
    {
        let mut b = with(&|_| {});
        b[4..8].copy_from_slice(&3u32.to_be_bytes());
        t("big-endian", b, "gguf-big-endian");
    }
    t("v1", with(&|g| g.version = 1), "gguf-version-unsupported");
    t("v4", with(&|g| g.version = 4), "gguf-version-unsupported");
    t(
        "huge-tensor-count",
        with(&|g| g.n_tensors = u64::MAX / 2),
        "gguf-count-too-large",
    );
    t(
        "huge-kv-count",
        with(&|g| g.n_kv = 1 << 60),
        "gguf-count-too-large",
    );
    {
        let mut g = G::new();
        g.kv("general.name", 8, &[0xff, 0xff, 0, 0, 0, 0, 0, 0, b'x']);
        t("string-too-long", g.build(), "gguf-truncated");
    }
    t(
        "key-empty",
        with(&|g| {
            g.kv("", 4, &1u32.to_le_bytes());
        }),
        "gguf-key-empty",
    );
    t(
        "key-duplicate",
        with(&|g| {
            g.kv_str("general.architecture", "llama");
        }),
        "gguf-key-duplicate",
    );
    {
        let mut nested = 9u32.to_le_bytes().to_vec();
        nested.extend(1u64.to_le_bytes());
        nested.extend(4u32.to_le_bytes());
        nested.extend(2u64.to_le_bytes());
        nested.extend(1u32.to_le_bytes());
        nested.extend(2u32.to_le_bytes());
        t(
            "nested-array",
            with(&|g| {
                g.kv("x.nested", 9, &nested);
            }),
            "gguf-array-nested",
        );
    }
    t(
        "bool-2",
        with(&|g| {
            g.kv("x.flag", 7, &[2]);
        }),
        "gguf-bool-invalid",
    );
    t(
        "value-type-13",
        with(&|g| {
            g.kv("x.bad", 13, &[0; 8]);
        }),
        "gguf-value-type-invalid",
    );
    t(
        "alignment-u64",
        with(&|g| {
            g.kv("general.alignment", 10, &32u64.to_le_bytes());
        }),
        "gguf-alignment-invalid",
    );
    t(
        "alignment-0",
        with(&|g| {
            g.kv("general.alignment", 4, &0u32.to_le_bytes());
        }),
        "gguf-alignment-invalid",
    );
    t(
        "alignment-48",
        with(&|g| {
            g.kv("general.alignment", 4, &48u32.to_le_bytes());
        }),
        "gguf-alignment-invalid",
    );
    {
        let mut g = G::new();
        g.tensor(&"n".repeat(64), &[8], 0, 0);
        g.data_len = 32;
        t("name-64", g.build(), "gguf-tensor-name-too-long");
    }
    {
        let mut g = G::new();
        g.tensor("a", &[8], 0, 0).tensor("a", &[8], 0, 32);
        g.data_len = 64;
        t("dup-tensor", g.build(), "gguf-tensor-name-duplicate");
    }
    let one = |dims: &[u64], ty: u32, offset: u64, data: u64| {
        let mut g = G::new();
        g.tensor("t", dims, ty, offset);
        g.data_len = data;
        g.build()
    };
    t(
        "dims-5",
        one(&[1, 1, 1, 1, 8], 0, 0, 32),
        "gguf-tensor-dims-invalid",
    );
    t(
        "dim-negative",
        one(&[u64::MAX - 7], 0, 0, 32),
        "gguf-tensor-dims-invalid",
    );
    t(
        "count-overflow",
        one(&[1 << 40, 1 << 40], 0, 0, 32),
        "gguf-tensor-size-overflow",
    );
    t("type-4", one(&[32], 4, 0, 32), "gguf-tensor-type-invalid");
    t("type-31", one(&[32], 31, 0, 32), "gguf-tensor-type-invalid");
    t("type-40", one(&[32], 40, 0, 32), "gguf-tensor-type-invalid");
    t("q4-block", one(&[33], 2, 0, 64), "gguf-tensor-shape-block");
    t(
        "offset-misaligned",
        one(&[8], 0, 4, 64),
        "gguf-tensor-offset-misaligned",
    );
    {
        let mut g = G::new();
        g.tensor("a", &[8], 0, 32).tensor("b", &[8], 0, 0);
        g.data_len = 64;
        t("offset-order", g.build(), "gguf-tensor-offset-gap");
    }
    {
        let mut g = G::new();
        g.tensor("a", &[8], 0, 0).tensor("b", &[8], 0, 64);
        g.data_len = 96;
        t("offset-gap", g.build(), "gguf-tensor-offset-gap");
    }
    t(
        "past-eof",
        one(&[1024], 0, 0, 32),
        "gguf-tensor-out-of-bounds",
    );
    for (name, tpl) in [
        ("template-subclasses", "{{ ''.__class__.__subclasses__() }}"),
        ("template-attr", "{{ x|attr('y') }}"),
        ("template-include", "{% include 'x' %}"),
    ] {
        t(
            name,
            with(&|g| {
                g.kv_str("tokenizer.chat_template", tpl);
            }),
            "template-injection",
        );
    }
}

/// Writes the corpus under `root`.
pub fn write(root: &Path) {
    for k in corpus() {
        for (p, b) in
            std::iter::once((&k.path, &k.bytes)).chain(k.extra.iter().map(|(p, b)| (p, b)))
        {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b).unwrap();
        }
        for (link, target) in &k.links {
            let p = root.join(link);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &p).unwrap();
        }
    }
}
