//! The devices an account signs in from, so that its owner hears of a sign-in from a new one
//! (issue 17, session hygiene). A device is approximate on purpose: the browser and system its
//! user agent names ("Firefox (Linux)") and the network its address is in (IPv4 /24, IPv6 /48),
//! both read from the request alone, with no outside service asked where an address is. Only a
//! digest of the pair is stored (public migration 0027).

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{accounts::User, keys::MasterKeyRing, CoreResult};

/// Where a new session comes from, as its request tells it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInFrom<'a> {
    pub user_agent: Option<&'a str>,
    pub address: Option<IpAddr>,
}

/// "Firefox (Linux)": the browser and the system a user agent names, the most specific name
/// first (Edge and Opera say "Chrome", Chrome says "Safari"); `None` when it names neither.
pub fn summary(user_agent: &str) -> Option<String> {
    const BROWSERS: [(&str, &str); 8] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests/", "Python requests"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| user_agent.contains(marker))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => Some(format!("{browser} ({system})")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// The network an address is in, as the email shows it: `203.0.113.0/24`, `2001:db8:1::/48`.
pub fn network(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
                format!("{prefix}/48")
            }
        },
    }
}

fn digest(user_id: Uuid, device: &str, network: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"bastion sign-in device\0");
    h.update(user_id.as_bytes());
    h.update(device.as_bytes());
    h.update([0]);
    h.update(network.as_bytes());
    h.finalize().to_vec()
}

/// Records that `user` signed in from `from`, and mails them when it is a device the account
/// has not signed in from before, unless it is the account's first (a new account's own
/// sign-up). Answers whether the owner was told. The mail goes through the outbox in the same
/// transaction as the record, in the account's language.
pub(crate) async fn note_sign_in(
    conn: &mut PgConnection,
    master: &MasterKeyRing,
    user: &User,
    from: SignInFrom<'_>,
) -> CoreResult<bool> {
    let t = bastion_i18n::Locale::from_tag(&user.locale)
        .unwrap_or_default()
        .t();
    // The digest is of what was found, not of its wording, which follows the language.
    let device = from.user_agent.and_then(summary);
    let place = from.address.map(network);
    let known: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_devices WHERE user_id = $1")
        .bind(user.id)
        .fetch_one(&mut *conn)
        .await?;
    let new = sqlx::query(
        "INSERT INTO sign_in_devices (user_id, device_digest) VALUES ($1, $2)
         ON CONFLICT (user_id, device_digest) DO UPDATE SET last_seen_at = now()
         RETURNING (xmax = 0) AS inserted",
    )
    .bind(user.id)
    .bind(digest(
        user.id,
        device.as_deref().unwrap_or_default(),
        place.as_deref().unwrap_or_default(),
    ))
    .fetch_one(&mut *conn)
    .await
    .map(|row| sqlx::Row::get::<bool, _>(&row, "inserted"))?;
    if !new || known == 0 {
        return Ok(false);
    }
    crate::mail::enqueue(
        conn,
        master,
        &user.email,
        t.mail_new_sign_in_subject(),
        &t.mail_new_sign_in_body(
            &user.name,
            device
                .as_deref()
                .unwrap_or(t.mail_new_sign_in_unknown_device()),
            place
                .as_deref()
                .unwrap_or(t.mail_new_sign_in_unknown_network()),
        ),
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_summarised_by_their_most_specific_names() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", Some("Firefox (Linux)")),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", Some("Edge (Windows)")),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15", Some("Safari (macOS)")),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", Some("Safari (iOS)")),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", Some("Chrome (Android)")),
            ("curl/8.5.0", Some("curl")),
            ("something else", None),
        ];
        for (agent, expected) in cases {
            assert_eq!(summary(agent).as_deref(), expected, "{agent}");
        }
    }

    #[test]
    fn addresses_are_cut_to_their_network() {
        let net = |s: &str| network(s.parse().unwrap());
        assert_eq!(net("203.0.113.77"), "203.0.113.0/24");
        assert_eq!(net("2001:db8:1:2:3:4:5:6"), "2001:db8:1::/48");
        assert_eq!(net("::ffff:198.51.100.9"), "198.51.100.0/24");
    }
}
