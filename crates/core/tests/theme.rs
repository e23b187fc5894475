//! The colour scheme and language each person chooses for the pages, and how a page request
//! finds them.

mod common;

use bastion_core::{
    accounts::{self, Theme},
    sessions,
    testing::TestDb,
    CoreError,
};
use bastion_i18n::Locale;
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
        sessions::page_prefs_for(&db.pool, &token).await.unwrap(),
        Some((Theme::System, Locale::En))
    );

    accounts::set_theme(&db.pool, ada.id, Theme::Dark)
        .await
        .unwrap();
    assert_eq!(
        accounts::theme(&db.pool, ada.id).await.unwrap(),
        Theme::Dark
    );
    assert_eq!(
        sessions::page_prefs_for(&db.pool, &token).await.unwrap(),
        Some((Theme::Dark, Locale::En))
    );
    accounts::set_locale(&db.pool, ada.id, Locale::Fr)
        .await
        .unwrap();
    assert_eq!(
        sessions::page_prefs_for(&db.pool, &token).await.unwrap(),
        Some((Theme::Dark, Locale::Fr))
    );
    let stored: String = sqlx::query_scalar("SELECT locale FROM users WHERE id = $1")
        .bind(ada.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, "fr-BE");
    // Only Ada's.
    assert_eq!(
        accounts::theme(&db.pool, bo.id).await.unwrap(),
        Theme::System
    );

    // A session that ended tells nothing.
    sessions::end(&db.pool, &token).await.unwrap();
    assert_eq!(
        sessions::page_prefs_for(&db.pool, &token).await.unwrap(),
        None
    );
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

#[test]
fn only_the_four_languages_are_accepted_naming_the_field() {
    assert_eq!(accounts::parse_locale("nl-BE").unwrap(), Locale::Nl);
    assert_eq!(accounts::parse_locale("fr").unwrap(), Locale::Fr);
    for bad in ["", "es", "x-klingon", "en'--"] {
        match accounts::parse_locale(bad) {
            Err(CoreError::Invalid { field, .. }) => assert_eq!(field, "locale", "{bad:?}"),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}
