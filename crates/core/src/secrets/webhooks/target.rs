//! Where a webhook may go (SSRF guard). A URL is checked when an endpoint is saved and again at
//! every delivery, by resolving its host and refusing any address in a private, loopback,
//! link-local, unique-local, CGNAT, multicast, reserved or unspecified range (IPv4 and IPv6,
//! IPv4-mapped and NAT64 forms included). The request then goes to the addresses checked, pinned
//! in the client, so a DNS answer that changes between the check and the connection (rebinding)
//! cannot send it elsewhere.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use reqwest::Url;

use crate::{CoreError, CoreResult};

pub const URL_MAX_CHARS: usize = 2000;
/// How long resolving a host may take before the target counts as unreachable.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The operator's choice (`BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Lets endpoints target private, loopback and link-local addresses: for a receiver on the
    /// operator's own network, and for tests.
    pub allow_private_targets: bool,
}

/// A URL checked and resolved: where the request goes, and the only addresses it may use.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    /// The host as the client names it (a domain, or an IP literal without brackets).
    pub host: String,
    pub addrs: Vec<SocketAddr>,
}

impl Target {
    /// The client for a request to this target: connects only to the addresses checked (pinned,
    /// so a changed DNS answer cannot move it), follows no redirect (a redirect could point
    /// anywhere), uses no proxy (one could reach what the check refused), gives up after
    /// `timeout`. Webhooks, chat notifications and single sign-on's provider calls use it.
    pub fn client(
        &self,
        timeout: Duration,
        user_agent: &'static str,
    ) -> Result<reqwest::Client, reqwest::Error> {
        // reqwest is built without a TLS provider of its own (see `storage::Objects::s3`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .no_proxy()
            .user_agent(user_agent)
            .resolve_to_addrs(&self.host, &self.addrs)
            .build()
    }
}

/// Checks the URL's shape (no resolution): absolute http(s), a host, no credentials, no
/// fragment, at most [`URL_MAX_CHARS`].
pub fn parse_url(input: &str) -> CoreResult<Url> {
    let input = input.trim();
    if input.is_empty() {
        return Err(CoreError::invalid("url", "must not be empty"));
    }
    if input.chars().count() > URL_MAX_CHARS {
        return Err(CoreError::invalid(
            "url",
            format!("must be at most {URL_MAX_CHARS} characters"),
        ));
    }
    let url = Url::parse(input)
        .map_err(|_| CoreError::invalid("url", "must be an absolute http or https URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CoreError::invalid("url", "must use http or https"));
    }
    if url.host().is_none() {
        return Err(CoreError::invalid("url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CoreError::invalid(
            "url",
            "must not carry credentials; receivers check the signature instead",
        ));
    }
    if url.fragment().is_some() {
        return Err(CoreError::invalid("url", "must not have a #fragment"));
    }
    Ok(url)
}

/// Parses and resolves `input`, refusing forbidden addresses unless the operator allows them.
pub async fn resolve(input: &str, settings: WebhookSettings) -> CoreResult<Target> {
    let url = parse_url(input)?;
    resolve_url(
        url,
        "url",
        settings.allow_private_targets,
        "webhooks go to public addresses only (the operator may allow private targets with \
         BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS)",
    )
    .await
}

/// Resolves a parsed URL, refusing forbidden addresses unless `allow_private`; a refusal names
/// `field` and ends with `policy` (what is allowed, and the operator's setting). Also the guard
/// of single sign-on's calls to identity providers.
pub(crate) async fn resolve_url(
    url: Url,
    field: &'static str,
    allow_private: bool,
    policy: &str,
) -> CoreResult<Target> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| CoreError::invalid(field, "must name a port or use http or https"))?;
    let host = url
        .host()
        .ok_or_else(|| CoreError::invalid(field, "must name a host"))?;
    let (host, addrs) = match host {
        url::Host::Ipv4(ip) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        url::Host::Ipv6(ip) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        url::Host::Domain(name) => {
            let lookup = tokio::time::timeout(
                RESOLVE_TIMEOUT,
                tokio::net::lookup_host((name.to_owned(), port)),
            )
            .await;
            let addrs: Vec<SocketAddr> = match lookup {
                Ok(Ok(found)) => found.collect(),
                _ => Vec::new(),
            };
            if addrs.is_empty() {
                return Err(CoreError::invalid(field, "the host name does not resolve"));
            }
            (name.to_owned(), addrs)
        }
    };
    if !allow_private {
        if let Some(kind) = addrs.iter().find_map(|a| forbidden(a.ip())) {
            return Err(CoreError::invalid(
                field,
                format!("points to {kind} address; {policy}"),
            ));
        }
    }
    Ok(Target { url, host, addrs })
}

/// What kind of forbidden address `ip` is (for the message), or `None` for a public one.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        (0, _) => "an unspecified",
        (10, _) | (172, 16..=31) | (192, 168) => "a private",
        (100, 64..=127) => "a shared (CGNAT)",
        (127, _) => "a loopback",
        (169, 254) => "a link-local",
        (192, 0) if c == 0 || c == 2 => "a reserved",
        (198, 18..=19) => "a reserved",
        (198, 51) if c == 100 => "a reserved",
        (203, 0) if c == 113 => "a reserved",
        (224..=239, _) => "a multicast",
        (240..=255, _) => "a reserved",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return forbidden_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    Some(if ip.is_unspecified() {
        "an unspecified"
    } else if ip.is_loopback() {
        "a loopback"
    } else if s[0..6] == [0, 0, 0, 0, 0, 0] {
        "a reserved" // IPv4-compatible (deprecated)
    } else if s[0] & 0xffc0 == 0xfe80 {
        "a link-local"
    } else if s[0] & 0xfe00 == 0xfc00 {
        "a unique-local"
    } else if s[0] & 0xff00 == 0xff00 {
        "a multicast"
    } else if s[0] == 0x2001 && s[1] == 0xdb8 {
        "a reserved" // documentation
    } else if s[0] & 0xffc0 == 0xfec0 {
        "a site-local"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_named_and_public_ones_pass() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            "ff02::1",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(forbidden(ip).is_some(), "{bad} should be refused");
        }
        for good in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = good.parse().unwrap();
            assert_eq!(forbidden(ip), None, "{good} should pass");
        }
    }

    #[test]
    fn url_shapes_are_checked_with_the_field_named() {
        assert!(parse_url("https://hooks.example.com/in?x=1").is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "file:///etc/passwd",
        ] {
            let err = parse_url(bad).unwrap_err().to_string();
            assert!(err.starts_with("url: "), "{bad}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2000));
        assert!(parse_url(&long).is_err());
    }

    #[tokio::test]
    async fn literal_private_targets_are_refused_unless_allowed() {
        let strict = WebhookSettings::default();
        for url in [
            "http://127.0.0.1/",
            "http://10.0.0.1/",
            "http://[::1]:8080/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            let err = resolve(url, strict).await.unwrap_err().to_string();
            assert!(
                err.starts_with("url: points to")
                    && err.contains("BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS"),
                "{url}: {err}"
            );
        }
        let open = WebhookSettings {
            allow_private_targets: true,
        };
        let target = resolve("http://[::1]:8080/x", open).await.unwrap();
        assert_eq!(target.host, "::1");
        assert_eq!(target.addrs, vec!["[::1]:8080".parse().unwrap()]);
    }
}
