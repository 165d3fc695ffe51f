//! The check metadata of `checks/*.toml` becomes the `static` `CheckDef`s of `src/checks/`.
fn main() {
    demarc_sdk::codegen::checks("checks");
}
