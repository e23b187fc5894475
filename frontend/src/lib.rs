//! The browser half of Bastion: hydrates the server-rendered HTML so the same components become
//! interactive. Everything it runs lives in `app`.

// The islands entry names nothing of `app`; without this no island of it would be linked.
#[cfg(feature = "islands")]
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Only the `#[island]`s (the default `islands` feature, docs/islands-inventory.md); whole
    // pages without it.
    #[cfg(feature = "islands")]
    leptos::mount::hydrate_islands();
    #[cfg(not(feature = "islands"))]
    leptos::mount::hydrate_body(app::App);
}
