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

/// The caller's API tokens: the list, a form making one, and the new secret shown once.
#[component]
pub fn TokensPanel(slug: String) -> impl IntoView {
    let t = crate::use_t();
    let create = ServerAction::<CreateApiToken>::new();
    let rotate = ServerAction::<RotateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || create.version().get() + rotate.version().get() + revoke.version().get(),
            move |_| api_tokens(slug.clone()),
        )
    };
    let create_form = crate::error::cleared_on_success(create);
    // The newest secret made here, from either action: shown until the next one.
    let secret = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(s)) = create.value().get() {
            secret.set(Some(s));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = rotate.value().get() {
            secret.set(Some(s));
        }
    });
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
            {move || secret.get().map(|s| view! {
                <div class="secret-once" role="status">
                    <p><strong>{t.token_shown_once()}</strong></p>
                    <code data-testid="new-token">{s}</code>
                </div>
            })}
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
            <ActionForm action=create node_ref=create_form attr:class="form inline-fields">
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
    let add = ServerAction::<AddIntegration>::new();
    let delete = ServerAction::<DeleteIntegration>::new();
    let data = {
        let slug = slug.clone();
        Resource::new(
            move || add.version().get() + delete.version().get(),
            move |_| integrations(slug.clone()),
        )
    };
    let add_form = crate::error::cleared_on_success(add);
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
            <ActionForm action=add node_ref=add_form attr:class="form inline-fields">
                <input type="hidden" name="slug" value=slug.get_value()/>
                <div class="field">
                    <label for="integration-kind">{t.integration_kind()}</label>
                    <select id="integration-kind" name="kind">
                        {["github", "gitlab", "slack", "webhook", "jira"].into_iter().map(|k| view! { <option value=k>{k}</option> }).collect_view()}
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
