//! The browser half of Bastion: hydrates the `#[island]`s of the server-rendered page
//! (docs/islands-inventory.md). Everything it runs lives in `app`.

// The islands entry names nothing of `app`; without this no island of it would be linked.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
