//! The layering the code review asks for, read from the source with a Rust parser (`syn`),
//! so that no spelling slips past: a re-export, an alias, a `super::` path.
//! - `src/web` names nothing of `db` (no module path, no item of it by its name), and of
//!   `storage` only the `Store` and its `Failure`;
//! - no module outside `db` and `storage` hands a `db` item on (`pub use`, `pub type`);
//! - no two modules import each other, directly or round a loop.
//!
//! Each check is also run on a small source that breaks it, and must fail there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Every `.rs` file under `dir`, with its module path (`web::agent::case`).
fn sources(dir: &Path, module: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a source folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            sources(&path, &format!("{module}::{stem}"), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = match stem.as_str() {
                "mod" | "lib" | "main" => module.to_owned(),
                _ => format!("{module}::{stem}"),
            };
            let text = std::fs::read_to_string(&path).expect("a source file");
            out.push((name.trim_start_matches("::").to_owned(), text));
        }
    }
}

fn crate_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut out,
    );
    out
}

/// Every path a file names, in `use` trees, types and expressions, made absolute from
/// the crate root where it starts with `crate::`, `super::` or `self::`.
#[derive(Default)]
struct Paths {
    module: Vec<String>,
    found: Vec<Vec<String>>,
    /// `pub use` and `pub type` items: what the module hands on.
    handed_on: Vec<Vec<String>>,
    /// Names declared here (structs, enums, type aliases).
    declared: Vec<String>,
    idents: BTreeSet<String>,
    /// Names brought in by `use`, with the absolute path each stands for.
    imported: BTreeMap<String, Vec<String>>,
    /// Names brought in by `use` from other crates (`actix_session::Session`).
    foreign: BTreeSet<String>,
}

impl Paths {
    fn absolute(&self, segments: Vec<String>) -> Vec<String> {
        let mut at = self.module.clone();
        let mut rest = segments.as_slice();
        match rest.first().map(String::as_str) {
            Some("crate") | Some("appealdesk") => {
                at.clear();
                rest = &rest[1..];
            }
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    at.pop();
                    rest = &rest[1..];
                }
            }
            Some("self") => rest = &rest[1..],
            Some(first) => match self.imported.get(first) {
                // `use crate::db;` then `db::cases::x`.
                Some(imported) => {
                    at = imported.clone();
                    rest = &rest[1..];
                }
                // Not a path into this crate (`std::…`, a local name).
                None => return Vec::new(),
            },
            None => return segments,
        }
        at.extend(rest.iter().cloned());
        at
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.used(prefix, n.ident.to_string(), None, public),
            syn::UseTree::Rename(r) => self.used(
                prefix,
                r.ident.to_string(),
                Some(r.rename.to_string()),
                public,
            ),
            syn::UseTree::Glob(_) => self.used(prefix, "*".into(), None, public),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, public);
                }
            }
        }
    }

    fn used(&mut self, prefix: &[String], last: String, rename: Option<String>, public: bool) {
        let mut path = prefix.to_vec();
        let name = rename.unwrap_or_else(|| match last.as_str() {
            "self" => prefix.last().cloned().unwrap_or_default(),
            _ => last.clone(),
        });
        if last != "self" {
            path.push(last);
        }
        let path = self.absolute(path);
        if path.is_empty() {
            self.foreign.insert(name);
            return;
        }
        if public {
            self.handed_on.push(path.clone());
        }
        if name != "*" {
            self.imported.insert(name, path.clone());
        }
        self.found.push(path);
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let public = matches!(item.vis, syn::Visibility::Public(_));
        self.use_tree(&mut Vec::new(), &item.tree, public);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let absolute = self.absolute(segments);
        if !absolute.is_empty() {
            self.found.push(absolute);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.idents.insert(ident.to_string());
    }

    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        self.declared.push(item.ident.to_string());
        syn::visit::visit_item_struct(self, item);
    }

    fn visit_item_enum(&mut self, item: &'ast syn::ItemEnum) {
        self.declared.push(item.ident.to_string());
        syn::visit::visit_item_enum(self, item);
    }

    fn visit_item_type(&mut self, item: &'ast syn::ItemType) {
        self.declared.push(item.ident.to_string());
        if matches!(item.vis, syn::Visibility::Public(_)) {
            let mut names = Paths {
                module: self.module.clone(),
                ..Paths::default()
            };
            names.visit_type(&item.ty);
            self.handed_on.extend(names.found);
        }
        syn::visit::visit_item_type(self, item);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // `#[cfg(test)] mod tests` look inside their own module freely.
        let is_test = item
            .attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") && a.to_token_stream_string().contains("test"));
        if !is_test {
            syn::visit::visit_item_mod(self, item);
        }
    }
}

trait AttrText {
    fn to_token_stream_string(&self) -> String;
}

impl AttrText for syn::Attribute {
    fn to_token_stream_string(&self) -> String {
        quote_attr(self)
    }
}

fn quote_attr(attr: &syn::Attribute) -> String {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.to_string(),
        _ => String::new(),
    }
}

fn read(module: &str, text: &str) -> Paths {
    let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{module}: {e}"));
    let mut paths = Paths {
        module: module.split("::").map(str::to_owned).collect(),
        ..Paths::default()
    };
    paths.visit_file(&file);
    paths
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// What the web layer must not name, and who hands `db` items on.
fn layering_offences(files: &[(String, String)]) -> Vec<String> {
    let read: Vec<(String, Paths)> = files.iter().map(|(m, t)| (m.clone(), read(m, t))).collect();
    let db_items: BTreeSet<String> = read
        .iter()
        .filter(|(m, _)| top(m) == "db" || top(m) == "storage")
        .flat_map(|(_, p)| p.declared.iter().cloned())
        .collect();
    let allowed_storage = ["Store", "Failure"];
    let mut offences = Vec::new();
    for (module, paths) in &read {
        let layer = top(module);
        if layer == "web" {
            for path in &paths.found {
                match path.first().map(String::as_str) {
                    Some("db") => offences.push(format!("{module} names {}", path.join("::"))),
                    Some("storage")
                        if !path
                            .get(1)
                            .is_some_and(|item| allowed_storage.contains(&item.as_str())) =>
                    {
                        offences.push(format!("{module} names {}", path.join("::")))
                    }
                    _ => {}
                }
            }
            // Declared in the web layer itself, a name is the web layer's own.
            for name in paths.idents.intersection(&db_items) {
                let own = read.iter().any(|(m, p)| {
                    top(m) != "db" && top(m) != "storage" && p.declared.contains(name)
                });
                if !own
                    && !allowed_storage.contains(&name.as_str())
                    && !paths.foreign.contains(name)
                {
                    offences.push(format!("{module} names the storage's {name}"));
                }
            }
        }
        if layer != "db" && layer != "storage" {
            for path in &paths.handed_on {
                let hands_db = path.first().map(String::as_str) == Some("db")
                    || path
                        .iter()
                        .any(|s| db_items.contains(s) && !allowed_storage.contains(&s.as_str()));
                if hands_db {
                    offences.push(format!("{module} hands on {}", path.join("::")));
                }
            }
        }
    }
    offences.sort();
    offences.dedup();
    offences
}

/// Import loops between the crate's top-level modules, and between the files of
/// `workflows`.
fn import_loops(files: &[(String, String)]) -> Vec<String> {
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let unit = |module: &str| -> String {
        let parts: Vec<&str> = module.split("::").collect();
        match parts.as_slice() {
            ["workflows", file, ..] => format!("workflows::{file}"),
            [first, ..] => (*first).to_owned(),
            [] => String::new(),
        }
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in files {
        let from = unit(module);
        // The crate root declares the modules; the binary uses them.
        if from.is_empty() {
            continue;
        }
        for path in read(module, text).found {
            let to = unit(&path.join("::"));
            let known = modules.iter().any(|m| unit(m) == to);
            if known && to != from && !(from.starts_with("workflows") && to == "workflows") {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // A loop: a unit that reaches itself.
    let mut loops = Vec::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<Vec<String>> = vec![vec![start.clone()]];
        while let Some(trail) = todo.pop() {
            let last = trail.last().unwrap();
            for next in edges.get(last).into_iter().flatten() {
                if next == start {
                    let mut shown = trail.clone();
                    shown.push(start.clone());
                    loops.push(shown.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    todo.push(longer);
                }
            }
        }
    }
    loops.sort();
    loops
}

#[test]
fn the_web_layer_names_nothing_of_the_database_and_nobody_hands_it_on() {
    let offences = layering_offences(&crate_sources());
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn no_two_modules_import_each_other_round_a_loop() {
    let loops = import_loops(&crate_sources());
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

/// The checks catch what they claim to, spelled each way the review has met.
#[test]
fn the_checks_fail_on_sources_that_break_them() {
    let db = (
        "db::cases".to_owned(),
        "pub struct CaseRow { pub id: i64 }".to_owned(),
    );
    let storage = (
        "storage".to_owned(),
        "pub struct Store; pub enum Failure {} pub enum DbConn {}".to_owned(),
    );
    let caught = |web: &str, workflows: &str| {
        let files = vec![
            db.clone(),
            storage.clone(),
            ("workflows::case_page".to_owned(), workflows.to_owned()),
            ("web::agent::case".to_owned(), web.to_owned()),
        ];
        layering_offences(&files)
    };
    // A re-export under the same name.
    let offences = caught(
        "use crate::workflows::case_page::CaseRow; fn f(_: CaseRow) {}",
        "pub use crate::db::cases::CaseRow;",
    );
    assert!(
        offences
            .iter()
            .any(|o| o.contains("hands on db::cases::CaseRow")),
        "{offences:?}"
    );
    assert!(
        offences
            .iter()
            .any(|o| o.contains("names the storage's CaseRow")),
        "{offences:?}"
    );
    // A renaming re-export, and an alias.
    let offences = caught(
        "use crate::workflows::case_page::Thing; fn f(_: Thing) {}",
        "pub use super::super::db::cases::CaseRow as Thing; pub type Conn = crate::storage::DbConn;",
    );
    assert!(
        offences
            .iter()
            .any(|o| o.contains("hands on db::cases::CaseRow")),
        "{offences:?}"
    );
    assert!(
        offences
            .iter()
            .any(|o| o.contains("hands on storage::DbConn")),
        "{offences:?}"
    );
    // A path written out in the web layer, through `super`, and a connection.
    let offences = caught(
        "fn f() { let _ = super::super::super::db::cases::by_number; } fn g(_: &mut crate::storage::DbConn) {}",
        "",
    );
    assert!(
        offences
            .iter()
            .any(|o| o.contains("names db::cases::by_number")),
        "{offences:?}"
    );
    assert!(
        offences.iter().any(|o| o.contains("names storage::DbConn")),
        "{offences:?}"
    );
    // What is allowed stays allowed.
    assert!(caught("use crate::storage::{Failure, Store};", "").is_empty());

    let loops = import_loops(&[
        ("config".to_owned(), "use crate::jobs::Duties;".to_owned()),
        ("jobs".to_owned(), "use crate::db::x;".to_owned()),
        (
            "db".to_owned(),
            "use crate::config::DatabaseUrl;".to_owned(),
        ),
        (
            "workflows::review".to_owned(),
            "use super::evidence::attach;".to_owned(),
        ),
        (
            "workflows::evidence".to_owned(),
            "use super::review::Actor;".to_owned(),
        ),
    ]);
    assert!(
        loops.iter().any(|l| l == "config → jobs → db → config"),
        "{loops:?}"
    );
    assert!(
        loops
            .iter()
            .any(|l| l == "workflows::evidence → workflows::review → workflows::evidence"),
        "{loops:?}"
    );
}
