// `sqlx::migrate!` embeds the migration folders at compile time, but cargo does not know the
// macro read them: without this, a new migration file is missed by an incremental build and the
// binary silently runs the old set.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/public");
    println!("cargo:rerun-if-changed=../../migrations/tenant");
}
