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
    Ok(
        "Thank you. We sent a confirmation to your address and will reply within two working days."
            .into(),
    )
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let register = register();
    let subprocessors = subprocessors();
    view! {
        <Title text="Privacy — Bastion"/>
        <section class="card" aria-labelledby="privacy-title">
            <h1 id="privacy-title">"Privacy"</h1>
            <p>{register.controller_note.clone()}</p>
            <p>
                "The same records are served as data at "
                <a href="/api/v1/privacy/register">"/api/v1/privacy/register"</a> " and "
                <a href="/api/v1/privacy/subprocessors">"/api/v1/privacy/subprocessors"</a> "."
            </p>
            <h2>"What we process, why, and for how long"</h2>
            <Table class="table" heads=&["Category", "Purpose", "Lawful basis", "Retention", "Processors"]>
                {register.categories.into_iter().map(|c| view! {
                    <tr>
                        <th scope="row">{c.name.clone()}<br/><span class="muted">{c.data.clone()}</span></th>
                        <td data-label="Purpose">{c.purpose.clone()}</td>
                        <td data-label="Lawful basis">{c.lawful_basis.clone()}</td>
                        <td data-label="Retention">{c.retention.clone()}</td>
                        <td data-label="Processors">{c.processors.join(", ")}</td>
                    </tr>
                }).collect_view()}
            </Table>
        </section>
        <section class="card" aria-labelledby="subprocessors-title">
            <h2 id="subprocessors-title">"Sub-processors"</h2>
            <p>{subprocessors.note.clone()}</p>
            <Table class="table" heads=&["Id", "Sub-processor", "Purpose", "Location", "Data"]>
                {subprocessors.subprocessors.into_iter().map(|p| view! {
                    <tr>
                        <td data-label="Id">{p.id.clone()}</td>
                        <th scope="row">{p.name.clone()}</th>
                        <td data-label="Purpose">{p.purpose.clone()}</td>
                        <td data-label="Location">{p.location.clone()}</td>
                        <td data-label="Data">{p.data.clone()}</td>
                    </tr>
                }).collect_view()}
            </Table>
            <p><a href="/security/request">"Request our data-processing agreement"</a></p>
        </section>
    }
}

/// What the product promises, each backed by how it is built.
const SECURITY_PROMISES: &[(&str, &str)] = &[
    (
        "Your workspace is walled off by the database itself",
        "Every workspace has its own PostgreSQL schema and role. Requests run as that role, so a \
         bug in our code still cannot read another customer's rows.",
    ),
    (
        "Secrets are encrypted with keys that live outside the database",
        "Integration tokens are encrypted under a data key per workspace, itself encrypted under \
         master keys kept out of PostgreSQL. A copy of the database alone decrypts nothing.",
    ),
    (
        "Passwords and sessions are handled carefully",
        "Passwords are hashed with Argon2id and checked against common ones; sign-in is rate \
         limited and locks after repeated failures; sessions expire and can be ended from any device.",
    ),
    (
        "Changes leave a trail that cannot be rewritten quietly",
        "Every change to tasks, comments, time, files and tags is recorded by the database in a \
         hash chain; altering or removing an event breaks the chain where it happened.",
    ),
    (
        "Your data stays in the European Union",
        "Files are stored in an EU region; the server refuses to start with storage elsewhere. \
         Days and weeks follow Brussels time, amounts are in euro.",
    ),
    (
        "You can take everything with you, or erase it",
        "Admins export the whole workspace as JSON and CSV with every file, and can erase it: the \
         schema, role, files and encryption key are destroyed, and only a receipt remains.",
    ),
];

#[component]
pub fn SecurityPage() -> impl IntoView {
    view! {
        <Title text="Security — Bastion"/>
        <section class="card" aria-labelledby="security-title">
            <h1 id="security-title">"Security"</h1>
            <p>"What we promise, and how the product keeps each promise."</p>
            <ul class="promise-list">
                {SECURITY_PROMISES.iter().map(|(title, body)| view! {
                    <li><h2>{*title}</h2><p>{*body}</p></li>
                }).collect_view()}
            </ul>
            <p>
                "Need the details for your own assessment? "
                <a href="/security/request">"Request the security pack or our data-processing agreement"</a> "."
            </p>
        </section>
    }
}

#[component]
pub fn SecurityRequestPage() -> impl IntoView {
    let action = ServerAction::<RequestSecurityPack>::new();
    let outcome = action_outcome(action);
    view! {
        <Title text="Request the security pack — Bastion"/>
        <section class="card narrow" aria-labelledby="request-title">
            <h1 id="request-title">"Request the security pack or a DPA"</h1>
            <ActionForm action=action attr:class="form">
                <label for="req-kind">"What do you need?"</label>
                <select id="req-kind" name="kind">
                    <option value="dpa" selected>"Data-processing agreement (DPA)"</option>
                    <option value="security_pack">"Security pack"</option>
                </select>
                <label for="req-name">"Your name"</label>
                <input id="req-name" name="name" required autocomplete="name"/>
                <label for="req-email">"Work email"</label>
                <input id="req-email" name="email" type="email" required autocomplete="email"/>
                <label for="req-org">"Organisation"</label>
                <input id="req-org" name="organisation" required autocomplete="organization"/>
                <label for="req-message">"Anything we should know (optional)"</label>
                <textarea id="req-message" name="message" rows="4" maxlength="2000"></textarea>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Send request"</button>
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
