//! The browser half of Bastion: hydrates the server-rendered HTML so the same components become
//! interactive. Everything it runs lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
