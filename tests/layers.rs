//! No circle of `use` between the files of the crate: each file depends only on files below it.
//!
//! The rule, as checked here over every file under `src/` (but `main.rs`, a crate of its own):
//!
//! - A file *uses* another when it has a `use` declaration whose path starts with `crate::`,
//!   `super::` or `self::`, or such a `crate::…` or `super::…` path written out in its code (a
//!   `use` made in place: `crate::domain::clean::one_line(…)`, `super::keys::on_key(…)`).
//! - A path is a use of the file that defines what it names: `crate::api::wire::Page` of
//!   `api/wire.rs`, `crate::api::Client` of `api.rs`. A name that a module forwards with
//!   `pub use` leads on to the file it comes from: `crate::api::ApiError`, forwarded by `api.rs`,
//!   is a use of `api/error.rs`.
//! - A parent and its own children: `mod child;` declares the child, and the parent may name the
//!   child's items through that declaration (`child::f()`, or `pub use child::X` to forward `X`
//!   to the rest of the crate) without using it. A `use child::…` declaration in the parent is a
//!   use. A child's `use super::X` (or `super::X` in code) is a use of the parent, so it makes a
//!   circle only when the parent also has a `use` of the child.
//! - Test modules (`#[cfg(test)] mod tests { … }`) are not part of the layers and are left out,
//!   as are comments and string literals.
//!
//! A circle is a group of two or more files that reach each other through uses. The test fails
//! on any, naming the uses that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A module path below the crate root: `["api", "wire"]`; the root is `[]`.
type ModPath = Vec<String>;

struct Source {
    /// `src/api/wire.rs`, for messages.
    file: String,
    /// The code without comments, literals and test modules.
    code: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/api/wire.rs` → `api::wire`, `src/lib.rs` → the root, `src/x/mod.rs` → `x`.
fn module_of(rel: &Path) -> ModPath {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "lib" || p == "mod") {
        parts.pop();
    }
    parts
}

/// The code with comments and the insides of string and char literals blanked (line ends
/// kept), so that braces and words found later are code.
fn blank_comments_and_literals(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            out.push('"');
            j += 1;
            let closes = |j: usize| c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#'));
            while j < c.len() && !closes(j) {
                out.push(blank(c[j]));
                j += 1;
            }
            out.push('"');
            i = j + 1 + hashes;
        } else if c[i] == '"' {
            out.push('"');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c[i] == '\'' {
            // A char literal ('a', '\n', '\u{1F600}'); otherwise a lifetime or label.
            let end = if next == Some('\\') {
                c.get(i + 3..)
                    .and_then(|rest| rest.iter().position(|&x| x == '\''))
                    .map(|p| i + 3 + p)
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(end) = end {
                out.push_str("' '");
                out.extend(std::iter::repeat_n(' ', end - i - 2));
                i = end + 1;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The code without its `#[cfg(test)] mod … { … }` blocks. Other inline modules would change
/// what `super::` means inside them; the crate has none, and the test says so if one appears.
fn without_test_modules(code: &str, file: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let opens_mod = |l: &str| {
            let l = l
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            l.starts_with("mod ") && l.trim_end().ends_with('{')
        };
        if line == "#[cfg(test)]" && lines.get(i + 1).is_some_and(|l| opens_mod(l.trim())) {
            let mut depth = 0i32;
            let mut j = i + 1;
            loop {
                depth += lines[j].matches('{').count() as i32;
                depth -= lines[j].matches('}').count() as i32;
                if depth <= 0 || j + 1 == lines.len() {
                    break;
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        assert!(
            !opens_mod(line),
            "{file}: an inline module `{line}`; the layer check reads `super::` as the file's parent"
        );
        out.push(lines[i]);
        i += 1;
    }
    out.join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `a::{self, b, c::{d, e as f}, g::*}` → `a`, `a::b`, `a::c::d`, `a::c::e`, `a::g::*` (renames
/// dropped: the path is what counts).
fn expand_tree(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default();
        return vec![path.replace(' ', "")];
    };
    let close = tree.rfind('}').unwrap_or(tree.len());
    let prefix = tree[..open].replace(' ', "");
    let body = &tree[open + 1..close];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (at, ch) in body.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&body[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    items
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .flat_map(expand_tree)
        .map(|rest| match rest.as_str() {
            "self" => prefix.trim_end_matches("::").to_owned(),
            _ => format!("{prefix}{rest}"),
        })
        .collect()
}

/// A `use` declaration: its paths, whether it is `pub` (in any form), and whether it stands at
/// the top of the file (not inside a function).
struct UseDecl {
    paths: Vec<String>,
    public: bool,
    top: bool,
}

/// The `use` declarations of `code`, and the code with them cut out.
fn use_decls(code: &str) -> (Vec<UseDecl>, String) {
    let mut decls = Vec::new();
    let mut rest = String::with_capacity(code.len());
    let chars: Vec<char> = code.chars().collect();
    let mut depth = 0i32;
    let mut i = 0;
    while i < chars.len() {
        let at_word = i == 0 || !is_ident(chars[i - 1]);
        let word_use = at_word
            && chars[i..].starts_with(&['u', 's', 'e'])
            && chars.get(i + 3).is_some_and(|c| c.is_whitespace());
        if word_use && let Some(len) = chars[i..].iter().position(|&c| c == ';') {
            let kept = rest.trim_end().len();
            let visibility = visibility_len(&rest[..kept]);
            let public = visibility > 0;
            // The visibility belongs to this declaration, not to the code around it.
            rest.truncate(kept - visibility);
            let tree: String = chars[i + 4..i + len].iter().collect();
            decls.push(UseDecl {
                paths: expand_tree(&tree),
                public,
                top: depth == 0,
            });
            i += len + 1;
            continue;
        }
        match chars[i] {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        rest.push(chars[i]);
        i += 1;
    }
    (decls, rest)
}

/// The length of the visibility `before` ends in (`pub`, `pub(crate)`, `pub(in …)`), or 0.
fn visibility_len(before: &str) -> usize {
    let starts_word = |at: usize| !before[..at].chars().next_back().is_some_and(is_ident);
    if let Some(at) = before.strip_suffix("pub").map(str::len) {
        return if starts_word(at) {
            before.len() - at
        } else {
            0
        };
    }
    before
        .strip_suffix(')')
        .and_then(|inner| inner.rfind("pub("))
        .filter(|&at| starts_word(at) && !before[at + 4..before.len() - 1].contains(['(', ')']))
        .map_or(0, |at| before.len() - at)
}

/// Paths written out in code: `crate::a::b`, `super::x`.
fn inline_paths(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at_word = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == ':');
        if !at_word || !is_ident(chars[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut path = String::new();
        loop {
            let start = j;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            path.extend(&chars[start..j]);
            if chars.get(j) == Some(&':')
                && chars.get(j + 1) == Some(&':')
                && chars.get(j + 2).is_some_and(|&c| is_ident(c))
            {
                path.push_str("::");
                j += 2;
                continue;
            }
            break;
        }
        let first = path.split("::").next().unwrap_or_default();
        if path.contains("::") && (first == "crate" || first == "super") {
            out.push(path);
        }
        i = j.max(i + 1);
    }
    out
}

/// `path` as written in module `at`, from the crate root; `None` for another crate's.
fn absolute(at: &ModPath, path: &str, children: &BTreeSet<String>) -> Option<ModPath> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: ModPath = match segs.first().copied() {
        Some("crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some("super") => {
            let mut base = at.clone();
            while segs.first() == Some(&"super") {
                base.pop();
                segs.remove(0);
            }
            base
        }
        Some("self") => {
            segs.remove(0);
            at.clone()
        }
        Some(first) if children.contains(first) => at.clone(),
        _ => return None,
    };
    base.extend(
        segs.into_iter()
            .filter(|s| *s != "self" && *s != "*")
            .map(str::to_owned),
    );
    Some(base)
}

struct Crate {
    sources: BTreeMap<ModPath, Source>,
    /// Per module, the names it forwards with `pub use`, and where they come from.
    forwards: BTreeMap<ModPath, BTreeMap<String, ModPath>>,
}

impl Crate {
    /// The file a path from the root ends in, following forwarded names.
    fn resolve(&self, path: &[String], hops: u32) -> ModPath {
        for k in (0..=path.len()).rev() {
            let module = &path[..k];
            if !self.sources.contains_key(module) {
                continue;
            }
            if let (Some(name), true) = (path.get(k), hops < 16)
                && let Some(target) = self.forwards.get(module).and_then(|f| f.get(name))
                && target.as_slice() != path
            {
                let mut next = target.clone();
                next.extend(path[k + 1..].iter().cloned());
                return self.resolve(&next, hops + 1);
            }
            return module.to_vec();
        }
        Vec::new()
    }
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "lib".to_owned()
    } else {
        m.join("/")
    }
}

/// Every use between files: (from, to) → the paths written.
fn uses() -> (Crate, BTreeMap<(ModPath, ModPath), BTreeSet<String>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut sources = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap_or(&path).to_path_buf();
        if rel == Path::new("main.rs") || rel.starts_with("bin") {
            continue;
        }
        let file = format!("src/{}", rel.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let code = without_test_modules(&blank_comments_and_literals(&text), &file);
        sources.insert(module_of(&rel), Source { file, code });
    }
    let children = |m: &ModPath| -> BTreeSet<String> {
        sources
            .keys()
            .filter(|k| k.len() == m.len() + 1 && k.starts_with(m))
            .map(|k| k[m.len()].clone())
            .collect()
    };
    let mut forwards: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
    let mut parsed = Vec::new();
    for (m, source) in &sources {
        let kids = children(m);
        let (decls, body) = use_decls(&source.code);
        for d in decls.iter().filter(|d| d.public && d.top) {
            for p in &d.paths {
                if let Some(target) = absolute(m, p, &kids)
                    && let Some(last) = target.last()
                {
                    forwards
                        .entry(m.clone())
                        .or_default()
                        .insert(last.clone(), target.clone());
                }
            }
        }
        parsed.push((m.clone(), kids, decls, body));
    }
    let krate = Crate { sources, forwards };
    let mut edges: BTreeMap<(ModPath, ModPath), BTreeSet<String>> = BTreeMap::new();
    for (m, kids, decls, body) in parsed {
        let mut written: Vec<(String, ModPath)> = Vec::new();
        for d in &decls {
            for p in &d.paths {
                let Some(target) = absolute(&m, p, &kids) else {
                    continue;
                };
                let own_descendant = target.len() > m.len() && target.starts_with(&m);
                if d.public && d.top && own_descendant {
                    // A forward: the parent names its child's item for the rest of the crate.
                    continue;
                }
                written.push((p.clone(), target));
            }
        }
        for p in inline_paths(&body) {
            if let Some(target) = absolute(&m, &p, &kids) {
                written.push((p, target));
            }
        }
        for (p, target) in written {
            let to = krate.resolve(&target, 0);
            if to != m {
                edges.entry((m.clone(), to)).or_default().insert(p);
            }
        }
    }
    (krate, edges)
}

/// The groups of two or more files that reach each other (Tarjan's algorithm).
fn circles(
    nodes: &[ModPath],
    edges: &BTreeMap<(ModPath, ModPath), BTreeSet<String>>,
) -> Vec<Vec<ModPath>> {
    struct Walk<'a> {
        next: BTreeMap<&'a ModPath, Vec<&'a ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        groups: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a ModPath) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        for u in w.next.get(v).cloned().unwrap_or_default() {
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut group = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(u);
                group.push(u.clone());
                if u == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                w.groups.push(group);
            }
        }
    }
    let mut walk = Walk {
        next: BTreeMap::new(),
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for (from, to) in edges.keys() {
        walk.next.entry(from).or_default().push(to);
    }
    for v in nodes {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.groups
}

#[test]
fn no_file_uses_a_file_that_uses_it_back() {
    let (krate, edges) = uses();
    let nodes: Vec<ModPath> = krate.sources.keys().cloned().collect();
    let found = circles(&nodes, &edges);
    let mut report = String::new();
    for group in &found {
        let files: Vec<&str> = group
            .iter()
            .map(|m| krate.sources[m].file.as_str())
            .collect();
        let _ = writeln!(report, "circle: {}", files.join(", "));
        for ((from, to), paths) in &edges {
            if group.contains(from) && group.contains(to) {
                let paths: Vec<&str> = paths.iter().map(String::as_str).take(4).collect();
                let _ = writeln!(
                    report,
                    "  {} uses {}: {}",
                    name(from),
                    name(to),
                    paths.join(", ")
                );
            }
        }
    }
    assert!(found.is_empty(), "{report}");
}

/// The check itself: it sees uses written in each of the ways the rule names, and only those.
#[test]
fn the_check_sees_uses_through_use_lines_inline_paths_and_forwarded_names() {
    let code = blank_comments_and_literals(
        "use super::{a::B, c as d};\n\
         // use crate::nothing::Here;\n\
         pub use child::Forwarded;\n\
         use child::Used;\n\
         pub(crate) use crate::z::W;\n\
         fn f() { let s = \"crate::not::a_path\"; crate::x::y::z(); child::g(); '{'; }\n",
    );
    let (decls, body) = use_decls(&code);
    let paths: Vec<&str> = decls
        .iter()
        .flat_map(|d| d.paths.iter().map(String::as_str))
        .collect();
    assert_eq!(
        paths,
        [
            "super::a::B",
            "super::c",
            "child::Forwarded",
            "child::Used",
            "crate::z::W"
        ]
    );
    let public: Vec<bool> = decls.iter().map(|d| d.public).collect();
    assert_eq!(public, [false, true, false, true]);
    assert!(decls.iter().all(|d| d.top));
    let kids: BTreeSet<String> = ["child".to_owned()].into();
    assert_eq!(inline_paths(&body), ["crate::x::y::z"]);
    let at: ModPath = vec!["p".to_owned(), "q".to_owned()];
    assert_eq!(
        absolute(&at, "super::super::r::S", &kids),
        Some(vec!["r".to_owned(), "S".to_owned()])
    );
    assert_eq!(absolute(&at, "std::fmt", &kids), None);
    assert_eq!(
        expand_tree("a::{self, b, c::{d, e as f}, g::*}"),
        ["a", "a::b", "a::c::d", "a::c::e", "a::g::*"]
    );
}
