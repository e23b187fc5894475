//! The public privacy pages: the lawful-basis register and the sub-processors (one data source,
//! `docs/privacy/*.json`, also served by the API), what the product promises on security, and
//! the request form for a data-processing agreement or the security pack.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::{action_outcome, FormOutcome};
use crate::table::Table;
use crate::UiError;

const REGISTER_JSON: &str = include_str!("../../docs/privacy/register.json");
const SUBPROCESSORS_JSON: &str = include_str!("../../docs/privacy/subprocessors.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub controller_note: String,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub data: String,
    pub purpose: String,
    pub lawful_basis: String,
    pub retention: String,
    pub processors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subprocessors {
    pub note: String,
    pub subprocessors: Vec<Subprocessor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subprocessor {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub location: String,
    pub data: String,
}

/// The register as shipped. The files are part of the build and checked by a unit test, so a
/// malformed edit fails the build's tests, never a request.
pub fn register() -> Register {
    serde_json::from_str(REGISTER_JSON).expect("docs/privacy/register.json is valid")
}

pub fn subprocessors() -> Subprocessors {
    serde_json::from_str(SUBPROCESSORS_JSON).expect("docs/privacy/subprocessors.json is valid")
}

#[server(prefix = "/api/fn", endpoint = "request_security_pack")]
pub async fn request_security_pack(
    email: String,
    name: String,
    organisation: String,
    kind: String,
    message: Option<String>,
) -> Result<String, UiError> {
    let ctx = crate::server::context()?;
    let request = bastion_core::privacy_requests::SecurityRequest {
        email,
        name,
        organisation,
        kind,
        message: message.unwrap_or_default(),
    };
    bastion_core::privacy_requests::submit(
        &ctx.pool,
        &ctx.keys,
        crate::server::client_ip(),
        &ctx.security_contact,
        &request,
    )
    .await?;
    Ok(crate::use_t().security_request_thanks().into())
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let register = register();
    let subprocessors = subprocessors();
    let t = crate::use_t();
    // The register's entries are the legal record and stay in English, the language they are
    // kept in (docs/privacy); a translation note says so on the other languages' pages.
    let english_note = (t.0 != crate::i18n::Locale::En).then(|| {
        view! {
            <p class="muted" lang="en">{t.register_in_english()}</p>
        }
    });
    view! {
        <Title text=t.privacy_title()/>
        <section class="card" aria-labelledby="privacy-title">
            <h1 id="privacy-title">{t.privacy_heading()}</h1>
            {english_note}
            <p lang="en">{register.controller_note.clone()}</p>
            <p>
                {t.privacy_served_as_data()} " "
                <a href="/api/v1/privacy/register">"/api/v1/privacy/register"</a> " · "
                <a href="/api/v1/privacy/subprocessors">"/api/v1/privacy/subprocessors"</a>
            </p>
            <h2>{t.privacy_what_heading()}</h2>
            <Table class="table" heads=vec![t.col_category(), t.col_purpose(), t.col_lawful_basis(), t.col_retention(), t.col_processors()]>
                {register.categories.into_iter().map(|c| view! {
                    <tr lang="en">
                        <th scope="row">{c.name.clone()}<br/><span class="muted">{c.data.clone()}</span></th>
                        <td data-label=t.col_purpose()>{c.purpose.clone()}</td>
                        <td data-label=t.col_lawful_basis()>{c.lawful_basis.clone()}</td>
                        <td data-label=t.col_retention()>{c.retention.clone()}</td>
                        <td data-label=t.col_processors()>{c.processors.join(", ")}</td>
                    </tr>
                }).collect_view()}
            </Table>
        </section>
        <section class="card" aria-labelledby="subprocessors-title">
            <h2 id="subprocessors-title">{t.footer_subprocessors()}</h2>
            <p lang="en">{subprocessors.note.clone()}</p>
            <Table class="table" heads=vec!["Id", t.col_subprocessor(), t.col_purpose(), t.col_location(), t.col_data()]>
                {subprocessors.subprocessors.into_iter().map(|p| view! {
                    <tr lang="en">
                        <td data-label="Id">{p.id.clone()}</td>
                        <th scope="row">{p.name.clone()}</th>
                        <td data-label=t.col_purpose()>{p.purpose.clone()}</td>
                        <td data-label=t.col_location()>{p.location.clone()}</td>
                        <td data-label=t.col_data()>{p.data.clone()}</td>
                    </tr>
                }).collect_view()}
            </Table>
            <p><a href="/security/request">{t.request_dpa_link()}</a></p>
        </section>
    }
}

/// What the product promises, each backed by how it is built: (title, text).
fn security_promises(t: crate::i18n::T) -> [(&'static str, &'static str); 6] {
    [
        (t.security_walls_title(), t.security_walls_text()),
        (t.security_keys_title(), t.security_keys_text()),
        (t.security_passwords_title(), t.security_passwords_text()),
        (t.security_trail_title(), t.security_trail_text()),
        (t.security_eu_title(), t.security_eu_text()),
        (t.security_take_title(), t.security_take_text()),
    ]
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let t = crate::use_t();
    view! {
        <Title text=t.security_title()/>
        <section class="card" aria-labelledby="security-title">
            <h1 id="security-title">{t.footer_security()}</h1>
            <p>{t.security_intro()}</p>
            <ul class="promise-list">
                {security_promises(t).into_iter().map(|(title, body)| view! {
                    <li><h2>{title}</h2><p>{body}</p></li>
                }).collect_view()}
            </ul>
            <p>
                {t.security_details()} " "
                <a href="/security/request">{t.security_request_link()}</a>
            </p>
        </section>
    }
}

#[component]
pub fn SecurityRequestPage() -> impl IntoView {
    let action = ServerAction::<RequestSecurityPack>::new();
    let outcome = action_outcome(action);
    let t = crate::use_t();
    view! {
        <Title text=t.security_request_title()/>
        <section class="card narrow" aria-labelledby="request-title">
            <h1 id="request-title">{t.security_request_heading()}</h1>
            <ActionForm action=action attr:class="form">
                <label for="req-kind">{t.security_request_kind()}</label>
                <select id="req-kind" name="kind">
                    <option value="dpa" selected>{t.security_request_dpa()}</option>
                    <option value="security_pack">{t.security_request_pack()}</option>
                </select>
                <label for="req-name">{t.field_your_name()}</label>
                <input id="req-name" name="name" required autocomplete="name"/>
                <label for="req-email">{t.field_work_email()}</label>
                <input id="req-email" name="email" type="email" required autocomplete="email"/>
                <label for="req-org">{t.field_organisation()}</label>
                <input id="req-org" name="organisation" required autocomplete="organization"/>
                <label for="req-message">{t.field_anything_else()}</label>
                <textarea id="req-message" name="message" rows="4" maxlength="2000"></textarea>
                <button type="submit" class="button" disabled=move || action.pending().get()>{t.security_request_send()}</button>
            </ActionForm>
            <FormOutcome outcome/>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_records_parse_and_name_every_category_and_processor() {
        let register = register();
        let ids: Vec<&str> = register.categories.iter().map(|c| c.id.as_str()).collect();
        for id in [
            "account_data",
            "workspace_content",
            "time_entries",
            "audit_history",
            "integration_secrets",
            "attachments",
            "sessions_and_security_logs",
        ] {
            assert!(ids.contains(&id), "{id} missing from the register");
        }
        let processors: Vec<String> = subprocessors()
            .subprocessors
            .into_iter()
            .map(|p| p.id)
            .collect();
        for category in &register.categories {
            assert!(!category.lawful_basis.is_empty() && !category.retention.is_empty());
            for p in &category.processors {
                assert!(
                    processors.contains(p),
                    "{}: unknown processor {p}",
                    category.id
                );
            }
        }
    }
}
