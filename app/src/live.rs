//! Live updates in the browser: a page follows its workspace's event stream (`GET
//! /api/v1/workspaces/{ws}/events`, Server-Sent Events carrying ids only) through its
//! [`LiveReload`] island, and when something it shows changed, fetches the page again and puts
//! the new content in place. The `EventSource` exists in the browser only (made in an effect,
//! which the server never runs), so server rendering never connects, and the page without
//! script simply does not update itself. The browser reconnects on its own with
//! `Last-Event-ID`, and the server replays what was missed.

use leptos::prelude::*;

/// One event as the page sees it: what kind, and which task (if any).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct LiveEvent {
    pub kind: String,
    pub task_id: Option<String>,
}

/// The event names of the stream (`event:` lines): an `EventSource` hears a named event only
/// through a listener for that name. `reset` means "reload everything".
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const KINDS: [&str; 13] = [
    "task.created",
    "task.updated",
    "task.moved",
    "task.deleted",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "notification.created",
    "notification.read",
    "member.added",
    "member.updated",
    "member.removed",
    "reset",
];

/// Board, task list: any task, and the inbox count in the navigation.
pub fn tasks_or_inbox(event: &LiveEvent) -> bool {
    event.kind.starts_with("task.") || inbox(event)
}

/// The inbox count (every page's navigation) and the inbox page.
pub fn inbox(event: &LiveEvent) -> bool {
    event.kind.starts_with("notification.") || event.kind == "reset"
}

/// What [`LiveReload`] follows: a counter that goes up (at most every 150 ms) when an event of
/// the workspace `slug` that `wants` accepts arrives. It stays 0 on the server. While a text
/// field of the page holds unsaved typing, the refresh waits, so that redrawing the page never
/// throws away what someone is writing.
///
/// A page whose data says where the stream stood when it was read ([`Live::seen`]) is not
/// refreshed for events it already shows: above all its own change, whose event arrives just
/// after the page load the change itself made. Refreshing twice closed an open menu and could
/// drop a key pressed between the two redraws.
#[derive(Clone, Copy)]
struct Live {
    version: ReadSignal<u64>,
    seen: StoredValue<i64>,
}

impl Live {
    /// The counter, tracked.
    fn get(&self) -> u64 {
        self.version.get()
    }

    /// The page now shows everything up to stream position `seq` (`live::position`, read
    /// before the data). Set, not raised: after a move to another workspace, whose positions
    /// are its own, the old workspace's higher one must not hide the new one's events (a lower
    /// value only costs a reload).
    fn seen(&self, seq: i64) {
        self.seen.set_value(seq);
    }
}

fn use_live(
    slug: impl Fn() -> String + Send + Sync + 'static,
    wants: impl Fn(&LiveEvent) -> bool + 'static,
) -> Live {
    let (version, set_version) = signal(0u64);
    let seen = StoredValue::new(0i64);
    #[cfg(feature = "hydrate")]
    browser::follow(slug, wants, set_version, seen);
    #[cfg(not(feature = "hydrate"))]
    let _ = (slug, wants, set_version);
    Live { version, seen }
}

/// What a page follows, named: [`LiveReload`]'s props.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Follows {
    /// [`tasks_or_inbox`]: the board, the list, the calendar.
    TasksOrInbox,
    /// [`inbox`]: the workspace's home.
    Inbox,
    /// The inbox page: [`inbox`], and tasks changed (their titles and states are shown).
    InboxAndTasks,
    /// The task page: [`inbox`], and this task's changes.
    Task,
}

impl Follows {
    /// Whether the page wants `event`; `task` is the task page's task.
    pub fn wants(self, event: &LiveEvent, task: Option<&str>) -> bool {
        match self {
            Follows::TasksOrInbox => tasks_or_inbox(event),
            Follows::Inbox => inbox(event),
            Follows::InboxAndTasks => inbox(event) || event.kind == "task.updated",
            Follows::Task => {
                inbox(event)
                    || match (task, &event.task_id) {
                        (Some(shown), Some(changed)) => shown == changed,
                        _ => event.kind.starts_with("task.") || event.kind.starts_with("comment."),
                    }
            }
        }
    }
}

/// The page's follower ([`LiveReload`]), rendered with the page's data: `seen` is where the
/// stream stood when the data was read.
pub fn follow(slug: String, follows: Follows, task: Option<String>, seen: i64) -> impl IntoView {
    view! { <LiveReload slug follows task seen/> }
}

/// Follows the stream ([`use_live`]), and when the page would change, fetches the page anew
/// from the server and puts its `<main>` in place of the shown one, without a reload: the scroll
/// position stays, the focus goes back to the element of the same id, and the new content's
/// islands are hydrated. Unsaved typing postpones it. This follower itself goes on, told where
/// the new page stands.
#[island]
fn LiveReload(slug: String, follows: Follows, task: Option<String>, seen: i64) -> impl IntoView {
    let live = use_live(
        move || slug.clone(),
        move |event| follows.wants(event, task.as_deref()),
    );
    live.seen(seen);
    Effect::new(move |_| {
        if live.get() > 0 {
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(swap::refresh(live));
        }
    });
}

/// The refresh in place ([`LiveReload`]).
#[cfg(feature = "hydrate")]
mod swap {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Element, HtmlElement, HtmlTemplateElement};

    use super::Live;

    /// The page's address, fetched as a browser would load it.
    async fn fetch_page() -> Option<String> {
        let window = window();
        let href = window.location().href().ok()?;
        let init = web_sys::RequestInit::new();
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let answer: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&href, &init))
                .await
                .ok()?
                .dyn_into()
                .ok()?;
        // Signed out, or sent elsewhere: only a real load shows that properly.
        if !answer.ok() || answer.redirected() {
            return None;
        }
        JsFuture::from(answer.text().ok()?).await.ok()?.as_string()
    }

    fn islands(root: &Element) -> Vec<Element> {
        crate::elements(root, "leptos-island")
    }

    pub async fn refresh(live: Live) {
        let Some(html) = fetch_page().await else {
            let _ = window().location().reload();
            return;
        };
        let document = document();
        let Some(shown) = document.query_selector("main").ok().flatten() else {
            return;
        };
        // A template's content is inert: nothing in it loads or runs while it is read.
        let Some(template) = document
            .create_element("template")
            .ok()
            .and_then(|t| t.dyn_into::<HtmlTemplateElement>().ok())
        else {
            return;
        };
        template.set_inner_html(&html);
        let content = template.content();
        let Some(fresh) = content.query_selector("main").ok().flatten() else {
            let _ = window().location().reload();
            return;
        };
        // The new page's follower stays inert: this one goes on from where that page stands.
        for island in islands(&fresh) {
            let component = island.get_attribute("data-component").unwrap_or_default();
            if component.starts_with("live_reload") {
                let seen = island
                    .get_attribute("data-props")
                    .and_then(|props| serde_json::from_str::<serde_json::Value>(&props).ok())
                    .and_then(|props| props.get("seen").and_then(serde_json::Value::as_i64));
                if let Some(seen) = seen {
                    live.seen(seen);
                }
                island.remove();
            }
        }
        let focused = document
            .active_element()
            .filter(|e| shown.contains(Some(e)))
            .map(|e| e.id())
            .filter(|id| !id.is_empty());
        shown.set_inner_html(&fresh.inner_html());
        if let Some(title) = content.query_selector("title").ok().flatten() {
            document.set_title(&title.text_content().unwrap_or_default());
        }
        // The new islands come alive as on a load (`window.__hydrateIsland`, Leptos' island
        // script); one inside another is part of it.
        let hydrate = js_sys::Reflect::get(&window(), &"__hydrateIsland".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        for island in islands(&shown) {
            let nested = island
                .parent_element()
                .and_then(|p| p.closest("leptos-island").ok().flatten())
                .is_some();
            if let (Some(hydrate), false) = (&hydrate, nested) {
                let component = island.get_attribute("data-component").unwrap_or_default();
                let _ = hydrate.call2(&window(), &island, &component.into());
            }
        }
        if let Some(el) = focused
            .and_then(|id| document.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{LiveEvent, KINDS};
    use leptos::prelude::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::{closure::Closure, JsCast};

    /// The open stream and its listeners, dropped (closed) with the page.
    struct Open {
        source: web_sys::EventSource,
        _listeners: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    }

    impl Drop for Open {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    pub(super) fn follow(
        slug: impl Fn() -> String + Send + Sync + 'static,
        wants: impl Fn(&LiveEvent) -> bool + 'static,
        set_version: WriteSignal<u64>,
        seen: StoredValue<i64>,
    ) {
        let wants = Rc::new(wants);
        let pending = Rc::new(Cell::new(false));
        let heard = Rc::new(Cell::new(0i64));
        let current: StoredValue<Option<Open>, LocalStorage> = StoredValue::new_local(None);
        Effect::new(move |_| {
            let slug = slug();
            // A new workspace: the old stream closes as its `Open` drops.
            current.set_value(open(
                &slug,
                wants.clone(),
                &pending,
                &heard,
                set_version,
                seen,
            ));
        });
        on_cleanup(move || current.set_value(None));
    }

    fn open(
        slug: &str,
        wants: Rc<dyn Fn(&LiveEvent) -> bool>,
        pending: &Rc<Cell<bool>>,
        heard: &Rc<Cell<i64>>,
        set_version: WriteSignal<u64>,
        seen: StoredValue<i64>,
    ) -> Option<Open> {
        let source =
            web_sys::EventSource::new(&format!("/api/v1/workspaces/{slug}/events")).ok()?;
        let mut listeners = Vec::new();
        for kind in KINDS {
            let wants = wants.clone();
            let pending = pending.clone();
            let heard = heard.clone();
            let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |message: web_sys::MessageEvent| {
                    let mut event: LiveEvent = message
                        .data()
                        .as_string()
                        .and_then(|data| serde_json::from_str(&data).ok())
                        .unwrap_or_default();
                    event.kind = kind.to_owned();
                    if !wants(&event) {
                        return;
                    }
                    // A reset (or an event without an id) is newer than anything shown.
                    let seq = match kind {
                        "reset" => i64::MAX,
                        _ => message.last_event_id().parse().unwrap_or(i64::MAX),
                    };
                    heard.set(heard.get().max(seq));
                    if !pending.replace(true) {
                        bump_later(pending.clone(), heard.clone(), set_version, seen);
                    }
                },
            );
            source
                .add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref())
                .ok()?;
            listeners.push(listener);
        }
        Some(Open {
            source,
            _listeners: listeners,
        })
    }

    /// Several events of one change (a task and its notice) make one refetch; unsaved typing
    /// postpones it; none is needed when the page has meanwhile loaded data that includes them.
    fn bump_later(
        pending: Rc<Cell<bool>>,
        heard: Rc<Cell<i64>>,
        set_version: WriteSignal<u64>,
        seen: StoredValue<i64>,
    ) {
        set_timeout(
            move || {
                if typing() {
                    bump_later(pending, heard, set_version, seen);
                } else {
                    pending.set(false);
                    // The next load says where it stands; later events raise this again.
                    if heard.replace(0) > seen.get_value() {
                        set_version.update(|v| *v += 1);
                    }
                }
            },
            std::time::Duration::from_millis(150),
        );
    }

    /// Whether someone is at work on the page: a text field holds something typed and not yet
    /// sent, the focus is in a text field, a form is open in a disclosure (an edit panel, a
    /// card's move menu), or a card is being carried on the board (by mouse or keyboard), all
    /// of which redrawing the page would throw away.
    fn typing() -> bool {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return false;
        };
        if document
            .query_selector("details[open] form, .board.dragging, .calendar.dragging")
            .ok()
            .flatten()
            .is_some()
        {
            return true;
        }
        if let Some(active) = document.active_element() {
            if active.dyn_ref::<web_sys::HtmlTextAreaElement>().is_some()
                || active
                    .dyn_ref::<web_sys::HtmlInputElement>()
                    .is_some_and(|input| {
                        !matches!(
                            input.type_().as_str(),
                            "checkbox" | "radio" | "submit" | "button" | "hidden"
                        )
                    })
            {
                return true;
            }
        }
        let Ok(fields) = document.query_selector_all(
            "textarea, input:not([type]), input[type=text], input[type=search], \
             input[type=number], input[type=date], input[type=email], input[type=url]",
        ) else {
            return false;
        };
        (0..fields.length()).any(|i| {
            let Some(field) = fields.item(i) else {
                return false;
            };
            if let Some(area) = field.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                area.default_value()
                    .is_ok_and(|typed_over| typed_over != area.value())
            } else if let Some(input) = field.dyn_ref::<web_sys::HtmlInputElement>() {
                input.value() != input.default_value()
            } else {
                false
            }
        })
    }
}
