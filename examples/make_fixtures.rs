//! Writes the committed demo fixtures under `fixtures/`: run `cargo run --example make_fixtures`.
//!
//! `fixtures/tiny-bert/` is a complete, tiny BERT model folder (random weights from a fixed seed,
//! a WordPiece tokenizer, config, model card, MIT license), small enough to commit and real enough
//! for every command to work on it. The output is deterministic: running this again changes nothing.
// A program of its own: it reports what it wrote.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use candle_core::{DType, Device, Tensor};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tokenizers::Tokenizer;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;

const VOCAB: usize = 64;
const HIDDEN: usize = 16;
const LAYERS: usize = 2;
const HEADS: usize = 2;
const INTERMEDIATE: usize = 32;
const MAX_POSITIONS: usize = 32;

/// xorshift64*: a fixed, dependency-free source of reproducible weights.
struct Rng(u64);

impl Rng {
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40;
        (v as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    }
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("tiny-bert");
    std::fs::create_dir_all(&root)?;
    write_weights(&root)?;
    write_tokenizer(&root)?;
    std::fs::write(root.join("config.json"), config())?;
    std::fs::write(root.join("README.md"), CARD)?;
    std::fs::write(root.join("LICENSE"), MIT)?;
    println!("wrote {}", root.display());
    Ok(())
}

fn write_weights(root: &Path) -> anyhow::Result<()> {
    let mut rng = Rng(0x6d6f_6465_6c76_6574);
    let mut shapes: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut add = |name: String, shape: &[usize]| {
        shapes.insert(name, shape.to_vec());
    };
    add("embeddings.word_embeddings.weight".into(), &[VOCAB, HIDDEN]);
    add(
        "embeddings.position_embeddings.weight".into(),
        &[MAX_POSITIONS, HIDDEN],
    );
    add(
        "embeddings.token_type_embeddings.weight".into(),
        &[2, HIDDEN],
    );
    add("embeddings.LayerNorm.weight".into(), &[HIDDEN]);
    add("embeddings.LayerNorm.bias".into(), &[HIDDEN]);
    for l in 0..LAYERS {
        let p = format!("encoder.layer.{l}");
        for m in [
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ] {
            add(format!("{p}.{m}.weight"), &[HIDDEN, HIDDEN]);
            add(format!("{p}.{m}.bias"), &[HIDDEN]);
        }
        add(format!("{p}.attention.output.LayerNorm.weight"), &[HIDDEN]);
        add(format!("{p}.attention.output.LayerNorm.bias"), &[HIDDEN]);
        add(
            format!("{p}.intermediate.dense.weight"),
            &[INTERMEDIATE, HIDDEN],
        );
        add(format!("{p}.intermediate.dense.bias"), &[INTERMEDIATE]);
        add(format!("{p}.output.dense.weight"), &[HIDDEN, INTERMEDIATE]);
        add(format!("{p}.output.dense.bias"), &[HIDDEN]);
        add(format!("{p}.output.LayerNorm.weight"), &[HIDDEN]);
        add(format!("{p}.output.LayerNorm.bias"), &[HIDDEN]);
    }
    let mut tensors = HashMap::new();
    // BTreeMap order, so the same seed always lands on the same tensor.
    for (name, shape) in shapes {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = if name.ends_with("LayerNorm.weight") {
            vec![1.0; n]
        } else if name.ends_with("LayerNorm.bias") {
            vec![0.0; n]
        } else {
            (0..n).map(|_| rng.next_f32()).collect()
        };
        tensors.insert(
            name,
            Tensor::from_vec(data, shape, &Device::Cpu)?.to_dtype(DType::F32)?,
        );
    }
    candle_core::safetensors::save(&tensors, root.join("model.safetensors"))?;
    Ok(())
}

fn write_tokenizer(root: &Path) -> anyhow::Result<()> {
    let mut words: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .map(String::from)
        .to_vec();
    for w in [
        "the", "a", "model", "weights", "open", "license", "data", "code", "is", "are", "we",
        "vet", "run", "load", "cat", "dog", "sat", "on", "mat", ".", ",", "!", "?",
    ] {
        words.push(w.to_string());
    }
    for c in 'a'..='z' {
        words.push(format!("##{c}"));
    }
    words.truncate(VOCAB);
    while words.len() < VOCAB {
        words.push(format!("[unused{}]", words.len()));
    }
    // BERT folders ship the WordPiece vocabulary as vocab.txt, one token per line, id = line number.
    let vocab_path = root.join("vocab.txt");
    std::fs::write(&vocab_path, words.join("\n") + "\n")?;
    let model = WordPiece::from_file(&vocab_path.to_string_lossy())
        .unk_token("[UNK]".into())
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tok = Tokenizer::new(model);
    let e = |e: tokenizers::Error| anyhow::anyhow!("{e}");
    tok.with_normalizer(Some(BertNormalizer::default()))
        .map_err(e)?;
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    tok.with_post_processor(Some(BertProcessing::new(
        ("[SEP]".into(), 3),
        ("[CLS]".into(), 2),
    )));
    tok.save(root.join("tokenizer.json"), true)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

fn config() -> String {
    format!(
        r#"{{
  "architectures": ["BertModel"],
  "model_type": "bert",
  "vocab_size": {VOCAB},
  "hidden_size": {HIDDEN},
  "num_hidden_layers": {LAYERS},
  "num_attention_heads": {HEADS},
  "intermediate_size": {INTERMEDIATE},
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.0,
  "attention_probs_dropout_prob": 0.0,
  "max_position_embeddings": {MAX_POSITIONS},
  "type_vocab_size": 2,
  "initializer_range": 0.02,
  "layer_norm_eps": 1e-12,
  "pad_token_id": 0,
  "position_embedding_type": "absolute",
  "torch_dtype": "float32"
}}
"#
    )
}

const CARD: &str = "---
license: mit
model_name: tiny-bert
library_name: candle
pipeline_tag: feature-extraction
tags:
  - modelvet-fixture
datasets:
  - none
---

# tiny-bert

A two-layer BERT encoder with random weights from a fixed seed, written by
`cargo run --example make_fixtures` in the modelvet repository. It exists to demonstrate and test
modelvet: it loads, runs and is licensed like a real model, but computes nothing useful.
";

const MIT: &str = "MIT License

Copyright (c) 2026 The modelvet developers

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
";
