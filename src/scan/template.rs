//! Chat templates (Jinja) checked for template-injection patterns. Never rendered.

use super::code;
use crate::finding::Finding;

/// Substrings that a chat template has no business containing: sandbox escapes through Python
/// object internals, filters that reach attributes, and tags that pull in other files.
const PATTERNS: &[&str] = &[
    "__class__",
    "__mro__",
    "__base__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__import__",
    "__init__",
    "__code__",
    "__dict__",
    "__getattribute__",
    "__reduce",
    "_TemplateReference__context",
    "|attr(",
    "['__",
    "[\"__",
    "{%include",
    "{%import",
    "{%extends",
    "{%from",
    "os.system",
    "popen",
    "subprocess",
    "eval(",
    "exec(",
    "lipsum.",
    "cycler.",
    "joiner.",
    "request.application",
];

/// Checks `template` (from `source`, e.g. "GGUF metadata `tokenizer.chat_template`") in file `rel`.
pub(crate) fn check(template: &str, rel: &str, source: &str) -> Vec<Finding> {
    // Whitespace and Jinja's trim markers do not change meaning; drop them so `{%- include` and
    // `| attr (` match too.
    let compact: String = template
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace("{%-", "{%")
        .replace("{%+", "{%");
    let hits: Vec<&str> = PATTERNS
        .iter()
        .copied()
        .filter(|p| compact.contains(p))
        .collect();
    if hits.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::new(
            code("template-injection"),
            format!(
                "the chat template in {source} contains {} (template-injection pattern)",
                hits.iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .at(rel),
    ]
}

/// Chat templates in a `tokenizer_config.json` / `chat_template.json` document.
pub(crate) fn check_json(text: &str, rel: &str) -> Vec<Finding> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match doc.get("chat_template") {
        Some(serde_json::Value::String(t)) => out.extend(check(t, rel, "`chat_template`")),
        Some(serde_json::Value::Array(list)) => {
            for item in list {
                let name = item.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                if let Some(t) = item.get("template").and_then(|t| t.as_str()) {
                    out.extend(check(t, rel, &format!("`chat_template` `{name}`")));
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LLAMA3: &str = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    #[test]
    fn benign_llama3_is_clean() {
        assert!(check(LLAMA3, "t", "x").is_empty());
    }

    #[test]
    fn escapes_are_flagged() {
        for t in [
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ x | attr('__globals__') }}",
            "{{ x | attr ( 'y' ) }}",
            "{%- include 'secret.txt' %}",
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        ] {
            assert_eq!(check(t, "t", "x").len(), 1, "{t}");
        }
    }
}
