//! Delivering the outbox: through SMTP when `BASTION_SMTP_URL` is set, otherwise as files in the
//! data directory that a developer can open. Either way messages are leased from the outbox
//! table, so several app servers never send one twice.

use std::{path::PathBuf, sync::Arc, time::Duration};

use bastion_core::keys::MasterKeyRing;
use lettre::{
    message::{
        header::{ContentType, HeaderName, HeaderValue},
        Mailbox,
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

pub enum Mailer {
    Folder(PathBuf),
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
        /// Host and port only: the URL may carry a password.
        server: String,
    },
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let Some(url) = &config.smtp_url else {
            return Ok(Self::Folder(config.data_dir.join("mail")));
        };
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| format!("BASTION_MAIL_FROM: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| format!("BASTION_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let server = url
            .expose()
            .split("://")
            .nth(1)
            .map(|rest| rest.rsplit('@').next().unwrap_or(rest))
            .map(|hostport| hostport.split(['/', '?']).next().unwrap_or(hostport))
            .unwrap_or_default()
            .to_owned();
        Ok(Self::Smtp {
            transport: Box::new(transport),
            from,
            server,
        })
    }

    /// Where mail goes, for the start-up log (never the SMTP credentials).
    pub fn describe(&self) -> String {
        match self {
            Self::Folder(dir) => {
                format!("written as files to {} (no SMTP configured)", dir.display())
            }
            Self::Smtp { server, .. } => format!("sent through SMTP at {server}"),
        }
    }

    /// Sends one batch; how many went out.
    pub async fn deliver_batch(
        &self,
        pool: &PgPool,
        keys: &MasterKeyRing,
    ) -> bastion_core::CoreResult<usize> {
        match self {
            Self::Folder(dir) => bastion_core::mail::deliver_to_folder(pool, keys, dir, 50).await,
            Self::Smtp {
                transport, from, ..
            } => {
                bastion_core::mail::deliver(pool, keys, 50, |m| async move {
                    let to: Mailbox = m
                        .recipient
                        .parse()
                        .map_err(|e| format!("recipient {}: {e}", m.recipient))?;
                    let mut builder = Message::builder()
                        .from(from.clone())
                        .to(to)
                        .subject(m.subject)
                        .header(ContentType::TEXT_PLAIN);
                    if let Some(url) = m.unsubscribe {
                        // RFC 8058: an HTTPS address and the one-click header beside it.
                        builder = builder
                            .raw_header(HeaderValue::new(
                                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                                format!("<{url}>"),
                            ))
                            .raw_header(HeaderValue::new(
                                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                                bastion_core::mail::LIST_UNSUBSCRIBE_POST.to_owned(),
                            ));
                    }
                    let email = builder.body(m.body).map_err(|e| e.to_string())?;
                    transport
                        .send(email)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .await
            }
        }
    }

    /// Delivers the outbox until `stop` is cancelled: at once when there is mail, every two
    /// seconds otherwise, backing off after a failure. A batch being sent when `stop` comes is
    /// finished, so no message is left half-handled; the next batch is not started.
    pub async fn run(self, pool: PgPool, keys: Arc<MasterKeyRing>, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let pause = match self.deliver_batch(&pool, &keys).await {
                Ok(0) => Duration::from_secs(2),
                Ok(n) => {
                    tracing::info!(messages = n, "email delivered");
                    Duration::ZERO
                }
                Err(e) => {
                    tracing::warn!(error = %e, "email delivery failed; retrying");
                    Duration::from_secs(10)
                }
            };
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
