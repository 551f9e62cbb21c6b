//! A small sentencepiece-style tokenizer for GGUF files whose vocabulary is `tokenizer.ggml.model =
//! llama` (llama 1/2, mistral): candle reads only GPT-2-style BPE vocabularies from GGUF. Written
//! here because no crate builds this from GGUF metadata; it follows llama.cpp's SPM algorithm
//! (repeatedly merge the adjacent pair whose concatenation is a vocabulary entry with the highest
//! score; bytes outside the vocabulary fall back to `<0xXX>` tokens).

use candle_core::quantized::gguf_file::{Content, Value};
use std::collections::HashMap;

/// Token type 3 (`control`) in `tokenizer.ggml.token_type`.
const CONTROL: i32 = 3;

/// The vocabulary of a `llama`-model GGUF.
pub(crate) struct Spm {
    tokens: Vec<String>,
    scores: Vec<f32>,
    types: Vec<i32>,
    ids: HashMap<String, u32>,
    pub bos: Option<u32>,
    add_bos: bool,
}

impl Spm {
    /// Reads the vocabulary from GGUF metadata; `None` unless it is a `llama` (SPM) vocabulary.
    pub(crate) fn from_gguf(ct: &Content) -> Option<Spm> {
        let model = ct.metadata.get("tokenizer.ggml.model")?.to_string().ok()?;
        if model != "llama" {
            return None;
        }
        let tokens: Vec<String> = ct
            .metadata
            .get("tokenizer.ggml.tokens")?
            .to_vec()
            .ok()?
            .iter()
            .map(|v| v.to_string().ok().cloned())
            .collect::<Option<_>>()?;
        let floats = |key: &str| -> Vec<f32> {
            match ct.metadata.get(key) {
                Some(Value::Array(a)) => a.iter().map(|v| v.to_f32().unwrap_or(0.0)).collect(),
                _ => Vec::new(),
            }
        };
        let scores = floats("tokenizer.ggml.scores");
        let types = match ct.metadata.get("tokenizer.ggml.token_type") {
            Some(Value::Array(a)) => a.iter().map(|v| v.to_i32().unwrap_or(1)).collect(),
            _ => Vec::new(),
        };
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bos = ct
            .metadata
            .get("tokenizer.ggml.bos_token_id")
            .and_then(|v| v.to_u32().ok());
        let add_bos = !matches!(
            ct.metadata.get("tokenizer.ggml.add_bos_token"),
            Some(Value::Bool(false))
        );
        Some(Spm {
            tokens,
            scores,
            types,
            ids,
            bos,
            add_bos,
        })
    }

    fn score(&self, id: u32) -> f32 {
        self.scores.get(id as usize).copied().unwrap_or(0.0)
    }

    /// Token ids of `text` (with BOS when the vocabulary asks for it).
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let text = format!("\u{2581}{}", text.replace(' ', "\u{2581}"));
        let mut pieces: Vec<String> = Vec::new();
        for c in text.chars() {
            let s = c.to_string();
            if self.ids.contains_key(&s) {
                pieces.push(s);
            } else {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    pieces.push(format!("<0x{b:02X}>"));
                }
            }
        }
        loop {
            let mut best: Option<(usize, f32)> = None;
            for i in 0..pieces.len().saturating_sub(1) {
                let joined = format!("{}{}", pieces[i], pieces[i + 1]);
                if let Some(&id) = self.ids.get(&joined) {
                    let sc = self.score(id);
                    if best.is_none_or(|(_, b)| sc > b) {
                        best = Some((i, sc));
                    }
                }
            }
            let Some((i, _)) = best else { break };
            let right = pieces.remove(i + 1);
            pieces[i].push_str(&right);
        }
        let mut out = Vec::new();
        if self.add_bos
            && let Some(b) = self.bos
        {
            out.push(b);
        }
        out.extend(pieces.iter().filter_map(|p| self.ids.get(p).copied()));
        out
    }

    /// Text of `ids`, control tokens skipped, `<0xXX>` pieces as bytes.
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            let i = id as usize;
            if self.types.get(i) == Some(&CONTROL) {
                continue;
            }
            let Some(t) = self.tokens.get(i) else {
                continue;
            };
            if let Some(hex) = t.strip_prefix("<0x").and_then(|h| h.strip_suffix('>'))
                && let Ok(b) = u8::from_str_radix(hex, 16)
            {
                bytes.push(b);
                continue;
            }
            bytes.extend(t.replace('\u{2581}', " ").as_bytes());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::gguf_file::VersionedMagic;

    fn content(tokens: &[&str], scores: &[f32]) -> Content {
        let mut metadata = HashMap::new();
        metadata.insert("tokenizer.ggml.model".into(), Value::String("llama".into()));
        metadata.insert(
            "tokenizer.ggml.tokens".into(),
            Value::Array(
                tokens
                    .iter()
                    .map(|t| Value::String(t.to_string()))
                    .collect(),
            ),
        );
        metadata.insert(
            "tokenizer.ggml.scores".into(),
            Value::Array(scores.iter().map(|s| Value::F32(*s)).collect()),
        );
        let mut types = vec![Value::I32(1); tokens.len()];
        types[1] = Value::I32(CONTROL);
        metadata.insert("tokenizer.ggml.token_type".into(), Value::Array(types));
        metadata.insert("tokenizer.ggml.bos_token_id".into(), Value::U32(1));
        Content {
            magic: VersionedMagic::GgufV3,
            metadata,
            tensor_infos: HashMap::new(),
            tensor_data_offset: 0,
        }
    }

    #[test]
    fn merges_by_score_and_falls_back_to_bytes() {
        let toks = [
            "<unk>",
            "<s>",
            "\u{2581}",
            "h",
            "i",
            "\u{2581}h",
            "hi",
            "\u{2581}hi",
            "<0x21>",
        ];
        let scores = [0.0, 0.0, -1.0, -1.0, -1.0, -3.0, -2.0, -0.5, 0.0];
        let spm = Spm::from_gguf(&content(&toks, &scores)).unwrap();
        // "▁hi" wins over "▁h" + "i"; "!" is not in the vocabulary and falls back to its byte.
        assert_eq!(spm.encode("hi!"), vec![1, 7, 8]);
        assert_eq!(spm.decode(&[1, 7, 8]), " hi!");
    }
}
