//! Current (2025–2026) scanner evasions, each written by code: pickles hidden by name or first
//! byte, numpy object arrays in disguise, compression and nesting, Keras 3 code paths, ONNX
//! functions, TensorFlow graph ops, TorchScript calls, chat templates that build dunder names at
//! render time, and structural damage loaders refuse. Benign controls sit beside each category.
//! Every case has a category (the first folder under `evasion/` or `evasion-benign/`).

use super::{Case, Clean, Code, G, P, case, gguf_ok, m, pb_len, st, state_dict, torch_zip, zip};
use std::io::Write;

const DANGEROUS: super::Expect = Code("pickle-global-dangerous");

/// `os.system('id')` as protocol 0 text: GLOBAL, MARK, STRING, TUPLE, REDUCE, STOP.
fn p0_call() -> Vec<u8> {
    b"cos\nsystem\n(S'id'\ntR.".to_vec()
}

/// The same call in protocol 1 binary opcodes (no PROTO header).
fn p1_call() -> Vec<u8> {
    let mut b = b"cos\nsystem\nq\x00(X\x02\x00\x00\x00idq\x01tq\x02R".to_vec();
    b.push(b'.');
    b
}

/// A benign protocol-0 dict `{'a': 1}`.
fn p0_benign() -> Vec<u8> {
    b"(dp0\nS'a'\np1\nI1\ns.".to_vec()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn lzma_alone(data: &[u8]) -> Vec<u8> {
    let opts = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
    let stream = liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap();
    let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn lz4(data: &[u8]) -> Vec<u8> {
    let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

/// A tar archive of (name, bytes) members.
pub fn tarball(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// A `.npy` with a raw header text (for structured and compact headers).
fn npy_header(header: &str, body: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    b.extend(body);
    b
}

/// numpy 2's protocol-5 pickle of a float64 array: `_frombuffer(bytearray, dtype, shape, order)`.
fn numpy2_array() -> Vec<u8> {
    let mut p = P::new(5);
    p.g("numpy._core.numeric", "_frombuffer");
    p.op(b"(");
    p.op(&[0x96]);
    p.op(&16u64.to_le_bytes());
    p.op(&[0u8; 16]);
    p.put();
    p.g("numpy", "dtype");
    p.s("f8");
    p.op(&[0x89, 0x88, 0x87, b'R']);
    p.put();
    // dtype.__setstate__((3, '<', None, None, None, -1, -1, 0))
    p.op(b"(");
    p.int(3);
    p.s("<");
    p.op(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff");
    p.int(0);
    p.op(b"tb");
    p.int(2);
    p.op(&[0x85]);
    p.s("C");
    p.op(b"tR");
    p.finish()
}

fn keras_zip(config: &str) -> Vec<u8> {
    zip(&[
        m(
            "metadata.json",
            br#"{"keras_version": "3.11.3", "date_saved": "2026-01-01@00:00:00"}"#.to_vec(),
        ),
        m("config.json", config.as_bytes().to_vec()),
        m(
            "model.weights.h5",
            b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00".to_vec(),
        ),
    ])
}

fn keras_model(layers: &str) -> String {
    format!(
        r#"{{"module": "keras", "class_name": "Sequential", "config": {{"name": "sequential", "layers": [{layers}]}}, "registered_name": null}}"#
    )
}

const DENSE: &str = r#"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 4, "activation": "relu", "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}}, "registered_name": null}"#;

/// Legacy HDF5 bytes holding `config` as the root's `model_config` attribute text.
fn h5(config: &str) -> Vec<u8> {
    let mut b = b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x08\x08\x00".to_vec();
    b.extend([0u8; 64]);
    b.extend(b"model_config\x00\x00\x00\x00");
    b.extend(config.as_bytes());
    b.extend([0u8; 64]);
    b.extend(b"keras_version\x003.11.3\x00");
    b
}

fn onnx_node(op: &str, domain: &str) -> Vec<u8> {
    let mut n = pb_len(1, b"x");
    n.extend(pb_len(2, b"y"));
    n.extend(pb_len(4, op.as_bytes()));
    if !domain.is_empty() {
        n.extend(pb_len(7, domain.as_bytes()));
    }
    n
}

/// A model whose graph calls `(fdomain, fname)` and defines that function locally, its body
/// holding `body_node`.
fn onnx_with_function(fdomain: &str, fname: &str, body_node: Vec<u8>) -> Vec<u8> {
    let mut graph = pb_len(1, &onnx_node(fname, fdomain));
    graph.extend(pb_len(2, b"g"));
    let mut func = pb_len(1, fname.as_bytes());
    func.extend(pb_len(7, &body_node));
    func.extend(pb_len(10, fdomain.as_bytes()));
    let mut model = vec![0x08, 8];
    model.extend(pb_len(7, &graph));
    model.extend(pb_len(25, &func));
    model
}

/// A node whose attribute holds a tensor with external data at `location`.
fn onnx_node_external(location: &str) -> Vec<u8> {
    let mut entry = pb_len(1, b"location");
    entry.extend(pb_len(2, location.as_bytes()));
    let mut tensor = pb_len(8, b"w");
    tensor.extend(pb_len(13, &entry));
    tensor.extend([14 << 3, 1]);
    let mut attr = pb_len(1, b"value");
    attr.extend(pb_len(5, &tensor));
    let mut n = onnx_node("Constant", "");
    n.extend(pb_len(5, &attr));
    n
}

/// A `saved_model.pb` whose graph holds `ops` and whose function library holds `fn_ops`.
fn saved_model(ops: &[&str], fn_ops: &[&str]) -> Vec<u8> {
    let node = |i: usize, op: &str| {
        let mut n = pb_len(1, format!("n{i}").as_bytes());
        n.extend(pb_len(2, op.as_bytes()));
        n
    };
    let mut graph = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        graph.extend(pb_len(1, &node(i, op)));
    }
    if !fn_ops.is_empty() {
        let mut f = pb_len(1, &pb_len(1, b"__inference_call_42"));
        for (i, op) in fn_ops.iter().enumerate() {
            f.extend(pb_len(3, &node(i, op)));
        }
        graph.extend(pb_len(2, &pb_len(1, &f)));
    }
    let meta = pb_len(2, &graph);
    let mut sm = vec![0x08, 1];
    sm.extend(pb_len(2, &meta));
    sm
}

/// A TorchScript archive whose module's `forward` is `code`.
fn torchscript(code: &str) -> Vec<u8> {
    let mut p = P::new(2);
    p.g("__torch__.Model", "Model");
    p.op(b")\x81");
    p.op(b"}");
    p.s("training");
    p.op(&[0x88]);
    p.op(b"sb");
    let data = p.finish();
    let mut c = P::new(2);
    c.op(b")");
    let constants = c.finish();
    zip(&[
        m("model/data.pkl", data),
        m(
            "model/code/__torch__.py",
            format!("class Model(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n  def forward(self: __torch__.Model,\n    x: Tensor) -> Tensor:\n    {code}\n").into_bytes(),
        ),
        m("model/constants.pkl", constants),
        m("model/version", b"8\n".to_vec()),
    ])
}

fn tokenizer_config(template: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "bos_token": "<s>",
        "chat_template": template,
    }))
    .unwrap()
}

/// Benign templates as vendors ship them.
pub const QWEN25: &str = "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- messages[0]['content'] }}\n    {%- else %}\n        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n    {%- endif %}\n    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n    {%- for tool in tools %}\n        {{- \"\\n\" }}\n        {{- tool | tojson }}\n    {%- endfor %}\n    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n    {%- elif message.role == \"assistant\" %}\n        {{- '<|im_start|>' + message.role }}\n        {%- if message.content %}\n            {{- '\\n' + message.content }}\n        {%- endif %}\n        {%- for tool_call in message.tool_calls %}\n            {%- if tool_call.function is defined %}\n                {%- set tool_call = tool_call.function %}\n            {%- endif %}\n            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n            {{- tool_call.name }}\n            {{- '\", \"arguments\": ' }}\n            {{- tool_call.arguments | tojson }}\n            {{- '}\\n</tool_call>' }}\n        {%- endfor %}\n        {{- '<|im_end|>\\n' }}\n    {%- elif message.role == \"tool\" %}\n        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n            {{- '<|im_start|>user' }}\n        {%- endif %}\n        {{- '\\n<tool_response>\\n' }}\n        {{- message.content }}\n        {{- '\\n</tool_response>' }}\n        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";
pub const GEMMA: &str = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";
pub const MISTRAL: &str = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
pub const PHI3: &str = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";
pub const LLAMA31: &str = "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif %}\n{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n{%- endif %}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if builtin_tools is defined or tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n{%- if builtin_tools is defined %}\n    {{- \"Tools: \" + builtin_tools | reject('equalto', 'code_interpreter') | join(\", \") + \"\\n\\n\"}}\n{%- endif %}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n{%- for message in messages %}\n    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n    {%- elif 'tool_calls' in message %}\n        {%- set tool_call = message.tool_calls[0].function %}\n        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n        {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n        {{- '\"parameters\": ' }}\n        {{- tool_call.arguments | tojson }}\n        {{- \"}\" }}\n        {{- \"<|eot_id|>\" }}\n    {%- else %}\n        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n        {{- message.content | tojson }}\n        {{- \"<|eot_id|>\" }}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n";

/// Chat templates that reach Python internals through names built at render time.
const TEMPLATE_ESCAPES: &[(&str, &str)] = &[
    ("hex-escape", "{{ messages['\\x5f\\x5fclass\\x5f\\x5f'] }}"),
    (
        "unicode-escape",
        "{{ messages['\\u005f\\u005fclass\\u005f\\u005f']['\\u005f\\u005fmro\\u005f\\u005f'] }}",
    ),
    (
        "format",
        "{{ messages[\"%s%sclass%s%s\"|format('_','_','_','_')] }}",
    ),
    (
        "format-c",
        "{{ messages[\"%c%cinit%c%c\"|format(95,95,95,95)] }}",
    ),
    (
        "join",
        "{{ messages[['_','_','glo','bals','_','_']|join] }}",
    ),
    (
        "join-method",
        "{{ messages[''.join(['_','_','class','_','_'])] }}",
    ),
    ("concat", "{{ messages['_' ~ '_cla' ~ 'ss_' ~ '_'] }}"),
    ("plus", "{{ messages['_' + '_class__'] }}"),
    (
        "set",
        "{% set a = '__cl' %}{% set b = a ~ 'ass__' %}{{ messages[b] }}",
    ),
    (
        "set-block",
        "{% set n %}__globals__{% endset %}{{ raise_exception|attr(n) }}",
    ),
    (
        "attr",
        "{{ raise_exception|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}",
    ),
    (
        "attr-dynamic",
        "{{ messages|attr(messages[0]['content']) }}",
    ),
    (
        "str-format",
        "{{ messages['{}{}class{}{}'.format('_','_','_','_')] }}",
    ),
    ("reverse", "{{ messages['__ssalc__'|reverse] }}"),
    (
        "cycler",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ),
    ("include", "{% include '/etc/passwd' %}"),
    (
        "map-attribute",
        "{{ (messages|map(attribute='\\x5f\\x5fclass\\x5f\\x5f')|list)[0] }}",
    ),
    ("selectattr", "{{ messages|selectattr('__class__')|list }}"),
    ("dict-keyword", "{{ dict(__globals__=1)|list|first }}"),
    (
        "format-field",
        "{{ '{0.__class__.__mro__}'.format(messages) }}",
    ),
];

/// Every evasion case and its benign controls.
pub fn cases(c: &mut Vec<Case>) {
    pickles(c);
    numpy(c);
    nesting(c);
    keras(c);
    onnx(c);
    savedmodel(c);
    torchscript_cases(c);
    templates(c);
    structure(c);
}

fn pk(path: &str, bytes: Vec<u8>, expect: &[super::Expect]) -> Case {
    Case {
        pickle: true,
        ..case(path, bytes, expect)
    }
}

fn pickles(c: &mut Vec<Case>) {
    for name in [
        "model.bin",
        "ckpt.pth.tar",
        "model.sav",
        "data.p",
        "weights",
        "notes.txt",
        "archive.tar",
        "config.json",
    ] {
        c.push(pk(
            &format!("evasion/pickle-name/p0-{name}"),
            p0_call(),
            &[DANGEROUS],
        ));
    }
    c.push(pk("evasion/pickle-name/p1.bin", p1_call(), &[DANGEROUS]));
    c.push(pk(
        "evasion/pickle-name/proto1-header.bin",
        [&b"\x80\x01"[..], &p1_call()].concat(),
        &[DANGEROUS],
    ));
    let starts: &[(&str, &[u8])] = &[
        ("float", b"F1.5\n0"),
        ("mark-list", b"(lp0\n0"),
        ("none", b"N0"),
        ("int", b"I42\n0"),
        ("binint", b"J\x01\x00\x00\x000"),
        ("empty-dict", b"}0"),
        ("unicode", b"Vhello\n0"),
        ("mark-pop-mark", b"(1"),
    ];
    for (what, prefix) in starts {
        c.push(pk(
            &format!("evasion/pickle-start/{what}.dat"),
            [*prefix, &p0_call()].concat(),
            &[DANGEROUS],
        ));
    }
    c.push(pk(
        "evasion/pickle-start/inst.bin",
        b"(S'id'\nios\nsystem\n.".to_vec(),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/pickle-start/no-stop",
        b"cos\nsystem\n(S'id'\ntR".to_vec(),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/pickle-start/junk-after",
        [&p0_call()[..], b"\xff\xfe garbage"].concat(),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/pickle-start/subprocess-p1.pkl",
        {
            let mut b =
                b"csubprocess\ncheck_output\nq\x00(]q\x01X\x02\x00\x00\x00idq\x02atq\x03R".to_vec();
            b.push(b'.');
            b
        },
        &[DANGEROUS],
    ));
    // Benign controls: a protocol-0 dict, and text files a model folder holds.
    c.push(pk("evasion-benign/pickle/p0-dict.p", p0_benign(), &[Clean]));
    for (name, text) in [
        (
            "README.md",
            "---\nlicense: mit\n---\n# Model\n\nI love this model.\n",
        ),
        ("vocab.txt", "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\nthe\n"),
        ("merges.txt", "#version: 0.2\nĠ t\nĠ a\n"),
        ("LICENSE", "MIT License\n\nCopyright (c) 2026\n"),
        ("notes.txt", "I love this model\nIt works.\n"),
        (
            "modeling.py",
            "import torch\nclass Model(torch.nn.Module):\n    pass\n",
        ),
        ("data.csv", "id,name\n1,a\n2,b\n"),
        (
            ".gitattributes",
            "*.bin filter=lfs diff=lfs merge=lfs -text\n",
        ),
        ("params.txt", "S learning rate\nN layers\n"),
        ("changes.txt", "(fixed) a bug\nc\n"),
    ] {
        c.push(pk(
            &format!("evasion-benign/text/{name}"),
            text.as_bytes().to_vec(),
            &[Clean],
        ));
    }
}

fn numpy(c: &mut Vec<Case>) {
    let evil = super::call(2, "os", "system");
    c.push(pk(
        "evasion/numpy/structured.npy",
        npy_header(
            "{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (2,), }",
            &evil,
        ),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/numpy/compact.npy",
        npy_header("{'descr':'|O','fortran_order':False,'shape':(2,)}", &evil),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/numpy/double-quoted.npy",
        npy_header(
            "{\"descr\": \"O\", \"fortran_order\": false, \"shape\": [2]}",
            &evil,
        ),
        &[DANGEROUS],
    ));
    c.push(pk("evasion/numpy/no-magic-p0.npy", p0_call(), &[DANGEROUS]));
    c.push(pk(
        "evasion/numpy/object-p0-body.npy",
        npy_header(
            "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
            &p0_call(),
        ),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/numpy/no-magic-p2.npy",
        evil.clone(),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/numpy/npz-structured.npz",
        zip(&[m(
            "arr_0.npy",
            npy_header(
                "{'descr':[('x','<f4'),('y','O')],'fortran_order':False,'shape':(1,)}",
                &evil,
            ),
        )]),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion-benign/numpy/numpy2-p5.pkl",
        numpy2_array(),
        &[Clean],
    ));
    c.push(pk(
        "evasion-benign/numpy/structured-plain.npy",
        npy_header(
            "{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,), }",
            &[0u8; 12],
        ),
        &[Clean],
    ));
}

fn nesting(c: &mut Vec<Case>) {
    let evil = p0_call();
    let evil2 = super::call(4, "os", "system");
    for (name, data) in [
        ("model.pkl.gz", gz(&evil)),
        ("model.joblib", zlib(&evil2)),
        ("model.pkl.bz2", bz2(&evil)),
        ("model.pkl.xz", xz(&evil2)),
        ("model.lzma", lzma_alone(&evil)),
        ("model.lz4", lz4(&evil2)),
        ("model.zst", zst(&evil)),
        ("noext-gz", gz(&evil2)),
    ] {
        c.push(pk(
            &format!("evasion/compressed/{name}"),
            data,
            &[DANGEROUS],
        ));
    }
    c.push(pk(
        "evasion/nested/bundle.tar",
        tarball(&[
            ("README.md", b"# hi\n".to_vec()),
            ("inner/model.pkl", evil.clone()),
        ]),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/nested/bundle.tar.gz",
        gz(&tarball(&[("model.bin", evil2.clone())])),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/nested/bundle.tar.zst",
        zst(&tarball(&[("weights", evil.clone())])),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/nested/torch-in-zip.zip",
        zip(&[m("checkpoints/model.pt", torch_zip(evil2.clone()))]),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/nested/deep.tar",
        tarball(&[(
            "a.gz",
            gz(&zip(&[m(
                "b.tar.xz",
                xz(&tarball(&[("c.pkl", evil.clone())])),
            )])),
        )]),
        &[DANGEROUS],
    ));
    c.push(pk(
        "evasion/nested/zip-member-p0.zip",
        zip(&[m("payload.txt", evil.clone())]),
        &[DANGEROUS],
    ));
    // Nesting beyond the depth limit is reported, not silently dropped.
    let mut onion = evil.clone();
    for _ in 0..10 {
        onion = gz(&onion);
    }
    c.push(pk(
        "evasion/unopenable/too-deep.gz",
        onion,
        &[Code("not-scanned")],
    ));
    // Containers that cannot be opened are not clean.
    let mut broken = gz(&vec![7u8; 4096]);
    let n = broken.len();
    broken.truncate(n / 2);
    c.push(pk(
        "evasion/unopenable/truncated.gz",
        broken,
        &[Code("not-scanned")],
    ));
    c.push(pk(
        "evasion/unopenable/bad.zip",
        b"PK\x03\x04\x14\x00\x00\x00garbage with no directory".to_vec(),
        &[Code("not-scanned")],
    ));
    c.push(pk(
        "evasion/unopenable/bad.xz",
        b"\xfd7zXZ\x00\x00\x04broken".to_vec(),
        &[Code("not-scanned")],
    ));
    let sd = [("w", &[2u32][..])];
    c.push(pk(
        "evasion-benign/compressed/state.pkl.gz",
        gz(&state_dict(2, &sd)),
        &[Clean],
    ));
    c.push(pk(
        "evasion-benign/compressed/state.pkl.zst",
        zst(&state_dict(4, &sd)),
        &[Clean],
    ));
    c.push(pk(
        "evasion-benign/nested/repo.tar",
        tarball(&[
            ("repo/config.json", br#"{"model_type": "bert"}"#.to_vec()),
            ("repo/README.md", b"# A model\n".to_vec()),
            ("repo/pytorch_model.bin", torch_zip(state_dict(2, &sd))),
        ]),
        &[Clean],
    ));
}

fn keras(c: &mut Vec<Case>) {
    let lambda_act = r#"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2, "activation": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAA", "defaults": null, "closure": null}}}}"#;
    c.push(case(
        "evasion/keras/lambda-activation.keras",
        keras_zip(&keras_model(lambda_act)),
        &[Code("keras-marshalled-function")],
    ));
    let fn_init = r#"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_initializer": {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}}"#;
    c.push(case(
        "evasion/keras/function-initializer.keras",
        keras_zip(&keras_model(fn_init)),
        &[Code("keras-module-not-keras")],
    ));
    let legacy = r#"{"class_name": "Dense", "config": {"name": "d", "activation": {"function_type": "lambda", "function": ["4wEAAAAA", null, null]}}}"#;
    c.push(case(
        "evasion/keras/legacy-lambda-activation.keras",
        keras_zip(&keras_model(legacy)),
        &[Code("keras-marshalled-function")],
    ));
    for (class, file) in [
        ("StringLookup", "/etc/passwd"),
        ("IntegerLookup", "/home/user/.ssh/id_rsa"),
    ] {
        let layer = format!(
            r#"{{"module": "keras.layers", "class_name": "{class}", "config": {{"name": "lookup", "vocabulary": "{file}", "num_oov_indices": 1}}, "registered_name": null}}"#
        );
        c.push(case(
            &format!("evasion/keras/{class}.keras"),
            keras_zip(&keras_model(&layer)),
            &[Code("keras-vocabulary-file")],
        ));
    }
    let tfsm = r#"{"module": "keras.layers", "class_name": "TFSMLayer", "config": {"name": "tfsm", "filepath": "/tmp/attacker_savedmodel", "call_endpoint": "serve"}, "registered_name": null}"#;
    c.push(case(
        "evasion/keras/tfsmlayer.keras",
        keras_zip(&keras_model(tfsm)),
        &[Code("keras-external-savedmodel")],
    ));
    let lambda = r#"{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}"#;
    let mut prepended = b"#!/bin/sh\necho not a zip\n".to_vec();
    prepended.extend(vec![0u8; 300]);
    prepended.extend(keras_zip(&keras_model(lambda)));
    c.push(case(
        "evasion/keras/prepended.keras",
        prepended,
        &[Code("keras-lambda-layer")],
    ));
    c.push(case(
        "evasion/keras/config-not-json.keras",
        keras_zip("{\"module\": \"keras\", \"class_name\": "),
        &[Code("keras-config-invalid")],
    ));
    // HDF5: the config text with escapes and odd whitespace; a byte search for `"Lambda"` misses it.
    let escaped = "{ \"class_name\" :\n \"Sequential\", \"config\": {\"layers\": [ {\"class_name\":\t\"Lamb\\u0064a\", \"config\": {\"name\": \"x\", \"function\": [\"4wEAAAAA\", null, null], \"function_type\": \"lambda\"}} ]}}";
    c.push(case(
        "evasion/keras/escaped.h5",
        h5(escaped),
        &[Code("keras-lambda-layer")],
    ));
    let h5_lookup = format!(
        "{{\"class_name\": \"Functional\", \"config\": {{\"layers\": [{}]}}}}",
        r#"{"class_name": "StringLookup", "config": {"name": "s", "vocabulary": "/etc/shadow"}}"#
    );
    c.push(case(
        "evasion/keras/lookup.h5",
        h5(&h5_lookup),
        &[Code("keras-vocabulary-file")],
    ));
    c.push(case(
        "evasion-benign/keras/dense.keras",
        keras_zip(&keras_model(DENSE)),
        &[Clean],
    ));
    let inline_vocab = r#"{"module": "keras.layers", "class_name": "StringLookup", "config": {"name": "s", "vocabulary": ["a", "b"]}, "registered_name": null}"#;
    c.push(case(
        "evasion-benign/keras/inline-vocabulary.keras",
        keras_zip(&keras_model(inline_vocab)),
        &[Clean],
    ));
    c.push(case(
        "evasion-benign/keras/dense.h5",
        h5(&format!(
            "{{\"class_name\": \"Sequential\", \"config\": {{\"layers\": [{DENSE}]}}}}"
        )),
        &[Clean],
    ));
}

fn onnx(c: &mut Vec<Case>) {
    c.push(case(
        "evasion/onnx/custom-op-in-function.onnx",
        onnx_with_function("local.fns", "Block", onnx_node("RunShell", "com.attacker")),
        &[Code("onnx-custom-operator")],
    ));
    c.push(case(
        "evasion/onnx/external-in-function.onnx",
        onnx_with_function(
            "local.fns",
            "Block",
            onnx_node_external("../../../../etc/passwd"),
        ),
        &[Code("onnx-external-data-outside")],
    ));
    // A subgraph (If branch) whose node uses a custom domain.
    let mut sub = pb_len(1, &onnx_node("Evil", "ai.custom"));
    sub.extend(pb_len(2, b"then"));
    let mut attr = pb_len(1, b"then_branch");
    attr.extend(pb_len(6, &sub));
    let mut if_node = onnx_node("If", "");
    if_node.extend(pb_len(5, &attr));
    let mut graph = pb_len(1, &if_node);
    graph.extend(pb_len(2, b"g"));
    let mut model = vec![0x08, 8];
    model.extend(pb_len(7, &graph));
    c.push(case(
        "evasion/onnx/custom-op-in-subgraph.onnx",
        model,
        &[Code("onnx-custom-operator")],
    ));
    c.push(case(
        "evasion/onnx/python-op.onnx",
        onnx_with_function("local.fns", "Block", onnx_node("PythonOp", "com.microsoft")),
        &[Code("onnx-custom-operator")],
    ));
    c.push(case(
        "evasion-benign/onnx/local-function.onnx",
        onnx_with_function("local.fns", "Block", onnx_node("Relu", "")),
        &[Clean],
    ));
    c.push(case(
        "evasion-benign/onnx/contrib-op.onnx",
        onnx_with_function(
            "local.fns",
            "Block",
            onnx_node("FusedMatMul", "com.microsoft"),
        ),
        &[Clean],
    ));
}

fn savedmodel(c: &mut Vec<Case>) {
    c.push(case(
        "evasion/savedmodel/readfile/saved_model.pb",
        saved_model(&["Const", "ReadFile", "Identity"], &[]),
        &[Code("savedmodel-file-op")],
    ));
    c.push(case(
        "evasion/savedmodel/writefile-in-function/saved_model.pb",
        saved_model(&["Const"], &["WriteFile"]),
        &[Code("savedmodel-file-op")],
    ));
    c.push(case(
        "evasion/savedmodel/pyfunc/saved_model.pb",
        saved_model(&["Placeholder"], &["EagerPyFunc"]),
        &[Code("savedmodel-python-op")],
    ));
    c.push(case(
        "evasion/savedmodel/matchingfiles/saved_model.pb",
        saved_model(&["MatchingFiles"], &[]),
        &[Code("savedmodel-file-op")],
    ));
    c.push(case(
        "evasion/savedmodel/in-tar.tar",
        tarball(&[("export/1/saved_model.pb", saved_model(&["PyFunc"], &[]))]),
        &[Code("savedmodel-python-op")],
    ));
    c.push(case(
        "evasion-benign/savedmodel/ok/saved_model.pb",
        saved_model(
            &[
                "Placeholder",
                "Const",
                "MatMul",
                "SaveV2",
                "RestoreV2",
                "StatefulPartitionedCall",
            ],
            &["MatMul", "BiasAdd", "Relu"],
        ),
        &[Clean],
    ));
}

fn torchscript_cases(c: &mut Vec<Case>) {
    c.push(case(
        "evasion/torchscript/from-file.pt",
        torchscript(
            "_0 = torch.from_file(\"/etc/passwd\", False, 4096)\n    return torch.add(x, 1)",
        ),
        &[Code("torchscript-dangerous-call")],
    ));
    c.push(case(
        "evasion/torchscript/save.pt",
        torchscript("torch.save(x, \"/tmp/owned\")\n    return x"),
        &[Code("torchscript-dangerous-call")],
    ));
    c.push(case(
        "evasion/torchscript/load-library.pt",
        torchscript("torch.ops.load_library(\"/tmp/evil.so\")\n    return x"),
        &[Code("torchscript-dangerous-call")],
    ));
    c.push(case(
        "evasion-benign/torchscript/module.pt",
        torchscript("_0 = torch.relu(torch.add(x, 1))\n    return _0"),
        &[Clean],
    ));
}

fn templates(c: &mut Vec<Case>) {
    for (what, t) in TEMPLATE_ESCAPES {
        c.push(case(
            &format!("evasion/template/{what}/tokenizer_config.json"),
            tokenizer_config(t),
            &[Code("template-injection")],
        ));
    }
    let mut g = gguf_ok();
    g.kv_str("tokenizer.chat_template", TEMPLATE_ESCAPES[3].1);
    c.push(case(
        "evasion/template/in-gguf.gguf",
        g.build(),
        &[Code("template-injection")],
    ));
    c.push(case(
        "evasion/template/jinja/chat_template.jinja",
        TEMPLATE_ESCAPES[4].1.as_bytes().to_vec(),
        &[Code("template-injection")],
    ));
    for (vendor, t) in [
        ("llama3", super::LLAMA3_TEMPLATE),
        ("llama3.1", LLAMA31),
        ("qwen2.5", QWEN25),
        ("gemma", GEMMA),
        ("mistral", MISTRAL),
        ("phi3", PHI3),
    ] {
        c.push(case(
            &format!("evasion-benign/template/{vendor}/tokenizer_config.json"),
            tokenizer_config(t),
            &[Clean],
        ));
    }
    c.push(case(
        "evasion-benign/template/mentions/tokenizer_config.json",
        tokenizer_config("{{ 'Do not print __class__ or call os.system.' }}{% for m in messages %}{{ m['content'] }}{% endfor %}"),
        &[Clean],
    ));
}

fn structure(c: &mut Vec<Case>) {
    c.push(case(
        "evasion/structure/metadata-string.safetensors",
        st(
            r#"{"__metadata__":"evil","a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            4,
        ),
        &[Code("safetensors-metadata-not-string")],
    ));
    c.push(case(
        "evasion/structure/metadata-dup.safetensors",
        st(r#"{"__metadata__":{"format":"pt","format":"np"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4),
        &[Code("safetensors-metadata-duplicate-key")],
    ));
    c.push(case(
        "evasion/structure/lowercase-dtype.safetensors",
        st(
            r#"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#,
            4,
        ),
        &[Code("safetensors-dtype-unknown")],
    ));
    {
        let mut g: G = gguf_ok();
        let key = b"general.\xff\xfename";
        g.kv.extend((key.len() as u64).to_le_bytes());
        g.kv.extend(key);
        g.kv.extend(4u32.to_le_bytes());
        g.kv.extend(1u32.to_le_bytes());
        g.n_kv += 1;
        c.push(case(
            "evasion/structure/key-not-utf8.gguf",
            g.build(),
            &[Code("gguf-key-not-utf8")],
        ));
    }
    c.push(case(
        "evasion-benign/structure/metadata.safetensors",
        st(r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4),
        &[Clean],
    ));
}
