//! The settings page's API panels (issue 18): every member's own API tokens for the workspace
//! (create with the secret shown once, rotate, revoke, see when each was last used) and, for
//! admins, the workspace's integrations (add with the access token sealed, delete; the token is
//! only ever shown masked). The same core functions as the REST doors (`api_tokens`,
//! `integrations`), which decide; a token is only made or rotated from a signed-in session.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{action_outcome, FormOutcome};
use crate::policy::SecretString;
use crate::table::Table;
use crate::UiError;

/// How long a new token lives, as the form offers it (days; 0: until revoked).
const LIFETIMES: [i64; 4] = [30, 90, 365, 0];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    /// Its first characters, to recognise it.
    pub prefix: String,
    /// Brussels time.
    pub created: String,
    pub last_used: Option<String>,
    pub expires: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    /// `••••f00d`.
    pub masked: String,
    pub created: String,
}

/// The caller's tokens for this workspace, newest last (revoked and expired ones too, so the
/// list explains why an integration stopped).
#[server(prefix = "/api/fn", endpoint = "api_tokens")]
pub async fn api_tokens(slug: String) -> Result<Vec<TokenRow>, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let opened = crate::server::open(&slug).await?;
    // Tokens live in the control plane; the tenant transaction only proved membership.
    opened.tx.rollback().await?;
    let tokens =
        bastion_core::api_tokens::list(&ctx.pool, opened.user.id, opened.workspace.id, None, 200)
            .await?;
    let now = time::OffsetDateTime::now_utc();
    let mut moments = Vec::new();
    for t in &tokens {
        moments.push(t.created_at);
        moments.extend(t.last_used_at);
        moments.extend(t.expires_at);
    }
    let mut local = crate::work::srv::local_times_in(&ctx.pool, locale, &moments)
        .await?
        .into_iter();
    Ok(tokens
        .into_iter()
        .map(|t| {
            let created = local.next().unwrap_or_default();
            let last_used = t.last_used_at.and_then(|_| local.next());
            let expires = t.expires_at.and_then(|_| local.next());
            let state = if t.revoked_at.is_some() {
                "revoked"
            } else if t.expires_at.is_some_and(|at| at <= now) {
                "expired"
            } else {
                "active"
            };
            TokenRow {
                id: t.id.to_string(),
                name: t.name,
                prefix: t.token_prefix,
                created,
                last_used,
                expires,
                state: state.to_owned(),
            }
        })
        .collect())
}

/// Makes a token; the answer is the whole secret, shown this once.
#[server(prefix = "/api/fn", endpoint = "create_api_token")]
pub async fn create_api_token(
    slug: String,
    name: String,
    lifetime: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let days: i64 = match lifetime.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(d) => d
            .parse()
            .ok()
            .filter(|d| LIFETIMES.contains(d))
            .ok_or_else(|| {
                bastion_core::CoreError::invalid("lifetime", "must be 30, 90, 365 or 0 days")
            })?,
    };
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let expires_at =
        (days > 0).then(|| time::OffsetDateTime::now_utc() + time::Duration::days(days));
    let (_, secret) = bastion_core::api_tokens::create(
        &ctx.pool,
        opened.user.id,
        opened.workspace.id,
        &name,
        expires_at,
    )
    .await?;
    Ok(secret.expose().to_owned())
}

/// Replaces a live token with a new one and revokes the old; the answer is the new secret.
#[server(prefix = "/api/fn", endpoint = "rotate_api_token")]
pub async fn rotate_api_token(slug: String, id: String) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let id = crate::work::srv::id_or_404(&id, "token")?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let (_, secret) =
        bastion_core::api_tokens::rotate(&ctx.pool, opened.user.id, opened.workspace.id, id)
            .await?;
    Ok(secret.expose().to_owned())
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(slug: String, id: String) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let t = crate::use_t();
    let id = crate::work::srv::id_or_404(&id, "token")?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    bastion_core::api_tokens::revoke(&ctx.pool, opened.user.id, opened.workspace.id, id).await?;
    Ok(t.token_revoked().to_owned())
}

/// The workspace's integrations, tokens masked (admins; core refuses anyone else).
#[server(prefix = "/api/fn", endpoint = "integrations")]
pub async fn integrations(slug: String) -> Result<Vec<IntegrationRow>, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let mut opened = crate::server::open(&slug).await?;
    let items = bastion_core::integrations::list(&mut opened.tx, opened.viewer).await?;
    opened.tx.commit().await?;
    let created = crate::work::srv::local_times_in(
        &ctx.pool,
        locale,
        &items.iter().map(|i| i.created_at).collect::<Vec<_>>(),
    )
    .await?;
    Ok(items
        .into_iter()
        .zip(created)
        .map(|(i, created)| IntegrationRow {
            id: i.id.to_string(),
            kind: i.kind.as_str().to_owned(),
            name: i.name,
            masked: i.token_masked,
            created,
        })
        .collect())
}

#[server(prefix = "/api/fn", endpoint = "add_integration")]
pub async fn add_integration(
    slug: String,
    kind: String,
    name: String,
    access_token: SecretString,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let t = crate::use_t();
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    bastion_core::integrations::create(
        &ctx.pool,
        &ctx.keys,
        opened.workspace.id,
        opened.user.id,
        &kind,
        &name,
        &access_token,
    )
    .await?;
    Ok(t.integration_added().to_owned())
}

#[server(prefix = "/api/fn", endpoint = "delete_integration")]
pub async fn delete_integration(slug: String, id: String) -> Result<String, UiError> {
    let t = crate::use_t();
    let id = crate::work::srv::id_or_404(&id, "integration")?;
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::integrations::delete(&mut opened.tx, opened.viewer, id).await?;
    opened.tx.commit().await?;
    Ok(t.integration_deleted().to_owned())
}

fn state_label(t: crate::i18n::T, state: &str) -> &'static str {
    match state {
        "revoked" => t.token_state_revoked(),
        "expired" => t.token_state_expired(),
        _ => t.token_state_active(),
    }
}

fn lifetime_label(t: crate::i18n::T, days: i64) -> String {
    if days == 0 {
        t.token_lifetime_never().to_owned()
    } else {
        t.token_lifetime_days(days)
    }
}

/// The newest secret either action answered (making one, or a new one for an old), kept until
/// the next: what [`SecretOnce`] shows.
fn newest_secret<A, B>(make: ServerAction<A>, renew: ServerAction<B>) -> RwSignal<Option<String>>
where
    A: leptos::server_fn::ServerFn<Error = UiError, Output = String>
        + Clone
        + Send
        + Sync
        + 'static,
    B: leptos::server_fn::ServerFn<Error = UiError, Output = String>
        + Clone
        + Send
        + Sync
        + 'static,
{
    // An action can start with its answer (a form posted without script, `server_action`).
    let answered = |value: Option<Result<String, UiError>>| value.and_then(Result::ok);
    RwSignal::new(
        answered(renew.value().get_untracked()).or_else(|| answered(make.value().get_untracked())),
    )
}

/// A secret shown this once (a token, a signing secret), set apart and selectable whole.
#[component]
fn SecretOnce(
    secret: RwSignal<Option<String>>,
    said: &'static str,
    test_id: &'static str,
) -> impl IntoView {
    move || {
        secret.get().map(|s| {
            view! {
                <div class="secret-once" role="status">
                    <p><strong>{said}</strong></p>
                    <code data-testid=test_id>{s}</code>
                </div>
            }
        })
    }
}

/// The caller's API tokens: the list, a form making one, and the new secret shown once.
#[component]
pub fn TokensPanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let create = crate::error::server_action::<CreateApiToken>();
    let rotate = crate::error::server_action::<RotateApiToken>();
    let revoke = crate::error::server_action::<RevokeApiToken>();
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || create.version().get() + rotate.version().get() + revoke.version().get(),
            move |_| api_tokens(slug.clone()),
        )
    };
    let secret = newest_secret(create, rotate);
    let create_outcome = crate::error::action_error(create);
    let change_outcome = {
        let (a, b) = (crate::error::action_error(rotate), action_outcome(revoke));
        move || a().map(Err).or_else(b)
    };
    let slug = StoredValue::new(slug);
    let list = move |rows: Vec<TokenRow>| {
        if rows.is_empty() {
            return view! { <p class="empty">{t.tokens_none()}</p> }.into_any();
        }
        view! {
            <div class="table-scroll">
            <Table class="table tokens" heads=vec![t.col_token_name(), t.col_token_prefix(), t.col_token_created(), t.col_token_last_used(), t.col_token_expires(), t.col_token_state()] actions=true>
                {rows.into_iter().map(|row| {
                    let active = row.state == "active";
                    let rotate_label = t.token_rotate_named(&row.name);
                    let revoke_label = t.token_revoke_named(&row.name);
                    let id = StoredValue::new(row.id.clone());
                    view! {
                        <tr>
                            <td data-label=t.col_token_name()>{row.name.clone()}</td>
                            <td data-label=t.col_token_prefix()><code>{format!("{}…", row.prefix)}</code></td>
                            <td data-label=t.col_token_created()>{row.created.clone()}</td>
                            <td data-label=t.col_token_last_used()>{row.last_used.clone().unwrap_or_else(|| t.token_never_used().to_owned())}</td>
                            <td data-label=t.col_token_expires()>{row.expires.clone().unwrap_or_else(|| t.token_lifetime_never().to_owned())}</td>
                            <td data-label=t.col_token_state()><span class=format!("badge token-{}", row.state)>{state_label(t, &row.state)}</span></td>
                            <td data-label=t.col_actions()>
                                {active.then(|| view! {
                                    <div class="row-actions">
                                        <ActionForm action=rotate attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug.get_value()/>
                                            <input type="hidden" name="id" value=id.get_value()/>
                                            <button type="submit" class="button small secondary" aria-label=rotate_label>{t.token_rotate()}</button>
                                        </ActionForm>
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="slug" value=slug.get_value()/>
                                            <input type="hidden" name="id" value=id.get_value()/>
                                            <button type="submit" class="button small danger" aria-label=revoke_label>{t.token_revoke()}</button>
                                        </ActionForm>
                                    </div>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </Table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">{t.tokens_heading()}</h2>
            <p>{t.tokens_intro()} " " <a href="/api/docs">{t.tokens_api_reference()}</a></p>
            <SecretOnce secret said=t.token_shown_once() test_id="new-token"/>
            <FormOutcome outcome=change_outcome ok_class="form-ok"/>
            <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(rows) => list(rows),
                        Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <h3>{t.token_create_heading()}</h3>
            <ActionForm action=create attr:class="form inline-fields">
                <input type="hidden" name="slug" value=slug.get_value()/>
                <div class="field">
                    <label for="token-name">{t.token_name()}</label>
                    <input id="token-name" name="name" required maxlength="100" placeholder="CI deploy" autocomplete="off"/>
                </div>
                <div class="field">
                    <label for="token-lifetime">{t.token_lifetime()}</label>
                    <select id="token-lifetime" name="lifetime">
                        {LIFETIMES.into_iter().map(|d| view! { <option value=d.to_string() selected=d == 90>{lifetime_label(t, d)}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button" disabled=move || create.pending().get()>{t.token_create()}</button>
            </ActionForm>
            {move || create_outcome().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

/// The workspace's integrations (admins): the list with masked tokens, a form adding one.
#[component]
pub fn IntegrationsPanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let add = crate::error::server_action::<AddIntegration>();
    let delete = crate::error::server_action::<DeleteIntegration>();
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || add.version().get() + delete.version().get(),
            move |_| integrations(slug.clone()),
        )
    };
    let add_outcome = action_outcome(add);
    let delete_outcome = action_outcome(delete);
    let slug = StoredValue::new(slug);
    let list = move |rows: Vec<IntegrationRow>| {
        if rows.is_empty() {
            return view! { <p class="empty">{t.integrations_none()}</p> }.into_any();
        }
        view! {
            <div class="table-scroll">
            <Table class="table integrations" heads=vec![t.integration_name(), t.integration_kind(), t.integration_token(), t.col_token_created()] actions=true>
                {rows.into_iter().map(|row| {
                    let label = t.integration_delete_named(&row.name);
                    view! {
                        <tr>
                            <td data-label=t.integration_name()>{row.name.clone()}</td>
                            <td data-label=t.integration_kind()>{row.kind.clone()}</td>
                            <td data-label=t.integration_token()><code>{row.masked.clone()}</code></td>
                            <td data-label=t.col_token_created()>{row.created.clone()}</td>
                            <td data-label=t.col_actions()>
                                <ActionForm action=delete attr:class="inline-form">
                                    <input type="hidden" name="slug" value=slug.get_value()/>
                                    <input type="hidden" name="id" value=row.id.clone()/>
                                    <button type="submit" class="button small danger" aria-label=label>{t.integration_delete()}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </Table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="integrations-title">
            <h2 id="integrations-title">{t.integrations_heading()}</h2>
            <p>{t.integrations_intro()}</p>
            <FormOutcome outcome=delete_outcome ok_class="form-ok"/>
            <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(rows) => list(rows),
                        Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <h3>{t.integration_add_heading()}</h3>
            <ActionForm action=add attr:class="form inline-fields">
                <input type="hidden" name="slug" value=slug.get_value()/>
                <div class="field">
                    <label for="integration-kind">{t.integration_kind()}</label>
                    <select id="integration-kind" name="kind">
                        {["github", "gitlab", "slack", "teams", "matrix", "webhook", "jira"].into_iter().map(|k| view! { <option value=k>{k}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="integration-name">{t.integration_name()}</label>
                    <input id="integration-name" name="name" required maxlength="100" autocomplete="off"/>
                </div>
                <div class="field">
                    <label for="integration-token">{t.integration_token()}</label>
                    <input id="integration-token" name="access_token" type="password" required autocomplete="off"/>
                </div>
                <button type="submit" class="button" disabled=move || add.pending().get()>{t.integration_add()}</button>
            </ActionForm>
            <FormOutcome outcome=add_outcome ok_class="form-ok"/>
        </section>
    }
}

/// The event families an endpoint can ask for, as the core names them.
const EVENT_FAMILIES: [&str; 5] = ["task", "comment", "time_entry", "attachment", "member"];
/// Deliveries shown per endpoint: the newest.
#[cfg(feature = "ssr")]
const DELIVERIES_SHOWN: i64 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// While the previous secret still signs too, until when (Brussels time).
    pub rotating_until: Option<String>,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    pub event_type: String,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub created: String,
    /// The last attempt: the receiver's status (or the error), its latency and the start of its
    /// answer.
    pub last_status: Option<String>,
    pub last_latency_ms: Option<i32>,
    pub last_excerpt: Option<String>,
}

#[server(prefix = "/api/fn", endpoint = "webhook_endpoints")]
pub async fn webhook_endpoints(slug: String) -> Result<Vec<EndpointRow>, UiError> {
    use bastion_core::webhooks;
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let mut opened = crate::server::open(&slug).await?;
    let endpoints = webhooks::list(&mut opened.tx, opened.viewer).await?;
    let mut all = Vec::new();
    for e in endpoints {
        let deliveries =
            webhooks::deliveries(&mut opened.tx, opened.viewer, e.id, None, DELIVERIES_SHOWN)
                .await?;
        all.push((e, deliveries));
    }
    opened.tx.commit().await?;
    let mut moments = Vec::new();
    for (e, deliveries) in &all {
        moments.extend(e.previous_secret_expires_at);
        moments.extend(deliveries.iter().map(|d| d.created_at));
    }
    let mut local = crate::work::srv::local_times_in(&ctx.pool, locale, &moments)
        .await?
        .into_iter();
    Ok(all
        .into_iter()
        .map(|(e, deliveries)| EndpointRow {
            id: e.id.to_string(),
            url: e.url,
            description: e.description,
            events: e.events,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            rotating_until: e.previous_secret_expires_at.and_then(|_| local.next()),
            deliveries: deliveries
                .into_iter()
                .map(|d| {
                    // The log is newest first.
                    let last = d.log.first();
                    DeliveryRow {
                        id: d.id.to_string(),
                        event_type: d.event_type,
                        status: d.status,
                        attempts: d.attempts,
                        created: local.next().unwrap_or_default(),
                        last_status: last.map(|a| match (a.http_status, &a.error) {
                            (Some(code), _) => code.to_string(),
                            (None, Some(error)) => error.clone(),
                            (None, None) => "—".into(),
                        }),
                        last_latency_ms: last.map(|a| a.latency_ms),
                        last_excerpt: last.and_then(|a| a.response_excerpt.clone()),
                    }
                })
                .collect(),
        })
        .collect())
}

/// Registers an endpoint; the answer is its signing secret, shown this once. The ticked event
/// families come as `events[]`.
#[server(prefix = "/api/fn", endpoint = "create_webhook")]
pub async fn create_webhook(
    slug: String,
    url: String,
    description: Option<String>,
    events: Option<Vec<String>>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let events: Vec<String> = events
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.is_empty())
        .collect();
    let made = bastion_core::webhooks::create(
        &ctx.pool,
        &ctx.keys,
        ctx.webhooks,
        opened.workspace.id,
        opened.user.id,
        &bastion_core::webhooks::NewEndpoint {
            url,
            description,
            events,
        },
    )
    .await?;
    Ok(made.secret.expose().to_owned())
}

/// A new signing secret (shown this once); the old one signs beside it for a day.
#[server(prefix = "/api/fn", endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(slug: String, id: String) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let id = crate::work::srv::id_or_404(&id, "webhook endpoint")?;
    let opened = crate::server::open(&slug).await?;
    opened.tx.rollback().await?;
    let made = bastion_core::webhooks::rotate_secret(
        &ctx.pool,
        &ctx.keys,
        opened.workspace.id,
        opened.user.id,
        id,
    )
    .await?;
    Ok(made.secret.expose().to_owned())
}

/// Turns an endpoint on (`enabled=true`) or off.
#[server(prefix = "/api/fn", endpoint = "switch_webhook")]
pub async fn switch_webhook(slug: String, id: String, enabled: String) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let t = crate::use_t();
    let id = crate::work::srv::id_or_404(&id, "webhook endpoint")?;
    let on = enabled == "true";
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::webhooks::update(
        &mut opened.tx,
        opened.viewer,
        ctx.webhooks,
        id,
        &bastion_core::webhooks::EndpointChanges {
            enabled: Some(on),
            ..Default::default()
        },
    )
    .await?;
    opened.tx.commit().await?;
    Ok(if on {
        t.webhook_enabled()
    } else {
        t.webhook_disabled()
    }
    .to_owned())
}

#[server(prefix = "/api/fn", endpoint = "delete_webhook")]
pub async fn delete_webhook(slug: String, id: String) -> Result<String, UiError> {
    let t = crate::use_t();
    let id = crate::work::srv::id_or_404(&id, "webhook endpoint")?;
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::webhooks::delete(&mut opened.tx, opened.viewer, id).await?;
    opened.tx.commit().await?;
    Ok(t.webhook_deleted().to_owned())
}

/// Sends a delivery's event again (same `webhook-id`, same body), due at once.
#[server(prefix = "/api/fn", endpoint = "send_webhook_again")]
pub async fn send_webhook_again(
    slug: String,
    id: String,
    delivery_id: String,
) -> Result<String, UiError> {
    let t = crate::use_t();
    let id = crate::work::srv::id_or_404(&id, "webhook endpoint")?;
    let delivery = crate::work::srv::id_or_404(&delivery_id, "webhook delivery")?;
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::webhooks::send_again(&mut opened.tx, opened.viewer, id, delivery).await?;
    opened.tx.commit().await?;
    Ok(t.webhook_sent_again().to_owned())
}

fn family_label(t: crate::i18n::T, family: &str) -> &'static str {
    match family {
        "comment" => t.webhook_family_comment(),
        "time_entry" => t.webhook_family_time_entry(),
        "attachment" => t.webhook_family_attachment(),
        "member" => t.webhook_family_member(),
        _ => t.webhook_family_task(),
    }
}

fn delivery_state(t: crate::i18n::T, status: &str) -> &'static str {
    match status {
        "delivered" => t.webhook_delivered(),
        "failed" => t.webhook_failed(),
        "cancelled" => t.webhook_cancelled(),
        _ => t.webhook_pending(),
    }
}

/// The workspace's webhook endpoints (admins): each with its state, its newest deliveries and
/// their last attempt, "send again", rotate, switch off and on, delete; and a form adding one.
#[component]
pub fn WebhooksPanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let create = crate::error::server_action::<CreateWebhook>();
    let rotate = crate::error::server_action::<RotateWebhookSecret>();
    let switch = crate::error::server_action::<SwitchWebhook>();
    let delete = crate::error::server_action::<DeleteWebhook>();
    let again = crate::error::server_action::<SendWebhookAgain>();
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || {
                create.version().get()
                    + rotate.version().get()
                    + switch.version().get()
                    + delete.version().get()
                    + again.version().get()
            },
            move |_| webhook_endpoints(slug.clone()),
        )
    };
    let secret = newest_secret(create, rotate);
    let create_error = crate::error::action_error(create);
    let outcome = {
        let (a, b, c, d) = (
            crate::error::action_error(rotate),
            action_outcome(switch),
            action_outcome(delete),
            action_outcome(again),
        );
        move || a().map(Err).or_else(b).or_else(c).or_else(d)
    };
    let slug = StoredValue::new(slug);
    let hidden = move |id: String| {
        view! {
            <input type="hidden" name="slug" value=slug.get_value()/>
            <input type="hidden" name="id" value=id/>
        }
    };
    let endpoint = move |e: EndpointRow| {
        let id = StoredValue::new(e.id.clone());
        let url = e.url.clone();
        let events = e
            .events
            .iter()
            .map(|f| family_label(t, f))
            .collect::<Vec<_>>()
            .join(", ");
        let state = if e.enabled {
            t.webhook_state_on().to_owned()
        } else {
            match &e.disabled_reason {
                Some(reason) => t.webhook_state_off_because(reason),
                None => t.webhook_state_off().to_owned(),
            }
        };
        let next = if e.enabled { "false" } else { "true" };
        let (rotate_label, delete_label) =
            (t.webhook_rotate_named(&url), t.webhook_delete_named(&url));
        let switch_label = if e.enabled {
            t.webhook_switch_off()
        } else {
            t.webhook_switch_on()
        };
        let deliveries = e.deliveries.clone();
        view! {
            <li class="webhook">
                <div class="webhook-head">
                    <code class="webhook-url">{url.clone()}</code>
                    " " <span class=if e.enabled { "badge" } else { "badge muted-badge" }>{state}</span>
                </div>
                {(!e.description.is_empty()).then(|| view! { <p class="muted">{e.description.clone()}</p> })}
                <p class="muted">{t.webhook_events_sent(events)}</p>
                {e.rotating_until.clone().map(|until| view! { <p class="muted">{t.webhook_rotating_until(until)}</p> })}
                <div class="row-actions">
                    <ActionForm action=rotate attr:class="inline-form">
                        {hidden(id.get_value())}
                        <button type="submit" class="button small secondary" aria-label=rotate_label>{t.webhook_rotate()}</button>
                    </ActionForm>
                    <ActionForm action=switch attr:class="inline-form">
                        {hidden(id.get_value())}
                        <input type="hidden" name="enabled" value=next/>
                        <button type="submit" class="button small secondary">{switch_label}</button>
                    </ActionForm>
                    <ActionForm action=delete attr:class="inline-form">
                        {hidden(id.get_value())}
                        <button type="submit" class="button small danger" aria-label=delete_label>{t.webhook_delete()}</button>
                    </ActionForm>
                </div>
                <h4>{t.webhook_deliveries()}</h4>
                {if deliveries.is_empty() {
                    view! { <p class="muted">{t.webhook_no_deliveries()}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                        <Table class="table deliveries" heads=vec![t.webhook_col_event(), t.webhook_col_sent(), t.webhook_col_state(), t.webhook_col_answer(), t.webhook_col_latency()] actions=true>
                            {deliveries.into_iter().map(|d| {
                                let delivery_id = d.id.clone();
                                view! {
                                    <tr>
                                        <td data-label=t.webhook_col_event()>{d.event_type.clone()}</td>
                                        <td data-label=t.webhook_col_sent()>{d.created.clone()}</td>
                                        <td data-label=t.webhook_col_state()>
                                            <span class=format!("badge delivery-{}", d.status)>{delivery_state(t, &d.status)}</span>
                                            {(d.attempts > 1).then(|| format!(" ({})", t.webhook_attempts(d.attempts)))}
                                        </td>
                                        <td data-label=t.webhook_col_answer()>
                                            {d.last_status.clone().unwrap_or_else(|| "—".into())}
                                            {d.last_excerpt.clone().filter(|x| !x.is_empty()).map(|x| view! { " " <code class="excerpt">{x}</code> })}
                                        </td>
                                        <td data-label=t.webhook_col_latency()>{d.last_latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "—".into())}</td>
                                        <td data-label=t.col_actions()>
                                            <ActionForm action=again attr:class="inline-form">
                                                {hidden(id.get_value())}
                                                <input type="hidden" name="delivery_id" value=delivery_id/>
                                                <button type="submit" class="button small secondary">{t.webhook_send_again()}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </Table>
                        </div>
                    }.into_any()
                }}
            </li>
        }
    };
    view! {
        <section class="card" aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">{t.webhooks_heading()}</h2>
            <p>{t.webhooks_intro()}</p>
            <SecretOnce secret said=t.webhook_secret_shown_once() test_id="new-webhook-secret"/>
            <FormOutcome outcome ok_class="form-ok"/>
            <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">{t.webhooks_none()}</p> }.into_any(),
                        Ok(rows) => view! { <ul class="webhooks">{rows.into_iter().map(endpoint).collect_view()}</ul> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <h3>{t.webhook_add_heading()}</h3>
            <ActionForm action=create attr:class="form narrow-form">
                <input type="hidden" name="slug" value=slug.get_value()/>
                <label for="webhook-url">{t.webhook_url()}</label>
                <input id="webhook-url" name="url" type="url" required placeholder="https://hooks.example.be/bastion" autocomplete="off"/>
                <label for="webhook-description">{t.webhook_description()}</label>
                <input id="webhook-description" name="description" maxlength="500" autocomplete="off"/>
                <fieldset class="field-options">
                    <legend>{t.webhook_events()}</legend>
                    <input type="hidden" name="events[]" value=""/>
                    {EVENT_FAMILIES.into_iter().map(|f| view! {
                        <label class="checkbox">
                            <input type="checkbox" name="events[]" value=f checked=f == "task"/>
                            " " {family_label(t, f)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="button" disabled=move || create.pending().get()>{t.webhook_add()}</button>
            </ActionForm>
            {move || create_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

/// What chat notifications can announce, as the core names them.
const CHAT_EVENTS: [&str; 4] = [
    "task_created",
    "task_status",
    "task_assigned",
    "comment_created",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRow {
    pub id: String,
    /// The integration's name and service.
    pub channel: String,
    pub kind: String,
    /// `None`: every project.
    pub project: Option<String>,
    pub events: Vec<String>,
    pub language: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// `delivered`, `pending` or `failed`, with when (Brussels time), the attempt count and why.
    pub last: Option<(String, String, i32, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatSettings {
    pub rules: Vec<ChatRow>,
    /// The Slack, Teams and Matrix integrations: id, name, kind.
    pub channels: Vec<(String, String, String)>,
    pub projects: Vec<(String, String)>,
}

/// The workspace's chat notifications with what the form offers (admins; core refuses others).
#[server(prefix = "/api/fn", endpoint = "chat_notifications")]
pub async fn chat_notifications(slug: String) -> Result<ChatSettings, UiError> {
    let ctx = crate::server::context()?;
    let locale = crate::use_t().0;
    let mut opened = crate::server::open(&slug).await?;
    let rules = bastion_core::chat::list(&mut opened.tx, opened.viewer).await?;
    let channels = bastion_core::integrations::list(&mut opened.tx, opened.viewer).await?;
    let projects = bastion_core::work::projects::list_projects(
        &mut opened.tx,
        &opened.viewer,
        false,
        None,
        500,
    )
    .await?;
    opened.tx.commit().await?;
    let moments: Vec<_> = rules
        .iter()
        .filter_map(|r| r.last_delivery.as_ref().map(|d| d.at))
        .collect();
    let mut local = crate::work::srv::local_times_in(&ctx.pool, locale, &moments)
        .await?
        .into_iter();
    Ok(ChatSettings {
        rules: rules
            .into_iter()
            .map(|r| ChatRow {
                id: r.id.to_string(),
                channel: r.integration_name,
                kind: r.integration_kind.as_str().to_owned(),
                project: r.project_name,
                events: r.events,
                language: r.language,
                enabled: r.enabled,
                disabled_reason: r.disabled_reason,
                last: r.last_delivery.map(|d| {
                    (
                        d.status,
                        local.next().unwrap_or_default(),
                        d.attempts,
                        d.error,
                    )
                }),
            })
            .collect(),
        channels: channels
            .into_iter()
            .filter(|i| bastion_core::chat::is_chat(i.kind))
            .map(|i| (i.id.to_string(), i.name, i.kind.as_str().to_owned()))
            .collect(),
        projects: projects
            .into_iter()
            .map(|p| (p.id.to_string(), p.name))
            .collect(),
    })
}

/// Adds a chat notification; the ticked events come as `events[]`, an empty project means
/// every project.
#[server(prefix = "/api/fn", endpoint = "add_chat_notification")]
#[allow(clippy::too_many_arguments)]
pub async fn add_chat_notification(
    slug: String,
    integration_id: String,
    project_id: Option<String>,
    events: Option<Vec<String>>,
    language: Option<String>,
    matrix_homeserver: Option<String>,
    matrix_room: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let t = crate::use_t();
    let integration_id = uuid::Uuid::parse_str(integration_id.trim()).map_err(|_| {
        UiError::from(bastion_core::CoreError::invalid(
            "integration_id",
            "choose an integration",
        ))
    })?;
    let project_id = match project_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(uuid::Uuid::parse_str(id).map_err(|_| {
            UiError::from(bastion_core::CoreError::invalid(
                "project_id",
                "no such project",
            ))
        })?),
    };
    let mut opened = crate::server::open(&slug).await?;
    let own = bastion_i18n::Locale::from_tag(&opened.user.locale).unwrap_or_default();
    bastion_core::chat::create(
        &mut opened.tx,
        opened.viewer,
        ctx.webhooks,
        &bastion_core::chat::NewChatNotification {
            integration_id,
            project_id,
            events: events
                .unwrap_or_default()
                .into_iter()
                .filter(|e| !e.is_empty())
                .collect(),
            language,
            matrix_homeserver: matrix_homeserver.filter(|h| !h.trim().is_empty()),
            matrix_room: matrix_room.filter(|r| !r.trim().is_empty()),
        },
        own,
    )
    .await?;
    opened.tx.commit().await?;
    Ok(t.chat_added().to_owned())
}

/// Turns a chat notification on (`enabled=true`) or off.
#[server(prefix = "/api/fn", endpoint = "switch_chat_notification")]
pub async fn switch_chat_notification(
    slug: String,
    id: String,
    enabled: String,
) -> Result<String, UiError> {
    let id = crate::work::srv::id_or_404(&id, "chat notification")?;
    let on = enabled == "true";
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::chat::set_enabled(&mut opened.tx, opened.viewer, id, on).await?;
    opened.tx.commit().await?;
    let t = crate::use_t();
    Ok(if on {
        t.chat_turn_on()
    } else {
        t.chat_turned_off()
    }
    .to_owned())
}

#[server(prefix = "/api/fn", endpoint = "test_chat_notification")]
pub async fn test_chat_notification(slug: String, id: String) -> Result<String, UiError> {
    let id = crate::work::srv::id_or_404(&id, "chat notification")?;
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::chat::send_test(&mut opened.tx, opened.viewer, id).await?;
    opened.tx.commit().await?;
    Ok(crate::use_t().chat_test_queued().to_owned())
}

#[server(prefix = "/api/fn", endpoint = "delete_chat_notification")]
pub async fn delete_chat_notification(slug: String, id: String) -> Result<String, UiError> {
    let id = crate::work::srv::id_or_404(&id, "chat notification")?;
    let mut opened = crate::server::open(&slug).await?;
    bastion_core::chat::delete(&mut opened.tx, opened.viewer, id).await?;
    opened.tx.commit().await?;
    Ok(crate::use_t().chat_deleted().to_owned())
}

fn chat_event_label(t: crate::i18n::T, event: &str) -> &'static str {
    match event {
        "task_status" => t.chat_event_task_status(),
        "task_assigned" => t.chat_event_task_assigned(),
        "comment_created" => t.chat_event_comment_created(),
        _ => t.chat_event_task_created(),
    }
}

/// The workspace's chat notifications (admins): each with where it posts, what, in which
/// language and how its last message went; test, switch off and on, delete; and a form adding
/// one through a Slack, Teams or Matrix integration.
#[component]
pub fn ChatPanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let add = crate::error::server_action::<AddChatNotification>();
    let switch = crate::error::server_action::<SwitchChatNotification>();
    let test = crate::error::server_action::<TestChatNotification>();
    let delete = crate::error::server_action::<DeleteChatNotification>();
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || {
                add.version().get()
                    + switch.version().get()
                    + test.version().get()
                    + delete.version().get()
            },
            move |_| chat_notifications(slug.clone()),
        )
    };
    let add_outcome = action_outcome(add);
    let outcome = {
        let (a, b, c) = (
            action_outcome(switch),
            action_outcome(test),
            action_outcome(delete),
        );
        move || a().or_else(b).or_else(c)
    };
    let slug = StoredValue::new(slug);
    let hidden = move |id: String| {
        view! {
            <input type="hidden" name="slug" value=slug.get_value()/>
            <input type="hidden" name="id" value=id/>
        }
    };
    let rule = move |r: ChatRow| {
        let id = StoredValue::new(r.id.clone());
        let events = r
            .events
            .iter()
            .map(|e| chat_event_label(t, e))
            .collect::<Vec<_>>()
            .join(", ");
        let language = bastion_i18n::Locale::from_tag(&r.language)
            .map(|l| l.native_name())
            .unwrap_or("English");
        let state = if r.enabled {
            None
        } else {
            Some(
                r.disabled_reason
                    .clone()
                    .unwrap_or_else(|| t.chat_turned_off().to_owned()),
            )
        };
        let last = match &r.last {
            None => t.chat_no_messages().to_owned(),
            Some((status, when, attempts, error)) => match status.as_str() {
                "delivered" => t.chat_last_delivered(when),
                "pending" => t.chat_last_pending(*attempts + 1),
                _ => t.chat_last_failed(error.clone().unwrap_or_default()),
            },
        };
        let failed = matches!(&r.last, Some((s, ..)) if s == "failed");
        let next = if r.enabled { "false" } else { "true" };
        let switch_label = if r.enabled {
            t.chat_turn_off()
        } else {
            t.chat_turn_on()
        };
        let delete_label = t.chat_delete_named(&r.channel);
        view! {
            <li class="webhook chat-rule">
                <div class="webhook-head">
                    <strong>{r.channel.clone()}</strong>
                    " " <span class="badge">{r.kind.clone()}</span>
                    " " <span class="muted">{r.project.clone().unwrap_or_else(|| t.chat_every_project().to_owned())}</span>
                    {state.map(|s| view! { " " <span class="badge muted-badge">{s}</span> })}
                </div>
                <p class="muted">{events} " · " {language}</p>
                <p class=if failed { "form-error" } else { "muted" } data-testid="chat-last">{last}</p>
                <div class="row-actions">
                    <ActionForm action=test attr:class="inline-form">
                        {hidden(id.get_value())}
                        <button type="submit" class="button small secondary" disabled=!r.enabled>{t.chat_send_test()}</button>
                    </ActionForm>
                    <ActionForm action=switch attr:class="inline-form">
                        {hidden(id.get_value())}
                        <input type="hidden" name="enabled" value=next/>
                        <button type="submit" class="button small secondary">{switch_label}</button>
                    </ActionForm>
                    <ActionForm action=delete attr:class="inline-form">
                        {hidden(id.get_value())}
                        <button type="submit" class="button small danger" aria-label=delete_label>{t.chat_delete()}</button>
                    </ActionForm>
                </div>
            </li>
        }
    };
    let own_language = t.0;
    let form = move |s: &ChatSettings| {
        if s.channels.is_empty() {
            return view! { <p class="muted">{t.chat_needs_integration()}</p> }.into_any();
        }
        let channels = s.channels.clone();
        let projects = s.projects.clone();
        view! {
            <h3>{t.chat_add_heading()}</h3>
            <ActionForm action=add attr:class="form narrow-form">
                <input type="hidden" name="slug" value=slug.get_value()/>
                <label for="chat-integration">{t.chat_integration()}</label>
                <select id="chat-integration" name="integration_id" required>
                    {channels.into_iter().map(|(id, name, kind)| view! { <option value=id>{format!("{name} ({kind})")}</option> }).collect_view()}
                </select>
                <label for="chat-project">{t.chat_project()}</label>
                <select id="chat-project" name="project_id">
                    <option value="">{t.chat_every_project()}</option>
                    {projects.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                <fieldset class="field-options">
                    <legend>{t.chat_events()}</legend>
                    <input type="hidden" name="events[]" value=""/>
                    {CHAT_EVENTS.into_iter().map(|e| view! {
                        <label class="checkbox">
                            <input type="checkbox" name="events[]" value=e checked=e != "comment_created"/>
                            " " {chat_event_label(t, e)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label for="chat-language">{t.chat_language()}</label>
                <select id="chat-language" name="language">
                    {bastion_i18n::Locale::ALL.into_iter().map(|l| view! {
                        <option value=l.tag() selected=l == own_language>{l.native_name()}</option>
                    }).collect_view()}
                </select>
                <label for="chat-homeserver">{t.chat_matrix_homeserver()}</label>
                <input id="chat-homeserver" name="matrix_homeserver" type="url" maxlength="2000" placeholder="https://matrix.example.eu" autocomplete="off"/>
                <label for="chat-room">{t.chat_matrix_room()}</label>
                <input id="chat-room" name="matrix_room" maxlength="255" placeholder="#team:matrix.example.eu" autocomplete="off"/>
                <button type="submit" class="button" disabled=move || add.pending().get()>{t.chat_add()}</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="chat-title">
            <h2 id="chat-title">{t.chat_heading()}</h2>
            <p>{t.chat_intro()}</p>
            <FormOutcome outcome ok_class="form-ok"/>
            <Suspense fallback=move || view! { <p>{t.loading()}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(s) => view! {
                            {if s.rules.is_empty() {
                                view! { <p class="empty">{t.chat_none()}</p> }.into_any()
                            } else {
                                view! { <ul class="webhooks">{s.rules.clone().into_iter().map(rule).collect_view()}</ul> }.into_any()
                            }}
                            {form(&s)}
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.message(t)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <FormOutcome outcome=add_outcome ok_class="form-ok"/>
        </section>
    }
}
