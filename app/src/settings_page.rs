//! A workspace's settings: the plan and what it includes, the application clock and currency,
//! and for admins the plan form, the export of the whole workspace and the danger zone. What a
//! non-admin may not do is not shown; the server refuses it regardless (same `policy` calls).

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::{action_error, action_outcome, FormError, FormOutcome, LoadedPage};
use crate::policy::{self, Plan, Role};
use crate::table::Table;
use crate::url::route_param;
use crate::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub my_role: Role,
    /// The caller's unread notices, for the workspace's navigation.
    pub unread: i64,
    /// The newest export, if any.
    pub export: Option<ExportState>,
    /// For admins: how many history events moving to each plan would delete at the next
    /// retention run (all zero unless a plan keeps history for less time than it has been kept).
    pub purge_costs: Vec<(String, u64)>,
    /// Whether every member must have two-factor sign-in on.
    pub require_two_factor: bool,
    /// Whether the caller has two-factor sign-in on (asked for admins only: the form says an
    /// admin without it cannot require it).
    pub my_two_factor: bool,
}

/// What moving to `plan` deletes, as the admin is asked to confirm it.
fn purge_warning(t: crate::i18n::T, plan: &str, events: u64) -> String {
    let days = policy::plan_retention_days(plan);
    if events == 1 {
        t.purge_warning_one(plan_label(plan), days)
    } else {
        t.purge_warning_other(plan_label(plan), events, days)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportState {
    pub id: String,
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub download_url: Option<String>,
    pub expires: Option<String>,
}

/// An export as the page shows it; the archive's end in Brussels time, like every time shown.
#[cfg(feature = "ssr")]
async fn status_of(
    ctx: &crate::server::ServerContext,
    locale: bastion_i18n::Locale,
    slug: &str,
    job: &bastion_core::jobs::Job,
) -> Result<ExportState, UiError> {
    let expires = match job.expires_at {
        Some(at) => crate::work::srv::local_times_in(&ctx.pool, locale, &[at])
            .await?
            .pop(),
        None => None,
    };
    Ok(ExportState {
        id: job.id.to_string(),
        state: job.state.clone(),
        done: job.progress_done,
        total: job.progress_total,
        download_url: (job.state == "done")
            .then(|| format!("/api/v1/workspaces/{slug}/export/{}/download", job.id)),
        expires,
    })
}

/// The settings page's facts: the workspace, the caller's role (the page asks `policy` what to
/// show with it) and, for who may export, the newest export.
#[server(prefix = "/api/fn", endpoint = "workspace_settings")]
pub async fn load_settings(slug: String) -> Result<SettingsView, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let mut opened = crate::server::open(&slug).await?;
    let mut purge_costs = Vec::new();
    let now = time::OffsetDateTime::now_utc();
    for plan in policy::PLANS {
        match bastion_core::audit::purge_preview(&mut opened.tx, opened.viewer, plan, now).await {
            Ok(events) => purge_costs.push((plan.to_owned(), events)),
            // Core decides who may change the plan; the others are shown no costs.
            Err(bastion_core::CoreError::Forbidden(_)) => break,
            Err(e) => return Err(e.into()),
        }
    }
    let unread =
        bastion_core::work::notifications::unread_count(&mut opened.tx, &opened.viewer).await?;
    // The settings and jobs live in the control plane.
    opened.tx.rollback().await?;
    let ws = opened.workspace;
    let export = match bastion_core::exports::latest(&ctx.pool, opened.viewer, &ws).await? {
        Some(job) => Some(status_of(&ctx, locale, &ws.slug, &job).await?),
        None => None,
    };
    // The caller's own account: nothing to permit, and the page asks policy whether to use it.
    let my_two_factor =
        bastion_core::two_factor::has_second_factor(&ctx.pool, opened.user.id).await?;
    Ok(SettingsView {
        slug: ws.slug,
        name: ws.name,
        plan: ws.plan,
        my_role: opened.viewer.role,
        unread,
        export,
        purge_costs,
        require_two_factor: ws.require_two_factor,
        my_two_factor,
    })
}

/// Changes the plan. A move that would delete history needs `confirm=delete`, ticked by the
/// admin beside the warning of how much goes.
#[server(prefix = "/api/fn", endpoint = "change_plan")]
pub async fn change_plan(
    slug: String,
    plan: String,
    confirm: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let mut opened = crate::server::open(&slug).await?;
    let now = time::OffsetDateTime::now_utc();
    let events =
        bastion_core::audit::purge_preview(&mut opened.tx, opened.viewer, &plan, now).await?;
    opened.tx.rollback().await?;
    let changes = opened.workspace.plan != plan;
    if changes && events > 0 && confirm.as_deref() != Some("delete") {
        return Err(UiError::invalid(
            "confirm",
            purge_warning(crate::use_t(), &plan, events),
        ));
    }
    let ws = bastion_core::workspaces::set_plan(&ctx.pool, opened.viewer, &opened.workspace, &plan)
        .await?;
    Ok(crate::use_t().plan_now(plan_label(&ws.plan)))
}

/// Requires two-factor sign-in of every member (`require` ticked) or stops requiring it.
#[server(prefix = "/api/fn", endpoint = "require_two_factor")]
pub async fn set_require_two_factor(
    slug: String,
    require: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let on = require.is_some();
    let change = bastion_core::workspaces::SettingsChange {
        require_two_factor: Some(on),
        ..Default::default()
    };
    bastion_core::workspaces::change_settings(&ctx.pool, opened.viewer, &opened.workspace, &change)
        .await?;
    let t = crate::use_t();
    Ok(if on {
        t.require_two_factor_now_on()
    } else {
        t.require_two_factor_now_off()
    }
    .to_owned())
}

#[server(prefix = "/api/fn", endpoint = "start_export")]
pub async fn start_export(slug: String) -> Result<ExportState, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let job = bastion_core::exports::start(&ctx.pool, opened.viewer, &opened.workspace).await?;
    status_of(&ctx, locale, &opened.workspace.slug, &job).await
}

#[server(prefix = "/api/fn", endpoint = "export_status")]
pub async fn export_status(slug: String, id: String) -> Result<ExportState, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    // An id that does not parse names no export: core answers it like any unknown id, after
    // the permission check.
    let id = uuid::Uuid::parse_str(&id).unwrap_or(uuid::Uuid::nil());
    let job = bastion_core::exports::get(&ctx.pool, opened.viewer, &opened.workspace, id).await?;
    status_of(&ctx, locale, &opened.workspace.slug, &job).await
}

#[server(prefix = "/api/fn", endpoint = "erase_workspace")]
pub async fn erase_workspace(slug: String, confirm: String) -> Result<(), UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    // Our own tenant transaction would hold the schema the erasure drops.
    opened.tx.rollback().await?;
    bastion_core::workspaces::erase_confirmed(
        &ctx.pool,
        &ctx.objects,
        opened.viewer,
        &opened.workspace,
        &confirm,
    )
    .await?;
    // To the start page: the workspace's own pages answer 404 from now on (a form posted
    // without script would otherwise come back to the erased workspace's settings).
    leptos_axum::redirect("/");
    Ok(())
}

pub fn plan_label(plan: &str) -> &'static str {
    match plan {
        "starter" => "Starter",
        "pro" => "Pro",
        _ => "Business",
    }
}

fn retention_label(t: crate::i18n::T, plan: &str) -> &'static str {
    match policy::plan_retention_days(plan) {
        90 => t.retention_90_days(),
        365 => t.retention_1_year(),
        _ => t.retention_3_years(),
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let slug = route_param("slug");
    let change = crate::error::server_action::<ChangePlan>();
    let require = crate::error::server_action::<SetRequireTwoFactor>();
    let data = Resource::new(
        move || (slug(), change.version().get(), require.version().get()),
        |(slug, _, _)| load_settings(slug),
    );
    let outcome = action_outcome(change);
    let require_outcome = action_outcome(require);
    let t = crate::use_t();

    let page = move |view: SettingsView| {
        let admin = policy::can_manage_workspace(view.my_role);
        let plan = view.plan.clone();
        view! {
            <leptos_meta::Title text=crate::work::raw_text(&t.workspace_page_title(t.nav_settings(), &view.name))/>
            <crate::work::WorkNav slug=view.slug.clone() role=view.my_role unread=view.unread current="settings"/>
            <section class="card" aria-labelledby="settings-title">
                <h1 id="settings-title">{t.settings_heading(view.name.clone())}</h1>
                <h2>{t.col_plan()}</h2>
                <p>{t.current_plan()} " " <strong data-testid="plan">{plan_label(&plan)}</strong></p>
                <Table class="table" heads=vec![t.col_plan(), t.col_history_kept(), t.col_audit_export(), t.col_everything_else()]>
                    {policy::PLANS.into_iter().map(|p| view! {
                        <tr aria-current=(p == plan).then_some("true")>
                            <td data-label=t.col_plan()>{plan_label(p)}{(p == plan).then(|| format!(" {}", t.current_suffix()))}</td>
                            <td data-label=t.col_history_kept()>{retention_label(t, p)}</td>
                            <td data-label=t.col_audit_export()>{if Plan::parse(p).is_some_and(Plan::includes_audit_export) { t.yes() } else { "—" }}</td>
                            <td data-label=t.col_everything_else()>{t.yes()}</td>
                        </tr>
                    }).collect_view()}
                </Table>
                {admin.then(|| {
                    let slug = view.slug.clone();
                    let current = view.plan.clone();
                    // The plan picked in the form, so that a move that deletes history says how
                    // much before it is saved.
                    let chosen = RwSignal::new(current.clone());
                    let costs = view.purge_costs.clone();
                    let unchanged = current.clone();
                    let cost = move || {
                        let chosen = chosen.get();
                        // Staying on the plan costs nothing the hourly clean-up would not do anyway.
                        if chosen == unchanged {
                            return None;
                        }
                        costs
                            .iter()
                            .find(|(plan, _)| *plan == chosen)
                            .map(|(_, events)| *events)
                            .filter(|events| *events > 0)
                            .map(|events| purge_warning(t, &chosen, events))
                    };
                    view! {
                        <ActionForm action=change attr:class="form inline-fields plan-form">
                            <input type="hidden" name="slug" value=slug/>
                            <div class="field">
                                <label for="plan-select">{t.change_plan()}</label>
                                <select
                                    id="plan-select"
                                    name="plan"
                                    on:change=move |ev| chosen.set(event_target_value(&ev))
                                >
                                    {policy::PLANS.into_iter().map(|p| view! {
                                        <option value=p selected=p == current>{plan_label(p)}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            {move || cost().map(|warning| view! {
                                <div class="field whole-row">
                                    <p class="form-error" id="plan-warning">{warning}</p>
                                    <label>
                                        <input type="checkbox" name="confirm" value="delete" required aria-describedby="plan-warning"/>
                                        " " {t.purge_confirm()}
                                    </label>
                                </div>
                            })}
                            <button type="submit" class="button" disabled=move || change.pending().get()>{t.save_plan()}</button>
                        </ActionForm>
                    }
                })}
                <FormOutcome outcome/>
                {admin.then(|| {
                    let slug = view.slug.clone();
                    let required = view.require_two_factor;
                    // Without it themselves, an admin could only lock themselves out: core
                    // refuses, and the form says so beforehand.
                    let may_turn_on = view.my_two_factor || required;
                    view! {
                        <h2 id="require-two-factor-title">{t.require_two_factor_heading()}</h2>
                        <p id="require-two-factor-text">{t.require_two_factor_text()}</p>
                        {(!may_turn_on).then(|| view! {
                            <p class="muted" id="require-two-factor-hint">
                                {t.require_two_factor_self_hint()} " "
                                <a href="/account#two-factor-title">{t.error_two_factor_set_up()}</a>
                            </p>
                        })}
                        <ActionForm action=require attr:class="form narrow-form" attr:aria-labelledby="require-two-factor-title">
                            <input type="hidden" name="slug" value=slug/>
                            <div class="check">
                                <input type="checkbox" id="require-two-factor" name="require" value="on"
                                    checked=required aria-describedby="require-two-factor-text"/>
                                <label for="require-two-factor">{t.require_two_factor_label()}</label>
                            </div>
                            <FormOutcome outcome=require_outcome ok_class="form-ok"/>
                            <button type="submit" class="button" disabled=move || require.pending().get()>{t.require_two_factor_save()}</button>
                        </ActionForm>
                    }
                })}
                <h2>{t.region_heading()}</h2>
                <dl class="facts">
                    <dt>{t.data_stored_in()}</dt><dd>{t.european_union()}</dd>
                    <dt>{t.clock()}</dt><dd data-testid="clock">"Europe/Brussels"</dd>
                    <dt>{t.currency()}</dt><dd data-testid="currency">"EUR (€)"</dd>
                </dl>
            </section>
            <crate::api_access::TokensPanel slug=view.slug.clone()/>
            {policy::can_manage_integrations(view.my_role).then(|| view! {
                <crate::api_access::IntegrationsPanel slug=view.slug.clone()/>
                <crate::api_access::ChatPanel slug=view.slug.clone()/>
            })}
            {policy::can_manage_webhooks(view.my_role).then(|| view! {
                <crate::api_access::WebhooksPanel slug=view.slug.clone()/>
            })}
            {admin.then(|| view! { <crate::sso::SsoPanel slug=view.slug.clone()/> })}
            {policy::can_export_workspace(view.my_role).then(|| view! {
                <ExportPanel slug=view.slug.clone() last=view.export.clone()/>
            })}
            {policy::can_import_archive(view.my_role).then(|| view! {
                <crate::restore::RestorePanel slug=view.slug.clone()/>
            })}
            {policy::can_erase_workspace(view.my_role).then(|| view! {
                <DangerZone slug=view.slug.clone() name=view.name.clone()/>
            })}
        }
    };
    view! {
        <Title text=t.settings_title()/>
        <LoadedPage title=t.settings() loading=t.settings_loading() data page/>
    }
}

/// Starts an export and follows it: the status is polled every second until the archive is
/// ready, then a download link appears.
#[component]
fn ExportPanel(slug: String, last: Option<ExportState>) -> impl IntoView {
    let start = crate::error::server_action::<StartExport>();
    // The page is the server's: a started export is the flashed answer of the form post.
    let initial = match start.value().get_untracked() {
        Some(Ok(status)) => Some(status),
        _ => last,
    };
    let start_error = action_error(start);
    let t = crate::use_t();
    let progress = view! { <ExportProgress slug=slug.clone() initial/> };
    view! {
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">{t.export_heading()}</h2>
            <p>{t.export_text()}</p>
            <ActionForm action=start attr:class="inline-form">
                <input type="hidden" name="slug" value=slug/>
                <button type="submit" class="button" disabled=move || start.pending().get()>{t.export_start()}</button>
            </ActionForm>
            <FormError error=start_error/>
            {progress}
        </section>
    }
}

/// An export's state, followed while it is unfinished.
#[island]
fn ExportProgress(slug: String, initial: Option<ExportState>) -> impl IntoView {
    let current = RwSignal::new(initial);
    // Every new status (also an unchanged one: setting a signal notifies) schedules the next
    // poll while the export is unfinished. Effects run in the browser only.
    Effect::new(move |_| {
        let Some(status) = current.get() else {
            return;
        };
        if matches!(status.state.as_str(), "queued" | "running") {
            let slug = slug.clone();
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        match export_status(slug, status.id.clone()).await {
                            Ok(next) => current.set(Some(next)),
                            Err(_) => current.set(Some(status)),
                        }
                    });
                },
                std::time::Duration::from_secs(1),
            );
        }
    });
    let t = crate::use_t();
    move || {
        current.get().map(|s| {
            let percent = if s.total > 0 { s.done * 100 / s.total } else { 0 };
            match (s.state.as_str(), s.download_url.clone()) {
                ("done", Some(url)) => view! {
                    <p role="status">
                        {t.export_ready()} " "
                        <a href=url download="" class="button secondary">{t.export_download()}</a>
                        {s.expires.clone().map(|e| view! { <span class="muted">" " {t.export_available_until(e)}</span> })}
                    </p>
                }.into_any(),
                ("failed", _) => view! {
                    <p class="form-error" role="alert">{t.export_failed()}</p>
                }.into_any(),
                _ => view! {
                    <p role="status">
                        {t.exporting()} " "
                        <progress max="100" value=percent.to_string()>{format!("{percent}%")}</progress>
                        " " {t.export_progress(s.done, s.total)}
                    </p>
                }.into_any(),
            }
        })
    }
}

/// Erasing asks for the workspace's name, typed, before the button does anything. The server
/// checks the name too: before the script runs (or without it) the button is enabled, and a
/// wrong name comes back as the form's error.
#[component]
fn DangerZone(slug: String, name: String) -> impl IntoView {
    let erase = crate::error::server_action::<EraseWorkspace>();
    let failure = action_error(erase);
    let t = crate::use_t();
    view! {
        <section class="card danger-zone" aria-labelledby="danger-title">
            <h2 id="danger-title">{t.danger_zone()}</h2>
            <p>{t.erase_text()}</p>
            <ActionForm action=erase attr:class="form">
                <input type="hidden" name="slug" value=slug/>
                <EraseConfirm name/>
            </ActionForm>
            <FormError error=failure/>
        </section>
    }
}

/// The name to type and the button it unlocks.
#[island]
fn EraseConfirm(name: String) -> impl IntoView {
    let (typed, set_typed) = signal(String::new());
    let (live, set_live) = signal(false);
    Effect::new(move |_| set_live.set(true));
    let name_matches = {
        let name = name.clone();
        move || typed.get().trim() == name
    };
    let t = crate::use_t();
    view! {
        <label for="erase-confirm">{t.erase_type_before()} " " <strong>{name}</strong> " " {t.erase_type_after()}</label>
        <input id="erase-confirm" name="confirm" autocomplete="off"
            on:input=move |ev| set_typed.set(event_target_value(&ev))/>
        <button type="submit" class="button danger"
            disabled=move || live.get() && !name_matches()>{t.erase_submit()}</button>
    }
}
