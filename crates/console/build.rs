//! The built-in templates are embedded with `include_dir!`, which cannot tell cargo which files it read:
//! rebuild when anything under `assets/templates` changes.

fn main() {
    println!("cargo:rerun-if-changed=../../assets/templates");
    println!("cargo:rerun-if-changed=build.rs");
}
