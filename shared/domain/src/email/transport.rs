//! How a message leaves: Amazon SES (API v2) in AWS, `.eml` files in a
//! folder locally. Both take the same [`Outgoing`] message.

use base64::Engine;
use loaf_core::aws::{self, AwsError};
use serde_json::json;
use std::path::PathBuf;
use uuid::Uuid;

/// A message taken from the outbox, ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: Uuid,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    /// The provider refused the message itself (bad address, unverified
    /// sender): retrying sends the same refusal.
    pub permanent: bool,
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// Amazon SES through its v2 API (`AWS_ENDPOINT_URL_SESV2` points it
    /// elsewhere, as with the AWS SDKs). The configuration set, when named,
    /// publishes the messages' bounces and complaints (`email::suppressions`).
    Ses {
        client: aws::Client,
        configuration_set: Option<String>,
    },
    /// One `.eml` file per message in this folder; each delivery is also
    /// printed with its links, so a developer can click through.
    Directory(PathBuf),
}

impl Transport {
    /// Sends `msg` from `from`; answers the provider's message id.
    pub async fn send(&self, from: &str, msg: &Outgoing) -> Result<String, SendError> {
        match self {
            Transport::Ses {
                client,
                configuration_set,
            } => send_ses(client, configuration_set.as_deref(), from, msg).await,
            Transport::Directory(dir) => write_eml(dir, from, msg).await,
        }
    }
}

/// SES (API v2) as the environment configures it (see `loaf_core::aws`).
pub fn ses_client() -> aws::Client {
    aws::Client::from_env("ses", "SESV2", |region| {
        format!("email.{region}.amazonaws.com")
    })
}

/// How long SES may take to answer before the send counts as failed (and
/// is retried by the scheduled sender).
const SES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `SendEmail` (`POST /v2/email/outbound-emails`) of a simple message.
async fn send_ses(
    client: &aws::Client,
    configuration_set: Option<&str>,
    from: &str,
    msg: &Outgoing,
) -> Result<String, SendError> {
    let content = |data: &str| json!({ "Data": data, "Charset": "UTF-8" });
    let mut request = json!({
        "FromEmailAddress": from,
        "Destination": { "ToAddresses": [msg.to] },
        "Content": { "Simple": {
            "Subject": content(&msg.subject),
            "Body": { "Text": content(&msg.text), "Html": content(&msg.html) },
        } },
    });
    if let Some(set) = configuration_set {
        request["ConfigurationSetName"] = json!(set);
    }
    let refused = |err: AwsError| SendError {
        permanent: matches!(
            err.code(),
            Some(
                "MessageRejected"
                    | "MailFromDomainNotVerifiedException"
                    | "BadRequestException"
                    | "NotFoundException"
            )
        ),
        message: format!("SES refused the message: {err}"),
    };
    let res = client
        .call(reqwest::Method::POST, "/v2/email/outbound-emails")
        .header("content-type", "application/json")
        .body(request.to_string())
        .timeout(SES_TIMEOUT)
        .send()
        .await
        .map_err(refused)?;
    // SES took the message: an answer that cannot be read must not make
    // the outbox send it again; only its id (for bounce reports) is lost.
    let body = res.bytes().await.unwrap_or_default();
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|sent| sent["MessageId"].as_str().map(str::to_string));
    if id.is_none() {
        tracing::warn!(message = %msg.id, "SES accepted a message without a readable MessageId");
    }
    Ok(id.unwrap_or_default())
}

async fn write_eml(dir: &std::path::Path, from: &str, msg: &Outgoing) -> Result<String, SendError> {
    let now = chrono::Utc::now();
    let name = format!(
        "{}-{}-{}.eml",
        now.format("%Y%m%dT%H%M%S"),
        msg.kind,
        &msg.id.simple().to_string()[..8]
    );
    let path = dir.join(name);
    let io = |e: std::io::Error| SendError {
        message: format!("cannot write {}: {e}", path.display()),
        permanent: false,
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    tokio::fs::write(&path, eml(from, msg, now))
        .await
        .map_err(io)?;
    println!("✉  {} → {} ({})", msg.subject, msg.to, path.display());
    for link in links(&msg.text) {
        println!("   {link}");
    }
    Ok(format!("<{}@loaf.local>", msg.id))
}

/// The message as an RFC 5322 / MIME document: multipart/alternative with
/// the text and HTML parts.
pub fn eml(from: &str, msg: &Outgoing, date: chrono::DateTime<chrono::Utc>) -> String {
    let boundary = format!("loaf-{}", msg.id.simple());
    let header = |s: &str| s.replace(['\r', '\n'], " ");
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}@loaf.local>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n\
         --{boundary}--\r\n",
        from = header(from),
        to = header(&msg.to),
        subject = encode_header(&header(&msg.subject)),
        date = date.to_rfc2822(),
        id = msg.id,
        text = msg.text.replace('\n', "\r\n"),
        html = msg.html.replace('\n', "\r\n"),
    )
}

/// RFC 2047 encoded-word for a header holding non-ASCII text.
fn encode_header(value: &str) -> String {
    if value.is_ascii() {
        value.to_string()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

/// The http(s) links in a text body.
pub fn links(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(subject: &str) -> Outgoing {
        Outgoing {
            id: Uuid::nil(),
            kind: "verify_email".into(),
            to: "ada@example.org".into(),
            subject: subject.into(),
            text: "Confirm: http://localhost:5173/verify-email?token=abc\n\n— LOAF\n".into(),
            html: "<p>hi</p>\n".into(),
        }
    }

    #[test]
    fn eml_has_both_parts_and_crlf_lines() {
        let date = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let doc = eml("LOAF <no-reply@loaf.local>", &msg("Confirm"), date);
        assert!(doc.starts_with("From: LOAF <no-reply@loaf.local>\r\nTo: ada@example.org\r\n"));
        assert!(doc.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(doc.contains("Content-Type: text/html; charset=utf-8"));
        assert!(doc.ends_with("--loaf-00000000000000000000000000000000--\r\n"));
        assert!(!doc.replace("\r\n", "").contains('\n'), "bare LF in {doc}");
    }

    #[test]
    fn non_ascii_subject_is_encoded_and_newlines_cannot_inject_headers() {
        let date = chrono::DateTime::from_timestamp(0, 0).unwrap();
        let doc = eml(
            "a@b.org",
            &msg("Bienvenue à l'asso\r\nBcc: evil@x.org"),
            date,
        );
        assert!(doc.contains("Subject: =?UTF-8?B?"), "{doc}");
        assert!(!doc.contains("\r\nBcc:"), "{doc}");
    }

    #[test]
    fn finds_links() {
        let m = msg("x");
        assert_eq!(
            links(&m.text).collect::<Vec<_>>(),
            ["http://localhost:5173/verify-email?token=abc"]
        );
    }
}
