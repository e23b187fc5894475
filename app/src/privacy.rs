//! The public privacy pages: the lawful-basis register and the sub-processors (one data source
//! per language, `docs/privacy/*.json`, also served by the API), what the product promises on
//! security, and the request form for a data-processing agreement or the security pack.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::{action_outcome, FormOutcome};
use crate::table::Table;
use crate::UiError;

#[cfg(feature = "ssr")]
use crate::i18n::Locale;

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

/// The register as shipped, in `locale`. The files are part of the server build (not the
/// browser's bundle: the page gets them from [`privacy_records`]) and checked by a unit test, so
/// a malformed edit or a translation that disagrees with English fails the build's tests, never
/// a request.
#[cfg(feature = "ssr")]
pub fn register(locale: Locale) -> Register {
    let json = match locale {
        Locale::En => include_str!("../../docs/privacy/register.json"),
        Locale::Nl => include_str!("../../docs/privacy/register.nl-BE.json"),
        Locale::Fr => include_str!("../../docs/privacy/register.fr-BE.json"),
        Locale::De => include_str!("../../docs/privacy/register.de-BE.json"),
    };
    serde_json::from_str(json).expect("docs/privacy/register*.json are valid")
}

#[cfg(feature = "ssr")]
pub fn subprocessors(locale: Locale) -> Subprocessors {
    let json = match locale {
        Locale::En => include_str!("../../docs/privacy/subprocessors.json"),
        Locale::Nl => include_str!("../../docs/privacy/subprocessors.nl-BE.json"),
        Locale::Fr => include_str!("../../docs/privacy/subprocessors.fr-BE.json"),
        Locale::De => include_str!("../../docs/privacy/subprocessors.de-BE.json"),
    };
    serde_json::from_str(json).expect("docs/privacy/subprocessors*.json are valid")
}

/// The register and the sub-processors in the reader's language. Public.
#[server(prefix = "/api/fn", endpoint = "privacy_records")]
pub async fn privacy_records() -> Result<(Register, Subprocessors), UiError> {
    let locale = crate::use_t().0;
    Ok((register(locale), subprocessors(locale)))
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
        locale: crate::use_t().0,
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
    let t = crate::use_t();
    // Blocking, so the records are in the page's first byte for readers without script.
    let records = Resource::new_blocking(|| (), |_| privacy_records());
    view! {
        <Title text=t.privacy_title()/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match records.await {
                    Err(e) => view! { <crate::work::LoadError title=t.privacy_heading() error=e/> }.into_any(),
                    Ok((register, subprocessors)) => view! { <PrivacyRecords register subprocessors/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PrivacyRecords(register: Register, subprocessors: Subprocessors) -> impl IntoView {
    let t = crate::use_t();
    view! {
        <section class="card" aria-labelledby="privacy-title">
            <h1 id="privacy-title">{t.privacy_heading()}</h1>
            <p>{register.controller_note.clone()}</p>
            <p>
                {t.privacy_served_as_data()} " "
                <a href="/api/v1/privacy/register">"/api/v1/privacy/register"</a> " · "
                <a href="/api/v1/privacy/subprocessors">"/api/v1/privacy/subprocessors"</a>
            </p>
            <h2>{t.privacy_what_heading()}</h2>
            <Table class="table" heads=vec![t.col_category(), t.col_purpose(), t.col_lawful_basis(), t.col_retention(), t.col_processors()]>
                {register.categories.into_iter().map(|c| view! {
                    <tr>
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
            <p>{subprocessors.note.clone()}</p>
            <Table class="table" heads=vec!["Id", t.col_subprocessor(), t.col_purpose(), t.col_location(), t.col_data()]>
                {subprocessors.subprocessors.into_iter().map(|p| view! {
                    <tr>
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
    let action = crate::error::server_action::<RequestSecurityPack>();
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_records_parse_and_name_every_category_and_processor() {
        let register = register(Locale::En);
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
        let processors: Vec<String> = subprocessors(Locale::En)
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

    /// A translation says the same things as English: the same categories and processors in
    /// the same order, every text present and actually translated.
    #[test]
    fn every_translation_of_the_records_matches_english() {
        let (register_en, processors_en) = (register(Locale::En), subprocessors(Locale::En));
        for locale in [Locale::Nl, Locale::Fr, Locale::De] {
            let (register, processors) = (register(locale), subprocessors(locale));
            let ids = |r: &Register| {
                r.categories
                    .iter()
                    .map(|c| (c.id.clone(), c.processors.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&register), ids(&register_en), "{locale:?} register");
            let pids = |s: &Subprocessors| {
                s.subprocessors
                    .iter()
                    .map(|p| p.id.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                pids(&processors),
                pids(&processors_en),
                "{locale:?} processors"
            );
            assert_ne!(register.controller_note, register_en.controller_note);
            assert_ne!(processors.note, processors_en.note);
            for (c, e) in register.categories.iter().zip(&register_en.categories) {
                for (text, english) in [
                    (&c.name, &e.name),
                    (&c.data, &e.data),
                    (&c.purpose, &e.purpose),
                    (&c.lawful_basis, &e.lawful_basis),
                    (&c.retention, &e.retention),
                ] {
                    assert!(
                        !text.is_empty() && text != english,
                        "{locale:?} {}: {text}",
                        c.id
                    );
                }
            }
            for (p, e) in processors
                .subprocessors
                .iter()
                .zip(&processors_en.subprocessors)
            {
                for (text, english) in [
                    (&p.name, &e.name),
                    (&p.purpose, &e.purpose),
                    (&p.data, &e.data),
                ] {
                    assert!(
                        !text.is_empty() && text != english,
                        "{locale:?} {}: {text}",
                        p.id
                    );
                }
            }
        }
    }
}
