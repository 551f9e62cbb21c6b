//! Chat templates (Jinja) checked for sandbox escapes. Never rendered: the template is parsed with
//! minijinja's parser and its expressions are folded where they are constant, so an attribute
//! name built at render time (`"\x5f\x5fclass\x5f\x5f"`, `"%c%c"|format(95, 95)`, `|join`, `~`,
//! `{% set %}`) is judged by its value, not by how it is spelled.

use super::ScanCode;
use crate::finding::Finding;
use minijinja::machinery::ast::{self, CallArg, Expr, Stmt};
use std::collections::HashMap;

/// Attribute names of Python internals that lead from any object to code (frames, globals,
/// functions), beyond the underscore-prefixed ones.
const INTERNALS: &[&str] = &[
    "mro",
    "func_globals",
    "func_code",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "ag_frame",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "tb_frame",
    "tb_next",
    "im_func",
    "im_self",
];

/// Globals of Jinja environments (and Flask) whose attributes reach Python internals.
const ESCAPE_GLOBALS: &[&str] = &[
    "lipsum",
    "cycler",
    "joiner",
    "self",
    "config",
    "request",
    "url_for",
    "get_flashed_messages",
];

/// HF's own tags, unknown to minijinja, that wrap ordinary template text.
const HF_TAGS: &[&str] = &["generation", "endgeneration"];

/// What the walk found, each a short description.
#[derive(Default)]
struct Walk<'a> {
    hits: Vec<String>,
    /// Variables set to a constant string (by `{% set %}`), as far as the walk has seen.
    vars: HashMap<&'a str, String>,
}

fn dangerous_name(name: &str) -> bool {
    name.starts_with('_') || INTERNALS.contains(&name)
}

/// Whether a `str.format` template has a field such as `{0.__class__}` or `{x[_y]}`.
fn format_fields_reach_internals(f: &str) -> bool {
    f.split('{').skip(1).any(|field| {
        let field = field.split('}').next().unwrap_or("");
        field
            .split(['.', '['])
            .skip(1)
            .any(|part| dangerous_name(part.trim_end_matches(']')))
    })
}

/// `%`-formatting as Python does it for `%s`, `%d`, `%c`, `%%` (enough to fold a name).
fn percent_format(fmt: &str, args: &[Folded]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut it = fmt.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'r' | 'i' => out.push_str(&args.next()?.text()?),
            'c' => match args.next()? {
                Folded::Int(i) => out.push(char::from_u32(u32::try_from(*i).ok()?)?),
                Folded::Str(s) => out.push_str(s),
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(out)
}

/// `str.format` with `{}` and `{0}` fields (enough to fold a name).
fn brace_format(fmt: &str, args: &[Folded]) -> Option<String> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut it = fmt.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '{' if it.peek() == Some(&'{') => {
                it.next();
                out.push('{');
            }
            '}' if it.peek() == Some(&'}') => {
                it.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for d in it.by_ref() {
                    if d == '}' {
                        break;
                    }
                    field.push(d);
                }
                let i = if field.is_empty() {
                    next += 1;
                    next - 1
                } else {
                    field.parse().ok()?
                };
                out.push_str(&args.get(i)?.text()?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// A constant value the walk could compute.
#[derive(Clone, Debug)]
enum Folded {
    Str(String),
    Int(i64),
    List(Vec<Folded>),
}

impl Folded {
    fn text(&self) -> Option<String> {
        match self {
            Folded::Str(s) => Some(s.clone()),
            Folded::Int(i) => Some(i.to_string()),
            Folded::List(_) => None,
        }
    }
}

fn pos_args<'a>(args: &'a [CallArg<'a>]) -> impl Iterator<Item = &'a Expr<'a>> {
    args.iter().filter_map(|a| match a {
        CallArg::Pos(e) => Some(e),
        _ => None,
    })
}

impl<'a> Walk<'a> {
    /// Folds `e` to a constant if it is one (strings, ints, lists, and the string operations
    /// used to build names); `None` when it depends on render-time data.
    fn fold(&self, e: &Expr<'a>) -> Option<Folded> {
        match e {
            Expr::Const(c) => {
                if let Some(s) = c.value.as_str() {
                    Some(Folded::Str(s.to_string()))
                } else {
                    i64::try_from(c.value.clone()).ok().map(Folded::Int)
                }
            }
            Expr::Var(v) => self.vars.get(v.id).cloned().map(Folded::Str),
            Expr::List(l) => l
                .items
                .iter()
                .map(|x| self.fold(x))
                .collect::<Option<Vec<_>>>()
                .map(Folded::List),
            Expr::Tuple(l) => l
                .items
                .iter()
                .map(|x| self.fold(x))
                .collect::<Option<Vec<_>>>()
                .map(Folded::List),
            Expr::BinOp(b) => {
                let (l, r) = (self.fold(&b.left)?, self.fold(&b.right)?);
                match (b.op, &l, &r) {
                    (ast::BinOpKind::Concat, _, _) => Some(Folded::Str(l.text()? + &r.text()?)),
                    (ast::BinOpKind::Add, Folded::Str(a), Folded::Str(b)) => {
                        Some(Folded::Str(format!("{a}{b}")))
                    }
                    (ast::BinOpKind::Add, Folded::Int(a), Folded::Int(b)) => {
                        a.checked_add(*b).map(Folded::Int)
                    }
                    (ast::BinOpKind::Mul, Folded::Str(a), Folded::Int(n))
                        if (0..64).contains(n) =>
                    {
                        Some(Folded::Str(a.repeat(*n as usize)))
                    }
                    (ast::BinOpKind::Rem, Folded::Str(a), _) => {
                        let args = match &r {
                            Folded::List(l) => l.clone(),
                            x => vec![x.clone()],
                        };
                        percent_format(a, &args).map(Folded::Str)
                    }
                    _ => None,
                }
            }
            Expr::Filter(f) => {
                let input = self.fold(f.expr.as_ref()?)?;
                let args: Vec<Folded> = pos_args(&f.args)
                    .map(|a| self.fold(a))
                    .collect::<Option<_>>()?;
                self.apply(f.name, input, &args)
            }
            Expr::Call(c) => {
                let Expr::GetAttr(g) = &c.expr else {
                    return None;
                };
                let input = self.fold(&g.expr)?;
                let args: Vec<Folded> = pos_args(&c.args)
                    .map(|a| self.fold(a))
                    .collect::<Option<_>>()?;
                match (g.name, &input) {
                    ("format", Folded::Str(s)) => brace_format(s, &args).map(Folded::Str),
                    ("join", Folded::Str(sep)) => {
                        let Some(Folded::List(items)) = args.first() else {
                            return None;
                        };
                        let parts: Option<Vec<String>> = items.iter().map(Folded::text).collect();
                        Some(Folded::Str(parts?.join(sep)))
                    }
                    (m, _) => self.apply(m, input, &args),
                }
            }
            Expr::GetItem(g) => {
                let (base, i) = (self.fold(&g.expr)?, self.fold(&g.subscript_expr)?);
                match (base, i) {
                    (Folded::List(l), Folded::Int(i)) => {
                        let i = if i < 0 { l.len() as i64 + i } else { i };
                        l.get(usize::try_from(i).ok()?).cloned()
                    }
                    (Folded::Str(s), Folded::Int(i)) => {
                        let chars: Vec<char> = s.chars().collect();
                        let i = if i < 0 { chars.len() as i64 + i } else { i };
                        chars
                            .get(usize::try_from(i).ok()?)
                            .map(|c| Folded::Str(c.to_string()))
                    }
                    _ => None,
                }
            }
            Expr::Slice(s) if s.step.is_none() => {
                let Folded::Str(base) = self.fold(&s.expr)? else {
                    return None;
                };
                let chars: Vec<char> = base.chars().collect();
                let idx = |e: &Option<Expr<'a>>, default: usize| -> Option<usize> {
                    match e {
                        None => Some(default),
                        Some(e) => match self.fold(e)? {
                            Folded::Int(i) if i < 0 => {
                                Some(chars.len().saturating_sub(i.unsigned_abs() as usize))
                            }
                            Folded::Int(i) => Some((i as usize).min(chars.len())),
                            _ => None,
                        },
                    }
                };
                let (a, b) = (idx(&s.start, 0)?, idx(&s.stop, chars.len())?);
                Some(Folded::Str(chars.get(a..b.max(a))?.iter().collect()))
            }
            Expr::IfExpr(i) => {
                // Either branch may be taken; a dunder in either counts.
                self.fold(&i.true_expr)
            }
            _ => None,
        }
    }

    /// Filters and string methods that keep a name foldable.
    fn apply(&self, name: &str, input: Folded, args: &[Folded]) -> Option<Folded> {
        let s = || input.text();
        Some(Folded::Str(match name {
            "format" => percent_format(&s()?, args)?,
            "join" => {
                let Folded::List(items) = &input else {
                    return None;
                };
                let sep = args.first().and_then(Folded::text).unwrap_or_default();
                items
                    .iter()
                    .map(Folded::text)
                    .collect::<Option<Vec<_>>>()?
                    .join(&sep)
            }
            "lower" => s()?.to_lowercase(),
            "upper" => s()?.to_uppercase(),
            "title" | "capitalize" => s()?,
            "trim" | "strip" => s()?.trim().to_string(),
            "string" => s()?,
            "reverse" => s()?.chars().rev().collect(),
            "replace" => {
                let (a, b) = (args.first()?.text()?, args.get(1)?.text()?);
                s()?.replace(&a, &b)
            }
            "first" => match &input {
                Folded::List(l) => return l.first().cloned(),
                Folded::Str(x) => x.chars().next()?.to_string(),
                _ => return None,
            },
            "last" => match &input {
                Folded::List(l) => return l.last().cloned(),
                Folded::Str(x) => x.chars().last()?.to_string(),
                _ => return None,
            },
            _ => return None,
        }))
    }

    fn hit(&mut self, what: String) {
        if !self.hits.contains(&what) {
            self.hits.push(what);
        }
    }

    /// Judges an attribute or item name reached at render time.
    fn access(&mut self, name: Option<Folded>, how: &str) {
        match name {
            Some(Folded::Str(n)) if dangerous_name(&n) => {
                self.hit(format!("{how} `{n}`"));
            }
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr<'a>) {
        match e {
            Expr::Var(v) => {
                if ESCAPE_GLOBALS.contains(&v.id) {
                    self.hit(format!("the global `{}`", v.id));
                }
            }
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for x in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(x);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr);
                for op in &c.ops {
                    self.expr(&op.expr);
                }
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(f) = &i.false_expr {
                    self.expr(f);
                }
            }
            Expr::Filter(f) => {
                if let Some(x) = &f.expr {
                    self.expr(x);
                }
                self.args(&f.args);
                // Filters that read an attribute named by an argument.
                for a in &f.args {
                    if let CallArg::Kwarg("attribute", e) = a {
                        let name = self.fold(e);
                        self.access(name, "attribute (through a filter)");
                    }
                }
                if matches!(f.name, "selectattr" | "rejectattr" | "groupby")
                    && let Some(e) = pos_args(&f.args).next()
                {
                    let name = self.fold(e);
                    self.access(name, "attribute (through a filter)");
                }
                // Chat templates have no use for `|attr`: it exists to reach attributes by a
                // computed name, so it counts whatever name it is given.
                if f.name == "attr" {
                    match pos_args(&f.args).next().map(|a| self.fold(a)) {
                        Some(Some(Folded::Str(n))) => self.hit(format!("`|attr` of `{n}`")),
                        _ => self.hit("`|attr` with a name computed at render time".into()),
                    }
                }
            }
            Expr::Test(t) => {
                self.expr(&t.expr);
                self.args(&t.args);
            }
            Expr::GetAttr(g) => {
                self.expr(&g.expr);
                self.access(Some(Folded::Str(g.name.to_string())), "attribute");
            }
            Expr::GetItem(g) => {
                self.expr(&g.expr);
                self.expr(&g.subscript_expr);
                let name = self.fold(&g.subscript_expr);
                self.access(name, "item");
            }
            Expr::Call(c) => {
                self.expr(&c.expr);
                self.args(&c.args);
                // `"{0.__class__}".format(x)` reaches attributes through the format string.
                if let Expr::GetAttr(g) = &c.expr
                    && matches!(g.name, "format" | "format_map")
                    && let Some(Folded::Str(f)) = self.fold(&g.expr)
                    && format_fields_reach_internals(&f)
                {
                    self.hit(format!(
                        "a format string `{f}` that reads underscore attributes"
                    ));
                }
            }
            Expr::List(l) => l.items.iter().for_each(|x| self.expr(x)),
            Expr::Tuple(l) => l.items.iter().for_each(|x| self.expr(x)),
            Expr::Map(m) => {
                m.keys.iter().for_each(|x| self.expr(x));
                m.values.iter().for_each(|x| self.expr(x));
            }
        }
    }

    fn args(&mut self, args: &[CallArg<'a>]) {
        for a in args {
            // `dict(__class__=1)|first` builds a dunder name from a keyword.
            if let CallArg::Kwarg(name, _) = a
                && dangerous_name(name)
            {
                self.hit(format!("a keyword argument named `{name}`"));
            }
            match a {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => self.expr(e),
            }
        }
    }

    fn body(&mut self, stmts: &[Stmt<'a>]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    /// Folds a `{% set %}…{% endset %}` body to text if it is constant.
    fn fold_body(&self, stmts: &[Stmt<'a>]) -> Option<String> {
        let mut out = String::new();
        for s in stmts {
            match s {
                Stmt::EmitRaw(r) => out.push_str(r.raw),
                Stmt::EmitExpr(e) => out.push_str(&self.fold(&e.expr)?.text()?),
                _ => return None,
            }
        }
        Some(out)
    }

    fn stmt(&mut self, s: &Stmt<'a>) {
        match s {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::ForLoop(f) => {
                self.expr(&f.iter);
                if let Some(x) = &f.filter_expr {
                    self.expr(x);
                }
                self.body(&f.body);
                self.body(&f.else_body);
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr);
                self.body(&i.true_body);
                self.body(&i.false_body);
            }
            Stmt::WithBlock(w) => {
                for (_, v) in &w.assignments {
                    self.expr(v);
                }
                self.body(&w.body);
            }
            Stmt::Set(set) => {
                self.expr(&set.expr);
                if let Expr::Var(v) = &set.target {
                    match self.fold(&set.expr) {
                        Some(Folded::Str(val)) => {
                            self.vars.insert(v.id, val);
                        }
                        _ => {
                            self.vars.remove(v.id);
                        }
                    }
                }
            }
            Stmt::SetBlock(set) => {
                self.body(&set.body);
                if let Some(f) = &set.filter {
                    self.expr(f);
                }
                if let Expr::Var(v) = &set.target {
                    match self.fold_body(&set.body) {
                        Some(val) => {
                            self.vars.insert(v.id, val);
                        }
                        None => {
                            self.vars.remove(v.id);
                        }
                    }
                }
            }
            Stmt::AutoEscape(a) => {
                self.expr(&a.enabled);
                self.body(&a.body);
            }
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                self.body(&f.body);
            }
            Stmt::Block(b) => self.body(&b.body),
            Stmt::Import(_) | Stmt::FromImport(_) => {
                self.hit("an `import` of another template".into())
            }
            Stmt::Extends(_) => self.hit("an `extends` of another template".into()),
            Stmt::Include(_) => self.hit("an `include` of another file".into()),
            Stmt::Macro(m) => {
                m.defaults.iter().for_each(|x| self.expr(x));
                self.body(&m.body);
            }
            Stmt::CallBlock(c) => {
                self.expr(&c.call.expr);
                self.args(&c.call.args);
                self.body(&c.macro_decl.body);
            }
            Stmt::Do(d) => {
                self.expr(&d.call.expr);
                self.args(&d.call.args);
            }
        }
    }
}

/// Removes HF's `{% generation %}` / `{% endgeneration %}` tags, which only mark text.
fn strip_hf_tags(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find("{%") {
        out.push_str(&rest[..i]);
        let tag = &rest[i..];
        // The closing `%}` comes after the opening `{%`: in `{%}` they share the `%`.
        let Some(end) = tag[2..].find("%}").map(|e| e + 2) else {
            out.push_str(tag);
            return out;
        };
        let inner = tag[2..end].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        if !HF_TAGS.contains(&inner) {
            out.push_str(&tag[..end + 2]);
        }
        rest = &tag[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Checks `template` (from `source`, e.g. "GGUF metadata `tokenizer.chat_template`") in file `rel`.
pub(crate) fn check(template: &str, rel: &str, source: &str) -> Vec<Finding> {
    let text = strip_hf_tags(template);
    let ast = match minijinja::machinery::parse(&text, "chat_template", Default::default()) {
        Ok(a) => a,
        Err(e) => {
            return vec![
                Finding::new(
                    &ScanCode::TemplateUnparsed,
                    format!("the chat template in {source} does not parse ({}), so it was not checked; Jinja may refuse it too", e.kind()),
                )
                .at(rel),
            ];
        }
    };
    let mut w = Walk::default();
    w.stmt(&ast);
    if w.hits.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::new(
            &ScanCode::TemplateInjection,
            format!(
                "the chat template in {source} reaches Python internals: {}",
                w.hits.join(", ")
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
            "{{ x | attr(y) }}",
            "{%- include 'secret.txt' %}",
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            "{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}",
            "{{ x[\"%c%cclass%c%c\"|format(95,95,95,95)] }}",
            "{{ x[['_','_','class','_','_']|join] }}",
            "{{ x['_' ~ '_class_' ~ '_'] }}",
            "{% set a = '__cla' %}{% set b = a ~ 'ss__' %}{{ x[b] }}",
            "{% set a %}__globals__{% endset %}{{ x|attr(a) }}",
            "{{ x['{}{}init{}{}'.format('_','_','_','_')] }}",
            "{{ x['__tini__'|reverse] }}",
            "{{ messages|map(attribute='__class__')|list }}",
            "{{ messages|selectattr('__class__') }}",
            "{{ dict(__globals__=1)|list }}",
            "{{ '{0.__class__}'.format(messages) }}",
        ] {
            assert_eq!(check(t, "t", "x").len(), 1, "{t}");
            assert_eq!(check(t, "t", "x")[0].code, "template-injection", "{t}");
        }
    }

    #[test]
    fn ordinary_strings_are_not_names() {
        // Text that mentions internals is not an access to them.
        let t = "{{ 'never write __class__ or os.system here' }}{{ messages[0]['content'] }}";
        assert!(check(t, "t", "x").is_empty());
    }
}
