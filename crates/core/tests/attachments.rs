//! Attachments against the real PostgreSQL and a real directory: bytes under the workspace's
//! prefix with a server-made key, visibility through the task, and no orphan on a failed insert.

mod common;

use bastion_core::{
    attachments::{self, Objects, Upload},
    testing::TestDb,
    workspaces::Workspace,
    CoreError, TenantTx, Viewer,
};
use bytes::Bytes;
use common::*;
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, Executor};
use uuid::Uuid;

struct Fixture {
    db: TestDb,
    ws: Workspace,
    dir: tempfile::TempDir,
    objects: Objects,
    admin: Uuid,
    guest: Uuid,
    task: Uuid,
}

impl Fixture {
    async fn new() -> Self {
        let db = TestDb::new().await;
        let ws = workspace(&db.pool, "acme").await;
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::local(&dir.path().join("objects")).unwrap();
        let (admin, guest) = (Uuid::new_v4(), Uuid::new_v4());
        let mut tx = tenant(&db.pool, &ws).await;
        let c = tx.conn();
        add_member_row(c, admin, "admin").await;
        add_member_row(c, guest, "guest").await;
        let project = add_project(c, "Website").await;
        let task = add_task(c, project, "Work", admin).await;
        tx.commit().await.unwrap();
        Self {
            db,
            ws,
            dir,
            objects,
            admin,
            guest,
            task,
        }
    }

    async fn tx(&self, user: Uuid) -> TenantTx {
        as_user(&self.db.pool, &self.ws, user).await
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if entry.path().is_dir() {
                    walk(&entry.path(), out);
                } else {
                    out.push(entry.path());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("objects"), &mut out);
        out
    }
}

fn upload(name: &str, body: &'static [u8]) -> Upload {
    Upload {
        filename: name.into(),
        content_type: Some("application/pdf".into()),
        bytes: Bytes::from_static(body),
    }
}

#[tokio::test]
async fn uploads_land_under_the_workspace_prefix_and_stream_back() {
    let f = Fixture::new().await;
    let admin = Viewer {
        user_id: f.admin,
        role: bastion_core::Role::Admin,
    };
    let mut tx = f.tx(f.admin).await;
    let a = attachments::upload(
        &mut tx,
        &f.objects,
        f.ws.id,
        admin,
        f.task,
        upload("../../etc/passwd", b"%PDF-1.7 hello"),
        1024,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(a.filename, "passwd");
    assert_eq!(a.size_bytes, 14);
    assert_eq!(a.uploader_id, f.admin);
    assert_eq!(a.object_key, Objects::key(f.ws.id, a.id));
    // The bytes are at the key and nowhere else: the user's path played no part.
    let files = f.files();
    assert_eq!(
        files,
        vec![f
            .dir
            .path()
            .join("objects")
            .join(f.ws.id.0.simple().to_string())
            .join(a.id.simple().to_string())]
    );

    let mut tx = f.tx(f.admin).await;
    assert_eq!(
        attachments::list_for_task(&mut tx, admin, f.task)
            .await
            .unwrap(),
        vec![a.clone()]
    );
    let found = attachments::get(&mut tx, admin, a.id).await.unwrap();
    let body: Vec<Bytes> = attachments::open(&f.objects, &found)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(body.concat(), b"%PDF-1.7 hello");
    tx.rollback().await.unwrap();

    // A guest who does not view the task sees neither it nor its attachments.
    let guest = Viewer {
        user_id: f.guest,
        role: bastion_core::Role::Guest,
    };
    let mut tx = f.tx(f.guest).await;
    assert!(matches!(
        attachments::get(&mut tx, guest, a.id).await,
        Err(CoreError::NotFound("attachment"))
    ));
    assert!(matches!(
        attachments::list_for_task(&mut tx, guest, f.task).await,
        Err(CoreError::NotFound("task"))
    ));
    tx.rollback().await.unwrap();

    // Too large, or nameless: refused with the field named, nothing stored.
    let mut tx = f.tx(f.admin).await;
    let too_big = attachments::upload(
        &mut tx,
        &f.objects,
        f.ws.id,
        admin,
        f.task,
        upload("big.bin", b"12345"),
        4,
    )
    .await;
    assert!(matches!(
        too_big,
        Err(CoreError::Invalid { field: "file", .. })
    ));
    let nameless = attachments::upload(
        &mut tx,
        &f.objects,
        f.ws.id,
        admin,
        f.task,
        upload("/", b"x"),
        4,
    )
    .await;
    assert!(matches!(
        nameless,
        Err(CoreError::Invalid {
            field: "filename",
            ..
        })
    ));
    tx.rollback().await.unwrap();
    assert_eq!(f.files().len(), 1);

    // Deleting removes row and bytes.
    let mut tx = f.tx(f.admin).await;
    attachments::delete(&mut tx, &f.objects, admin, found.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(f.files().is_empty());
    assert!(!f.objects.exists(&found.object_key).await.unwrap());
    let mut tx = f.tx(f.admin).await;
    assert!(attachments::list_for_task(&mut tx, admin, f.task)
        .await
        .unwrap()
        .is_empty());
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn a_row_that_cannot_be_written_leaves_no_object_behind() {
    let f = Fixture::new().await;
    // The operator's trigger stands in for any failure of the insert.
    let mut su = admin(&f.db).await;
    su.execute(AssertSqlSafe(format!(
        "SET search_path = {q};
         CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON attachments FOR EACH ROW EXECUTE FUNCTION refuse();
         RESET search_path;",
        q = f.ws.schema().quoted()
    )))
    .await
    .unwrap();
    let mut tx = f.tx(f.admin).await;
    let result = attachments::upload(
        &mut tx,
        &f.objects,
        f.ws.id,
        Viewer {
            user_id: f.admin,
            role: bastion_core::Role::Admin,
        },
        f.task,
        upload("plan.pdf", b"bytes"),
        1024,
    )
    .await;
    assert!(matches!(result, Err(CoreError::Database(_))), "{result:?}");
    tx.rollback().await.unwrap();
    assert!(f.files().is_empty(), "{:?}", f.files());
}
