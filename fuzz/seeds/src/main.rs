//! Writes a small seed corpus for every fuzz target under `fuzz/corpus/TARGET/`: valid inputs of
//! each format (so the fuzzer starts deep inside the parsers) and the crafted cases of issue 13.
//! Payload-bearing pickles name their callables but are never run.

use candle_core::quantized::GgmlDType;
use modelvet::runtime::tiny::{self, TinyArch};
use std::io::Write;
use std::path::{Path, PathBuf};

fn out(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    dir
}

fn seed(target: &str, name: &str, data: &[u8]) {
    std::fs::write(out(target).join(name), data).expect("write seed");
}

/// Patches the value of the u32 metadata `key` in a GGUF written by `tiny::write_gguf`.
fn patch_u32(bytes: &mut [u8], key: &str, value: u32) {
    let mut needle = (key.len() as u64).to_le_bytes().to_vec();
    needle.extend_from_slice(key.as_bytes());
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .expect("key in tiny GGUF")
        + needle.len();
    assert_eq!(bytes[at..at + 4], 4u32.to_le_bytes(), "{key} is a u32");
    bytes[at + 4..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn gguf_seeds() -> Vec<(String, Vec<u8>)> {
    let tmp = std::env::temp_dir().join(format!("modelvet-seeds-{}.gguf", std::process::id()));
    let mut seeds = Vec::new();
    for (arch, q) in [("llama", GgmlDType::Q8_0), ("qwen2", GgmlDType::Q4_0)] {
        tiny::write_gguf(&tmp, arch, q).expect("tiny gguf");
        let bytes = std::fs::read(&tmp).expect("read tiny gguf");
        seeds.push((format!("tiny-{arch}.gguf"), bytes.clone()));
        for (key, v) in [
            ("block_count", 1u32 << 30),
            ("attention.head_count", 0),
            ("attention.head_count_kv", 3),
            ("embedding_length", 1 << 31),
        ] {
            let mut b = bytes.clone();
            patch_u32(&mut b, &format!("{arch}.{key}"), v);
            seeds.push((format!("{arch}-{key}-{v}.gguf"), b));
        }
        if arch == "llama" {
            let mut b = bytes.clone();
            patch_u32(&mut b, "llama.rope.dimension_count", 65_536);
            seeds.push(("llama-rope-65536.gguf".into(), b));
        }
    }
    let _ = std::fs::remove_file(&tmp);
    // A header alone, with `general.alignment` = 0 (candle divides by it).
    let mut h = b"GGUF".to_vec();
    h.extend(3u32.to_le_bytes());
    h.extend(0u64.to_le_bytes());
    h.extend(1u64.to_le_bytes());
    h.extend(17u64.to_le_bytes());
    h.extend(b"general.alignment");
    h.extend(4u32.to_le_bytes());
    h.extend(0u32.to_le_bytes());
    seeds.push(("alignment-0.gguf".into(), h));
    seeds
}

fn configs() -> Vec<(String, u8, serde_json::Value)> {
    let mut out = Vec::new();
    for (pick, arch) in [(0u8, TinyArch::Bert), (1, TinyArch::Llama)] {
        let base = tiny::config(arch);
        out.push((format!("{}.json", arch.name()), pick, base.clone()));
        for (key, v) in [
            ("num_attention_heads", serde_json::json!(0)),
            ("num_hidden_layers", serde_json::json!(1u64 << 31)),
            ("hidden_size", serde_json::json!(1u64 << 63)),
            ("max_position_embeddings", serde_json::json!(1u64 << 24)),
        ] {
            let mut c = base.clone();
            c[key] = v.clone();
            out.push((format!("{}-{key}-{v}.json", arch.name()), pick, c));
        }
    }
    out
}

/// A safetensors file of `tensors` (name, dtype, shape), data zero-filled.
fn safetensors(tensors: &[(&str, &str, &[usize])]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, dtype, shape) in tensors {
        let size = if *dtype == "F32" { 4 } else { 2 };
        let n = shape.iter().product::<usize>() * size;
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}),
        );
        offset += n;
    }
    header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
    let mut h = serde_json::to_vec(&header).expect("json");
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut b = (h.len() as u64).to_le_bytes().to_vec();
    b.extend(h);
    b.extend(vec![0u8; offset]);
    b
}

/// Pickles (bytes only; nothing here is ever unpickled).
fn pickles() -> Vec<(&'static str, Vec<u8>)> {
    let mut p4 = vec![0x80, 4, 0x95];
    let body: Vec<u8> = [
        &[0x8c, 8][..],
        b"builtins",
        &[0x94, 0x8c, 4],
        b"eval",
        &[0x94, 0x93, 0x94, 0x8c, 4],
        b"1+1)",
        &[0x85, 0x94, 0x52, 0x94, 0x2e],
    ]
    .concat();
    p4.extend((body.len() as u64).to_le_bytes());
    p4.extend(body);
    vec![
        ("dict-proto2.pkl", b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.".to_vec()),
        ("dict-proto0.pkl", b"(dp0\nVa\np1\nI1\ns.".to_vec()),
        ("global-proto0.pkl", b"cos\nsystem\n(S'true'\ntR.".to_vec()),
        ("stack-global-proto4.pkl", p4),
        ("float-first.pkl", b"F1.5\n.".to_vec()),
    ]
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    for (name, data) in members {
        w.start_file(*name, opts).expect("zip member");
        w.write_all(data).expect("zip data");
    }
    w.finish().expect("zip").into_inner()
}

/// Protobuf helpers for ONNX seeds.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn field_bytes(field: u64, data: &[u8], out: &mut Vec<u8>) {
    varint(field << 3 | 2, out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

fn field_varint(field: u64, v: u64, out: &mut Vec<u8>) {
    varint(field << 3, out);
    varint(v, out);
}

fn onnx(external: bool, domain: &str) -> Vec<u8> {
    let mut node = Vec::new();
    field_bytes(1, b"x", &mut node); // input
    field_bytes(2, b"y", &mut node); // output
    field_bytes(4, b"Relu", &mut node); // op_type
    if !domain.is_empty() {
        field_bytes(7, domain.as_bytes(), &mut node);
    }
    let mut graph = Vec::new();
    field_bytes(1, &node, &mut graph);
    field_bytes(2, b"g", &mut graph);
    if external {
        let mut tensor = Vec::new();
        field_varint(1, 4, &mut tensor); // dims
        field_varint(2, 1, &mut tensor); // data_type FLOAT
        field_bytes(8, b"w", &mut tensor); // name
        let mut kv = Vec::new();
        field_bytes(1, b"location", &mut kv);
        field_bytes(2, b"../../outside.bin", &mut kv);
        field_bytes(13, &kv, &mut tensor); // external_data
        field_varint(14, 1, &mut tensor); // data_location EXTERNAL
        field_bytes(5, &tensor, &mut graph); // initializer
    }
    let mut model = Vec::new();
    field_varint(1, 8, &mut model); // ir_version
    let mut opset = Vec::new();
    field_varint(2, 17, &mut opset);
    field_bytes(8, &opset, &mut model); // opset_import
    field_bytes(7, &graph, &mut model);
    model
}

/// A SavedModel: one meta graph whose graph has the nodes `ops` and a library function that
/// uses the op `fn_op`.
fn saved_model(ops: &[&str], fn_op: &str) -> Vec<u8> {
    let node = |name: &str, op: &str| {
        let mut n = Vec::new();
        field_bytes(1, name.as_bytes(), &mut n);
        field_bytes(2, op.as_bytes(), &mut n);
        n
    };
    let mut graph = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        field_bytes(1, &node(&format!("n{i}"), op), &mut graph);
    }
    let mut sig = Vec::new();
    field_bytes(1, b"f", &mut sig);
    let mut func = Vec::new();
    field_bytes(1, &sig, &mut func); // signature
    field_bytes(3, &node("inner", fn_op), &mut func); // node_def
    let mut library = Vec::new();
    field_bytes(1, &func, &mut library);
    field_bytes(2, &library, &mut graph);
    let mut meta = Vec::new();
    field_bytes(2, &graph, &mut meta); // graph_def
    let mut model = Vec::new();
    field_varint(1, 1, &mut model); // saved_model_schema_version
    field_bytes(2, &meta, &mut model); // meta_graphs
    model
}

fn main() {
    for (name, data) in gguf_seeds() {
        seed("smoke_gguf", &name, &data);
        seed("scan_gguf", &name, &data);
    }
    for (name, pick, config) in configs() {
        let mut data = vec![pick];
        data.extend(serde_json::to_vec_pretty(&config).expect("json"));
        seed("smoke_config", &name, &data);
    }

    let st = safetensors(&[
        ("model.embed_tokens.weight", "F32", &[4, 2]),
        ("model.norm.weight", "BF16", &[2]),
    ]);
    seed("scan_safetensors", "two-tensors.safetensors", &st);
    seed("scan_safetensors", "empty.safetensors", &safetensors(&[]));

    for (name, data) in pickles() {
        seed("scan_pickle", name, &data);
    }
    let torch = zip_of(&[
        ("archive/data.pkl", b"\x80\x02}q\x00."),
        ("archive/version", b"3\n"),
        ("archive/data/0", &[0u8; 16]),
    ]);
    seed("scan_zip", "torch.zip", &torch);
    seed("scan_zip", "nested.zip", &zip_of(&[("inner/model.pt", &torch)]));
    seed(
        "scan_zip",
        "keras.zip",
        &zip_of(&[
            ("metadata.json", br#"{"keras_version": "3.6.0"}"#),
            ("config.json", br#"{"class_name": "Sequential", "config": {"layers": []}}"#),
        ]),
    );

    seed(
        "scan_keras_config",
        "dense.json",
        br#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 4, "activation": "relu"}}]}}"#,
    );
    seed(
        "scan_keras_config",
        "lambda.json",
        br#"{"class_name": "Functional", "config": {"layers": [{"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}}}]}}"#,
    );

    seed("scan_onnx", "relu.onnx", &onnx(false, ""));
    seed("scan_onnx", "external-custom.onnx", &onnx(true, "com.example.custom"));

    seed(
        "scan_savedmodel",
        "ok.pb",
        &saved_model(&["Placeholder", "MatMul", "SaveV2", "RestoreV2"], "Relu"),
    );
    seed(
        "scan_savedmodel",
        "pyfunc.pb",
        &saved_model(&["Placeholder", "PyFunc"], "ReadFile"),
    );

    for (name, t) in [
        (
            "llama3.jinja",
            "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
        ),
        (
            "dunder-join.jinja",
            "{% set a = ['_', '_class_', '_'] | join %}{{ ''[a] }}",
        ),
        ("attr.jinja", "{{ cycler | attr('\\x5f\\x5finit\\x5f\\x5f') }}"),
    ] {
        seed("scan_chat_template", name, t.as_bytes());
    }

    seed(
        "card_front_matter",
        "card.md",
        b"---\nlicense: apache-2.0\nbase_model: acme/base\nmodel_name: tiny\ntags: [test]\n---\n# Tiny\n",
    );
    seed(
        "card_front_matter",
        "anchors.md",
        b"---\nlicense: &l mit\nlicense_name: *l\nbase_model:\n  - a/b\n  - c/d\n---\n",
    );

    seed(
        "mot_yaml",
        "entry.yml",
        b"framework:\n  name: 'Model Openness Framework'\n  version: '1.0'\n  date: '2024-12-15'\nrelease:\n  name: 'open-model'\n  version: '1.0'\n  producer: Example\n  license:\n    distribution:\n      name: 'Apache-2.0'\n      path: ''\n  components:\n    - name: 'Model architecture'\n      description: ''\n    - name: 'Datasets'\n      description: ''\n      license: 'CC-BY-4.0'\n",
    );

    seed(
        "policy",
        "template.yaml",
        include_bytes!("../../../templates/policy.yaml"),
    );
    seed(
        "policy",
        "design.yaml",
        b"version: 1\nlicenses:\n  allow: [Apache-2.0, MIT]\n  exceptions:\n    - { model: acme/special, allow: [CC-BY-NC-4.0] }\nprofile:\n  commercial: true\n  monthly_active_users: 5000000\n  territories: [EU, US]\nopenness:\n  minimum: open-weight\n  mof_class: 3\nchecks:\n  verify: true\n  scan: high\n  smoke: true\n",
    );

    let hex = "a".repeat(64);
    seed(
        "manifest",
        "manifest.yaml",
        format!("version: 1\nalgorithm: sha256\nfiles:\n  - path: model.safetensors\n    size: 16\n    sha256: {hex}\n").as_bytes(),
    );
    seed(
        "manifest",
        "SHA256SUMS",
        format!("{hex}  model.safetensors\n{hex} *config.json\n\\{hex}  we\\nird\n").as_bytes(),
    );

    seed(
        "sidecar",
        "modelvet.yaml",
        b"components:\n  - name: Training code\n    evidence: https://github.com/example/train\n  - name: Datasets\n    license: ODC-By-1.0\n    evidence: https://huggingface.co/datasets/allenai/c4\n",
    );
    println!("seeds written under {}", out("").display());
}
