//! Turns the catalogues in `locales/<language>/*.ftl` into one method per message on
//! `bastion_i18n::T`, so a message the code asks for but no catalogue has is a compile error,
//! and a message missing from any language (or using a placeholder English does not have) fails
//! the build with the file and key named.
//!
//! The syntax is the simplest part of Fluent (projectfluent.org), which translators' tools know:
//! `key = text` per line, `{ $name }` for a value put in, indented lines continue the text
//! (joined with a space), `\n` breaks a line, `#` starts a comment. Selectors, terms and
//! attributes are refused rather than half-supported. The reading and checking is
//! `src/catalogue.rs`, which the crate's tests exercise on broken catalogues.

use std::path::Path;

#[path = "src/catalogue.rs"]
mod catalogue;
use catalogue::{check, generate, parse, Catalogue, LANGUAGES};

fn main() {
    // Read at run time, not with env!: cargo reuses a compiled build script for a checkout at
    // another path (a second clone sharing the target directory), and env! would point it at the
    // first checkout's catalogues.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("locales");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut catalogues: Vec<Catalogue> = Vec::new();
    let mut errors = Vec::new();
    for (language, _) in LANGUAGES {
        let dir = root.join(language);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort();
        let mut messages = Catalogue::new();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let source = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let name = format!(
                "locales/{language}/{}",
                file.file_name().unwrap().to_string_lossy()
            );
            parse(&name, &source, &mut messages, &mut errors);
        }
        catalogues.push(messages);
    }
    check(&catalogues, &mut errors);
    if !errors.is_empty() {
        panic!(
            "the message catalogues disagree:\n  {}",
            errors.join("\n  ")
        );
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("messages.rs");
    std::fs::write(dest, generate(&catalogues)).expect("write messages.rs");
}
