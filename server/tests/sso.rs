//! Single sign-on through the real router against a real OpenID provider: the npm
//! `oidc-provider` package (`end2end/oidc/provider.mjs`), started here on 127.0.0.1 with node.
//! This test fails, rather than skips, without node or the package (`./x test` installs both).

mod common;

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use axum::{body::Body, http::Request, http::StatusCode};
use base64::Engine;
use common::{spawn_app_with, Answer, Cast, TestApp, PASSWORD};
use serde_json::json;

const CLIENT_ID: &str = "bastion-test";
const CLIENT_SECRET: &str = "sso-client-secret-Zq8vN3kR7tW1yB5m";

struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider(redirect_uri: &str) -> Provider {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::new("node")
        .arg("end2end/oidc/provider.mjs")
        .args([&port.to_string(), CLIENT_ID, CLIENT_SECRET, redirect_uri])
        .current_dir(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the test provider (./x installs node and `npm ci` the package)");
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // The provider writes notices later: keep its stdout open (a closed pipe would stop it).
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    assert!(
        line.starts_with("ready "),
        "the provider did not start: {line:?} (is `oidc-provider` installed? `npm ci`)"
    );
    Provider {
        child,
        issuer: line.trim_start_matches("ready ").trim().to_owned(),
    }
}

/// The browser's part at the provider: follow the authorization request to the sign-in form,
/// submit `email`, and return where the provider sends the browser back to (our callback).
async fn through_provider(provider: &Provider, authorization_url: &str, email: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    let mut url = authorization_url.to_owned();
    let mut form = Some(email);
    for _ in 0..8 {
        if url.starts_with('/') {
            url = format!("{}{url}", provider.issuer);
        }
        if !url.starts_with(&provider.issuer) {
            return url; // back to us
        }
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if url.contains("/interaction/") && form.is_some() {
            // GET shows the form; POST submits it.
            let page = client
                .get(&url)
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200, "the provider's sign-in form");
            client
                .post(&url)
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("email={}", form.take().unwrap()))
        } else {
            client.get(&url).header("cookie", &cookie)
        };
        let response = request.send().await.unwrap();
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
        assert!(
            response.status().is_redirection(),
            "{url}: {}",
            response.status()
        );
        url = response.headers()["location"].to_str().unwrap().to_owned();
    }
    panic!("the provider never sent the browser back");
}

/// A whole sign-in as a browser: our start, the provider, our callback (with the state cookie
/// unless `drop_cookie`). Returns the callback's answer.
async fn sign_in(
    app: &TestApp,
    provider: &Provider,
    start: &str,
    email: &str,
) -> (Answer, String, String) {
    let started = app.get(start).await;
    let location = onward(&started);
    assert!(
        location.starts_with(&provider.issuer),
        "to the provider: {location}"
    );
    for part in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(location.contains(part), "{part} in {location}");
    }
    let state_cookie = started
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(state_cookie.starts_with("bastion_sso="));
    let back = through_provider(provider, &location, email).await;
    let path = back
        .split_once("/api/v1/auth/sso/callback")
        .map(|(_, q)| format!("/api/v1/auth/sso/callback{q}"))
        .unwrap_or_else(|| panic!("back to our callback: {back}"));
    let answer = app
        .send(
            Request::get(&path)
                .header("cookie", &state_cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    (answer, path, state_cookie)
}

/// Where the start's page goes on to: its meta refresh and its link name the same address.
fn onward(started: &Answer) -> String {
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert!(started.header("content-type").starts_with("text/html"));
    let href = started
        .body
        .split("<a href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a link onward: {}", started.body))
        .replace("&amp;", "&");
    assert!(
        started.body.contains(&format!(
            "content=\"0; url={}\"",
            href.replace('&', "&amp;")
        )),
        "{}",
        started.body
    );
    href
}

fn session_of(answer: &Answer) -> String {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("bastion_session="))
        .unwrap_or_else(|| panic!("no session in {:?}", answer.headers))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn refused_with(answer: &Answer, code: &str) {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        format!("/sign-in?sso_error={code}")
    );
    assert!(
        !answer
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("bastion_session=")),
        "a refusal starts no session"
    );
}

#[tokio::test]
async fn people_sign_in_through_the_workspaces_own_provider_and_no_one_else_does() {
    let app = spawn_app_with(&[("BASTION_SSO_ALLOW_PRIVATE_ISSUERS", "true")]).await;
    let cast = Cast::new(&app).await;
    let sso = cast.api("/sso");

    // Before any save: admins see it unconfigured; others may not look; strangers get 404.
    let before = app.get_as(&cast.admin, &sso).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert_eq!(before.json()["configured"], false);
    let redirect_uri = before.json()["redirect_uri"].as_str().unwrap().to_owned();
    assert!(redirect_uri.ends_with("/api/v1/auth/sso/callback"));
    assert_eq!(
        app.get_as(&cast.member, &sso).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get_as(&cast.stranger, &sso).await.status,
        StatusCode::NOT_FOUND
    );

    let provider = start_provider(&redirect_uri);
    let good = json!({
        "enabled": true, "issuer": provider.issuer, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "email_domains": ["Example.EU"],
    });
    assert_eq!(
        app.put_as(&cast.member, &sso, good.clone()).await.status,
        StatusCode::FORBIDDEN
    );

    // Each bad field is named, and nothing is saved.
    for (field, patch) in [
        (
            "issuer",
            json!({"issuer": "http://127.0.0.1:9/nothing-here"}),
        ),
        ("issuer", json!({"issuer": "ftp://id.example.eu"})),
        ("client_id", json!({"client_id": " "})),
        ("email_domains", json!({"email_domains": ["gmail.com"]})),
        ("email_domains", json!({"email_domains": ["unowned.be"]})),
        ("email_domains", json!({"email_domains": []})),
        ("sso_only", json!({"enabled": false, "sso_only": true})),
        ("break_glass_user_id", json!({"sso_only": true})),
        (
            "break_glass_user_id",
            json!({"sso_only": true, "break_glass_user_id": cast.member_id}),
        ),
        // Named without "only", it must still be an active admin (not nobody at all).
        (
            "break_glass_user_id",
            json!({"break_glass_user_id": uuid::Uuid::new_v4()}),
        ),
        ("client_secret", json!({"client_secret": null})),
    ] {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let answer = app.put_as(&cast.admin, &sso, body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            answer.body
        );
        assert_eq!(answer.json()["error"]["field"], field, "{}", answer.body);
    }
    assert_eq!(
        app.get_as(&cast.admin, &sso).await.json()["configured"],
        false
    );

    let saved = app.put_as(&cast.admin, &sso, good.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let saved = saved.json();
    assert_eq!(saved["email_domains"], json!(["example.eu"]));
    assert_eq!(saved["client_secret_set"], true);
    assert!(
        saved.get("client_secret").is_none(),
        "the secret never comes back"
    );

    // Another workspace cannot claim the same domain.
    let other = app
        .put_as(
            &cast.stranger,
            &format!("/api/v1/workspaces/{}/sso", cast.other_slug),
            good.clone(),
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert!(other.body.contains("example.eu"), "{}", other.body);

    // The member signs in by email; the session is theirs and says how it was opened.
    let (answer, used, state_cookie) = sign_in(
        &app,
        &provider,
        "/api/v1/auth/sso/start?email=member%40example.eu",
        "member@example.eu",
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.header("location"), "/w/acme");
    let session = session_of(&answer);
    let me = app.get_as(&session, "/api/v1/me").await;
    assert_eq!(
        me.json()["user"]["email"],
        "member@example.eu",
        "{}",
        me.body
    );
    let sessions = app.get_as(&session, "/api/v1/me/sessions").await.json();
    let current = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .cloned()
        .unwrap();
    assert_eq!(current["factor"], "sso");

    // The same answer again (a replay), or without the browser's state cookie: refused.
    let replay = app
        .send(
            Request::get(&used)
                .header("cookie", &state_cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    refused_with(&replay, "expired");
    let started = app.get("/api/v1/auth/sso/start?workspace=acme").await;
    let back = through_provider(&provider, &onward(&started), "member@example.eu").await;
    let path = format!(
        "/api/v1/auth/sso/callback{}",
        back.split_once("/api/v1/auth/sso/callback").unwrap().1
    );
    refused_with(&app.get(&path).await, "expired");
    let forged = app
        .send(
            Request::get(&path)
                .header("cookie", "bastion_sso=someone-elses-state")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    refused_with(&forged, "expired");

    // Not verified, another domain, not a member, deactivated: refused, no session.
    for (email, code) in [
        ("unverified@example.eu", "unverified_email"),
        ("ada@elsewhere.be", "other_domain"),
        ("newcomer@example.eu", "not_member"),
        ("deactivated@example.eu", "not_member"),
    ] {
        let (answer, _, _) = sign_in(
            &app,
            &provider,
            "/api/v1/auth/sso/start?workspace=acme",
            email,
        )
        .await;
        refused_with(&answer, code);
    }
    // An email at a domain nobody claims does not start at all.
    refused_with(
        &app.get("/api/v1/auth/sso/start?email=ada%40nobody.be")
            .await,
        "not_configured",
    );
    let no_input = app.get("/api/v1/auth/sso/start").await;
    assert_eq!(no_input.status, StatusCode::UNPROCESSABLE_ENTITY);

    // With joining allowed, a newcomer at the domain becomes a member.
    let mut join = good.clone();
    join["allow_join"] = json!(true);
    join.as_object_mut().unwrap().remove("client_secret"); // kept
    let answer = app.put_as(&cast.admin, &sso, join.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let (answer, _, _) = sign_in(
        &app,
        &provider,
        "/api/v1/auth/sso/start?email=newcomer%40example.eu",
        "newcomer@example.eu",
    )
    .await;
    assert_eq!(answer.header("location"), "/w/acme", "{:?}", answer.headers);
    let newcomer = session_of(&answer);
    let members = app.get_as(&cast.admin, &cast.api("/members")).await.json();
    let joined = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "newcomer@example.eu")
        .cloned()
        .unwrap_or_else(|| panic!("the newcomer is a member: {members}"));
    assert_eq!(joined["role"], "member");
    assert_eq!(
        app.get_as(&newcomer, &cast.api("/projects")).await.status,
        StatusCode::OK
    );

    // Single sign-on only: the member's password is refused (naming the way in), the
    // break-glass admin's still works, and the provider still signs the member in.
    let mut only = join.clone();
    only["sso_only"] = json!(true);
    only["break_glass_user_id"] = json!(cast.admin_id);
    let answer = app.put_as(&cast.admin, &sso, only).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let refused = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "member@example.eu", "password": PASSWORD})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "sso_required");
    assert!(
        refused
            .body
            .contains("/api/v1/auth/sso/start?workspace=acme"),
        "{}",
        refused.body
    );
    // A wrong password is still just wrong: the refusal says nothing without the password.
    let wrong = app
        .call(
            "POST",
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "member@example.eu", "password": "not the password at all"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    app.sign_in("admin@example.eu").await;
    // The sign-in page's server function refuses the same way.
    let page = app
        .server_fn(
            "sign_in",
            "",
            &format!(
                "email=member%40example.eu&password={}",
                PASSWORD.replace(' ', "+")
            ),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let (answer, _, _) = sign_in(
        &app,
        &provider,
        "/api/v1/auth/sso/start?email=member%40example.eu",
        "member@example.eu",
    )
    .await;
    assert_eq!(answer.header("location"), "/w/acme");

    // Every change is in the workspace's history, with the secret's version and never the
    // secret.
    let audit = app
        .get_as(&cast.admin, &cast.api("/audit?entity=workspace"))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let events: Vec<serde_json::Value> = audit.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["changes"].get("sso").is_some())
        .cloned()
        .collect();
    assert_eq!(events.len(), 3, "{}", audit.body);
    assert_eq!(events[0]["changes"]["sso"]["after"]["sso_only"], true);
    assert_eq!(
        events[2]["changes"]["sso"]["before"],
        serde_json::Value::Null
    );
    assert_eq!(
        events[2]["changes"]["sso"]["after"]["client_secret_version"],
        1
    );
    assert!(!audit.body.contains(CLIENT_SECRET));

    // A superuser's dump holds the secret in no form.
    let dump = app.db.pg_dump();
    assert!(dump.contains("workspace_sso"), "the dump covers the table");
    let b64 = base64::engine::general_purpose::STANDARD.encode(CLIENT_SECRET);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(CLIENT_SECRET);
    let hex: String = CLIENT_SECRET.bytes().map(|b| format!("{b:02x}")).collect();
    for form in [CLIENT_SECRET, &b64, &b64url, &hex, &b64[..16], &hex[..24]] {
        assert!(
            !dump.contains(form),
            "the client secret is in the dump as {form}"
        );
    }
}
