//! Keeping the client's own secrets out of error values: a provider can
//! echo the request in an error page or an `error_description`. Shared by
//! the token response ([`Client`](crate::Client)) and the revocation
//! response ([`RevocationRequest`](crate::RevocationRequest)).

use crate::credentials::ClientCredentials;
use crate::form;
use crate::request::authorization;

/// What a scrubbed secret is replaced with.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// The forms the secret takes on the wire (raw, form-encoded with `%20`
/// and with `+`, inside the Basic value); never empty strings.
pub(crate) fn secret_needles(credentials: &ClientCredentials) -> Vec<String> {
    let secret = credentials.secret().expose_secret();
    if secret.is_empty() {
        return Vec::new();
    }
    let basic = authorization(credentials).and_then(|v| {
        v.to_str()
            .ok()
            .and_then(|v| v.split(' ').nth(1))
            .map(str::to_owned)
    });
    let mut needles = value_needles(secret);
    needles.extend(basic);
    needles.retain(|needle| !needle.is_empty());
    needles
}

/// A value as sent in a form (raw, `%20`-encoded, `+`-encoded); never empty.
pub(crate) fn value_needles(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    let encoded = form::encode_component(value);
    let plus = encoded.replace("%20", "+");
    let mut needles = vec![value.to_owned(), encoded, plus];
    needles.dedup();
    needles
}

/// Replaces every needle in `text`.
pub(crate) fn scrub(text: &mut String, needles: &[String]) {
    for needle in needles {
        if text.contains(needle.as_str()) {
            *text = text.replace(needle.as_str(), REDACTED);
        }
    }
}

/// [`scrub`] on raw bytes.
pub(crate) fn scrub_bytes(body: &[u8], needles: &[String]) -> Vec<u8> {
    let mut out = body.to_vec();
    for needle in needles {
        let mut scrubbed = Vec::with_capacity(out.len());
        let mut rest = out.as_slice();
        while let Some(at) = rest
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        {
            scrubbed.extend_from_slice(&rest[..at]);
            scrubbed.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        scrubbed.extend_from_slice(rest);
        out = scrubbed;
    }
    out
}
