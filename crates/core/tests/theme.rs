//! The colour scheme each person chooses for the pages, and how a page request finds it.

mod common;

use bastion_core::{
    accounts::{self, Theme},
    sessions,
    testing::TestDb,
    CoreError,
};
use common::user;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_chooses_their_own_colour_scheme_and_their_sessions_find_it() {
    let db = TestDb::new().await;
    let ada = user(&db.pool, "ada@example.eu", "Ada").await;
    let bo = user(&db.pool, "bo@example.eu", "Bo").await;
    assert_eq!(
        accounts::theme(&db.pool, ada.id).await.unwrap(),
        Theme::System
    );

    let (token, _) = sessions::create(&db.pool, ada.id, None).await.unwrap();
    assert_eq!(
        sessions::theme_for(&db.pool, &token).await.unwrap(),
        Some(Theme::System)
    );

    accounts::set_theme(&db.pool, ada.id, Theme::Dark)
        .await
        .unwrap();
    assert_eq!(
        accounts::theme(&db.pool, ada.id).await.unwrap(),
        Theme::Dark
    );
    assert_eq!(
        sessions::theme_for(&db.pool, &token).await.unwrap(),
        Some(Theme::Dark)
    );
    // Only Ada's.
    assert_eq!(
        accounts::theme(&db.pool, bo.id).await.unwrap(),
        Theme::System
    );

    // A session that ended tells nothing.
    sessions::end(&db.pool, &token).await.unwrap();
    assert_eq!(sessions::theme_for(&db.pool, &token).await.unwrap(), None);
}

#[test]
fn only_the_three_schemes_are_accepted_naming_the_field() {
    for theme in Theme::ALL {
        assert_eq!(Theme::parse(theme.as_str()).unwrap(), theme);
    }
    for bad in ["", "Dark", "sepia", "dark; x"] {
        match Theme::parse(bad) {
            Err(CoreError::Invalid { field, .. }) => assert_eq!(field, "theme", "{bad:?}"),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}
