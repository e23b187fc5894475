//! The real router on a fresh database, and a workspace with one person of every kind.

#![allow(dead_code)]

use std::sync::Arc;

use axum::{
    body::Body,
    http::{header, HeaderMap, Request, StatusCode},
    Router,
};
use bastion::{config::Config, AppState};
use bastion_core::{accounts, testing::TestDb, workspaces, Actor, Slug};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";
pub const ORIGIN: &str = "http://127.0.0.1:3000";

pub struct TestApp {
    pub router: Router,
    /// What `serve` answers on `BASTION_METRICS_ADDR`, counting `router`'s requests.
    pub metrics: Router,
    pub db: TestDb,
    /// The data directory (attachments land in `objects/` here), removed with the app.
    pub data_dir: tempfile::TempDir,
    /// The app's object storage (the local folder, or S3 when configured), as the job runner
    /// of `serve` would use it.
    pub objects: bastion_core::storage::Objects,
    /// What `router` was built from, for a test that builds another.
    pub state: AppState,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app with these settings in its environment.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDb::new().await, vars)
}

/// The app over this test database (one with a pool of its own making), with these settings.
pub fn spawn_app_on(db: TestDb, vars: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !vars.iter().any(|(k, _)| k == "BASTION_DATA_DIR") {
        vars.push((
            "BASTION_DATA_DIR".into(),
            data_dir.path().display().to_string(),
        ));
    }
    let config = Config::load_with_env(Some(std::path::Path::new("/dev/null")), |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .unwrap();
    let pool = db.pool.clone();
    serve(db, pool, config, data_dir)
}

/// The real router over `pool` (the test database's own, or one configured like `serve`'s).
pub fn serve(
    db: TestDb,
    pool: sqlx::PgPool,
    config: Config,
    data_dir: tempfile::TempDir,
) -> TestApp {
    let state = AppState {
        live: bastion_core::live::Hub::new(pool.clone()),
        pool,
        keys: Arc::new(bastion_core::testing::master_keys().clone()),
        leptos_options: bastion::leptos_options(&config).unwrap(),
        objects: config.objects().unwrap(),
        config: Arc::new(config),
        shutting_down: Default::default(),
    };
    let http_metrics = Arc::new(bastion::metrics::HttpMetrics::default());
    let objects = state.objects.clone();
    TestApp {
        objects,
        metrics: bastion::metrics::router(state.pool.clone(), http_metrics.clone()),
        router: bastion::router_with_metrics(state.clone(), http_metrics),
        state,
        db,
        data_dir,
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .to_str()
            .unwrap()
    }

    /// The session cookie this answer sets, as `name=value` for a `Cookie` header.
    pub fn session_cookie(&self) -> String {
        let set = self.header("set-cookie");
        set.split(';').next().unwrap().to_owned()
    }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        // An event stream does not end: its head is the answer (tests/events.rs reads streams).
        if headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"))
        {
            return Answer {
                status,
                headers,
                body: String::new(),
            };
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A server function called as a page's form posts it: form-encoded, same origin.
    pub async fn server_fn(&self, endpoint: &str, cookie: &str, form: &str) -> Answer {
        self.send(
            Request::post(format!("/api/fn/{endpoint}"))
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie)
                .body(Body::from(form.to_owned()))
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A request as the browser of someone signed in with `cookie` would send it (same origin).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        cookie: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ORIGIN, ORIGIN);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(with_json(request, body)).await
    }

    pub async fn get_as(&self, cookie: &str, uri: &str) -> Answer {
        self.call("GET", uri, Some(cookie), None).await
    }

    pub async fn delete_as(&self, cookie: &str, uri: &str) -> Answer {
        self.call("DELETE", uri, Some(cookie), None).await
    }

    pub async fn post_as(&self, cookie: &str, uri: &str, body: serde_json::Value) -> Answer {
        self.call("POST", uri, Some(cookie), Some(body)).await
    }

    pub async fn patch_as(&self, cookie: &str, uri: &str, body: serde_json::Value) -> Answer {
        self.call("PATCH", uri, Some(cookie), Some(body)).await
    }

    pub async fn put_as(&self, cookie: &str, uri: &str, body: serde_json::Value) -> Answer {
        self.call("PUT", uri, Some(cookie), Some(body)).await
    }

    /// A request as an integration sends it: `Authorization: Bearer <token>`, no cookie, no
    /// `Origin`.
    pub async fn bearer(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        self.send(with_json(request, body)).await
    }

    /// A multipart upload of one file as the field `file`, as a browser form sends it.
    pub async fn upload(
        &self,
        uri: &str,
        cookie: Option<&str>,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Answer {
        self.upload_parts(uri, cookie, &[("file", filename, content_type, bytes)])
            .await
    }

    /// A multipart body of these parts `(name, file name, content type, bytes)`, in order.
    pub async fn upload_parts(
        &self,
        uri: &str,
        cookie: Option<&str>,
        parts: &[(&str, &str, &str, &[u8])],
    ) -> Answer {
        let boundary = "bastion-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, filename, content_type, bytes) in parts {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                     Content-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = Request::post(uri)
            .header(header::ORIGIN, ORIGIN)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// A task in `slug` made by `created_by`, through plain INSERTs (a project comes with it).
    pub async fn seed_task(&self, slug: &str, created_by: uuid::Uuid, private: bool) -> uuid::Uuid {
        let ws = workspaces::find_by_slug(&self.db.pool, slug)
            .await
            .unwrap()
            .unwrap();
        let mut tx =
            bastion_core::TenantTx::begin(&self.db.pool, &ws.schema(), Actor::User(created_by))
                .await
                .unwrap();
        let (project, task) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        sqlx::query("INSERT INTO projects (id, name, created_by, key_prefix)
             VALUES ($1, 'Seeded', $2, translate(upper(left(replace($1::text, '-', ''), 6)), '0123456789', 'GHIJKLMNOP'))")
            .bind(project)
            .bind(created_by)
            .execute(tx.conn())
            .await
            .unwrap();
        sqlx::query(
            "WITH n AS (UPDATE projects SET last_task_number = last_task_number + 1
                         WHERE id = $2 RETURNING last_task_number)
             INSERT INTO tasks (id, project_id, title, private, created_by, number)
             SELECT $1, $2, 'Seeded task', $3, $4, n.last_task_number FROM n",
        )
        .bind(task)
        .bind(project)
        .bind(private)
        .bind(created_by)
        .execute(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        task
    }

    pub async fn sign_in(&self, email: &str) -> String {
        let answer = self
            .call(
                "POST",
                "/api/v1/auth/sign-in",
                None,
                Some(serde_json::json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.session_cookie()
    }
}

/// A workspace with an admin, a member, a guest, a deactivated member, and a stranger who
/// belongs to another workspace; each signed in.
pub struct Cast {
    pub slug: String,
    pub admin_id: uuid::Uuid,
    pub member_id: uuid::Uuid,
    pub guest_id: uuid::Uuid,
    pub deactivated_id: uuid::Uuid,
    pub other_slug: String,
    pub admin: String,
    pub member: String,
    pub guest: String,
    pub deactivated: String,
    pub stranger: String,
}

impl Cast {
    /// A path in the cast's workspace: `cast.api("/tasks")` is `/api/v1/workspaces/acme/tasks`.
    pub fn api(&self, rest: &str) -> String {
        format!("/api/v1/workspaces/{}{rest}", self.slug)
    }

    pub async fn new(app: &TestApp) -> Cast {
        let pool = &app.db.pool;
        let ws = workspaces::create_workspace(
            pool,
            bastion_core::testing::master_keys(),
            &Slug::parse("acme").unwrap(),
            "Acme",
        )
        .await
        .unwrap();
        let other = workspaces::create_workspace(
            pool,
            bastion_core::testing::master_keys(),
            &Slug::parse("globex").unwrap(),
            "Globex",
        )
        .await
        .unwrap();
        let mut cookies = Vec::new();
        let mut ids = Vec::new();
        for (who, role, workspace) in [
            ("admin", "admin", &ws),
            ("member", "member", &ws),
            ("guest", "guest", &ws),
            ("deactivated", "member", &ws),
            ("stranger", "admin", &other),
        ] {
            let email = format!("{who}@example.eu");
            let user = accounts::create_user(pool, &email, who, PASSWORD)
                .await
                .unwrap();
            accounts::add_member(pool, workspace, user.id, role, Actor::System)
                .await
                .unwrap();
            if who == "deactivated" {
                let mut tx = bastion_core::TenantTx::begin(pool, &ws.schema(), Actor::System)
                    .await
                    .unwrap();
                sqlx::query("UPDATE members SET active = false WHERE user_id = $1")
                    .bind(user.id)
                    .execute(tx.conn())
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            ids.push(user.id);
            cookies.push(app.sign_in(&email).await);
        }
        let mut c = cookies.into_iter();
        Cast {
            slug: ws.slug,
            admin_id: ids[0],
            member_id: ids[1],
            guest_id: ids[2],
            deactivated_id: ids[3],
            other_slug: other.slug,
            admin: c.next().unwrap(),
            member: c.next().unwrap(),
            guest: c.next().unwrap(),
            deactivated: c.next().unwrap(),
            stranger: c.next().unwrap(),
        }
    }
}

/// The request with `body` as its JSON, or with no body.
fn with_json(
    request: axum::http::request::Builder,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    match body {
        Some(json) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap()
}
