//! `sqlx::migrate!` embeds the migrations when this crate compiles, but
//! cargo does not know it reads that folder: without this, a new migration
//! is left out of a build until something else in the crate changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
