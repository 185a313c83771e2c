//! The catalogue is the one registration of a check: every public check function in `src/checks/` must be in it,
//! under the module that defines it, exactly once; otherwise no backend would ever run it.

#![allow(clippy::panic, reason = "test code")]
use std::collections::BTreeSet;
use std::path::Path;

/// `(module, name)` of every `pub async fn` in the check modules' sources.
fn defined_checks() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
    let mut found = BTreeSet::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
            .path();
        let module = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        if module == "mod" || path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        for line in source.lines() {
            if let Some(rest) = line.strip_prefix("pub async fn ") {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                found.insert((module.clone(), name));
            }
        }
    }
    found
}

#[test]
fn every_public_check_is_in_the_catalogue_once() {
    let defined = defined_checks();
    assert!(
        defined.len() > 20,
        "found only {} checks: is the source layout different?",
        defined.len()
    );
    let registered: Vec<(String, String)> = conformance::checks::all()
        .iter()
        .map(|check| (check.module.to_owned(), check.name.to_owned()))
        .collect();
    let unique: BTreeSet<(String, String)> = registered.iter().cloned().collect();
    assert_eq!(unique.len(), registered.len(), "a check is registered twice");
    let missing: Vec<_> = defined.difference(&unique).collect();
    assert!(
        missing.is_empty(),
        "public checks missing from the catalogue (checks/mod.rs): {missing:?}"
    );
    let stale: Vec<_> = unique.difference(&defined).collect();
    assert!(
        stale.is_empty(),
        "catalogued checks with no public function in their module: {stale:?}"
    );
}

#[test]
fn names_are_unique_across_modules() {
    let mut seen = BTreeSet::new();
    for check in conformance::checks::all() {
        assert!(seen.insert(check.name), "two checks are named `{}`", check.name);
    }
}
