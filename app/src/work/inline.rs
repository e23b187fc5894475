//! Task properties changed where they are shown: on the task page, the task list and the board,
//! a property's current value is the button of a small menu of the values it may take. Each menu is a
//! `<details>` holding one `ActionForm` whose buttons carry the value, so it works before (and
//! without) the script as a plain form post; with the script it moves with the arrow keys,
//! closes on Escape and when the focus leaves it (one listener for every menu: `crate::menus`). Every change is `set_task_property`, the same
//! server function (one core update, policy and history) as the task page's; tags go through
//! the task page's `add_task_tag` and `remove_task_tag`.

use leptos::prelude::*;

use super::task_actions::{AddTaskTag, RemoveTaskTag, SetTaskProperty};
use super::{TagChip, TagRow};

/// The menu of one property of one task. `label` names the property (and, where several tasks
/// share a page, the task: "Status of ACME-4"); the children are what the closed menu shows;
/// `choices` are `(value, words)`, the current one marked.
#[component]
pub fn PropertyMenu(
    slug: String,
    task_id: String,
    property: &'static str,
    label: String,
    current: String,
    choices: Vec<(String, String)>,
    action: ServerAction<SetTaskProperty>,
    children: Children,
) -> impl IntoView {
    view! {
        <details class="prop-menu">
            <summary>
                <span class="visually-hidden">{label} ": "</span>
                {children()}
            </summary>
            <ActionForm action=action attr:class="prop-menu-list">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task_id/>
                <input type="hidden" name="property" value=property/>
                {choices.into_iter().map(|(value, words)| {
                    let here = value == current;
                    view! {
                        <button type="submit" class="menu-item" name="value" value=value aria-pressed=if here { "true" } else { "false" }>
                            {words}
                        </button>
                    }
                }).collect_view()}
            </ActionForm>
        </details>
    }
}

/// The due date's menu: a date field and its save button, and a button that clears it.
#[component]
pub fn DueMenu(
    slug: String,
    task_id: String,
    label: String,
    current: Option<String>,
    action: ServerAction<SetTaskProperty>,
    children: Children,
) -> impl IntoView {
    let t = crate::use_t();
    let field_id = format!("due-{task_id}");
    // Built first: the forms' children take what they use.
    let clear = current.is_some().then(|| {
        let (slug, task_id) = (slug.clone(), task_id.clone());
        view! {
            <ActionForm action=action attr:class="prop-menu-list">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task_id/>
                <input type="hidden" name="property" value="due_on"/>
                <button type="submit" class="menu-item" name="value" value="">{t.clear_date()}</button>
            </ActionForm>
        }
    });
    let value = current.unwrap_or_default();
    let field_label = label.clone();
    view! {
        <details class="prop-menu">
            <summary>
                <span class="visually-hidden">{label} ": "</span>
                {children()}
            </summary>
            <ActionForm action=action attr:class="prop-menu-list">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task_id/>
                <input type="hidden" name="property" value="due_on"/>
                <label class="visually-hidden" for=field_id.clone()>{field_label}</label>
                <input id=field_id class="menu-item" type="date" name="value" value=value/>
                <button type="submit" class="menu-item button small">{t.save_short()}</button>
            </ActionForm>
            {clear}
        </details>
    }
}

/// The task's tags as a menu of the workspace's tags: a tag on the task is a pressed button that
/// takes it off, any other one puts it on (`add_task_tag` / `remove_task_tag`, the task page's
/// server functions). The closed menu shows the task's tags, or "Add tag" when it has none.
#[component]
pub fn TagsMenu(
    slug: String,
    task_id: String,
    label: String,
    on_task: Vec<TagRow>,
    all: Vec<TagRow>,
    add: ServerAction<AddTaskTag>,
    remove: ServerAction<RemoveTaskTag>,
) -> impl IntoView {
    let t = crate::use_t();
    let (on, off): (Vec<TagRow>, Vec<TagRow>) = all
        .into_iter()
        .partition(|tag| on_task.iter().any(|o| o.id == tag.id));
    let shown = if on_task.is_empty() {
        view! { <span class="muted" aria-hidden="true">"+"</span> <span class="visually-hidden">{t.add_tag()}</span> }.into_any()
    } else {
        on_task
            .into_iter()
            .map(|tag| view! { <TagChip tag/> " " })
            .collect_view()
            .into_any()
    };
    let take_off = (!on.is_empty()).then(|| {
        let (slug, task_id) = (slug.clone(), task_id.clone());
        view! {
            <ActionForm action=remove attr:class="prop-menu-list">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task_id/>
                {on.into_iter().map(|tag| {
                    let id = tag.id.clone();
                    view! { <button type="submit" class="menu-item" name="tag_id" value=id aria-pressed="true"><TagChip tag/></button> }
                }).collect_view()}
            </ActionForm>
        }
    });
    let put_on = (!off.is_empty()).then(|| {
        view! {
            <ActionForm action=add attr:class="prop-menu-list">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="task_id" value=task_id/>
                {off.into_iter().map(|tag| {
                    let id = tag.id.clone();
                    view! { <button type="submit" class="menu-item" name="tag_id" value=id aria-pressed="false"><TagChip tag/></button> }
                }).collect_view()}
            </ActionForm>
        }
    });
    view! {
        <details class="prop-menu tags-menu">
            <summary>
                <span class="visually-hidden">{label} ": "</span>
                {shown}
            </summary>
            {take_off}
            {put_on}
        </details>
    }
}
