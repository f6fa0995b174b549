//! The token-response bodies both parse benches use.

use auth_core::ScopeSet;
use auth_core::response::{ParseContext, ParseOptions};
use time::macros::datetime;

/// What a real provider sends: a JWT-sized token, lifetime, scope, and a
/// couple of extension members (562 bytes).
pub(crate) const TYPICAL: &[u8] = br#"{"access_token":"eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUiLCJzdWIiOiJteS1zZXJ2aWNlIiwiYXVkIjoiaHR0cHM6Ly9hcGkuZXhhbXBsZSIsImV4cCI6MTc2NzIyOTIwMCwiaWF0IjoxNzY3MjI1NjAwLCJqdGkiOiJhYmMxMjMiLCJjbGllbnRfaWQiOiJteS1zZXJ2aWNlIiwic2NvcGUiOiJkaXNjb3Zlcnk6cmVhZCBzZXJ2aWNlcHJvZmlsZTpyZWFkIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZQ","token_type":"Bearer","expires_in":3600,"scope":"discovery:read serviceprofile:read","not-before-policy":0,"session_state":"8f2c1e7a-3b1d-4c5e-9a6f-0d2b4e6f8a1c"}"#;

/// A large RS256 JWT (a 256-byte signature, many claims) and ten extension
/// members of every JSON kind, as Keycloak- or Azure-style providers send.
pub(crate) const LARGE_JWT: &[u8] = br#"{"access_token":"eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6InJzYS0yMDI2LTAxIn0.eyJpc3MiOiJodHRwczovL2xvZ2luLmV4YW1wbGUuY29tL3JlYWxtcy9wcm9kdWN0aW9uIiwic3ViIjoic2VydmljZS1hY2NvdW50LWludmVudG9yeS1zeW5jIiwiYXVkIjpbImh0dHBzOi8vYXBpLmV4YW1wbGUuY29tIiwiaHR0cHM6Ly9ldmVudHMuZXhhbXBsZS5jb20iXSwiZXhwIjoxNzY3MjI5MjAwLCJuYmYiOjE3NjcyMjU2MDAsImlhdCI6MTc2NzIyNTYwMCwianRpIjoiYjNmMWM5ZTItNGQ3YS00YjJlLThmNmMtMWEyYjNjNGQ1ZTZmIiwiY2xpZW50X2lkIjoiaW52ZW50b3J5LXN5bmMiLCJzY29wZSI6ImludmVudG9yeTpyZWFkIGludmVudG9yeTp3cml0ZSBldmVudHM6cHVibGlzaCIsInRlbmFudCI6ImFjbWUtY29ycCIsInJvbGVzIjpbInN5bmMiLCJyZWFkZXIiLCJ3cml0ZXIiXX0.kR3pZx9yQw8vLm2nB4cT7sDf1gHj6kLpO0iUyT5rEwQ3aZxS2dCvF4bGnH7mJ8kLo9iUy6tRe5wQ1aSdFgHjKlZxCvBnM0qWeRtYuIoP3lKjHgFdSa2zXcVbN4mQwErTyUiOp7lKjHgFdSaZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoP1a2S3d4F5g6H7j8K9l0ZxCvBnMqWeRtYuIoPlKjHgFdSaZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYu","token_type":"Bearer","expires_in":3600,"refresh_expires_in":0,"scope":"events:publish inventory:read inventory:write","not-before-policy":0,"session_state":"8f2c1e7a-3b1d-4c5e-9a6f-0d2b4e6f8a1c","id_token":null,"issued_token_type":"urn:ietf:params:oauth:token-type:access_token","tenant":"acme-corp","roles":["sync","reader","writer"],"authorization_details":[{"type":"inventory","actions":["read","write"],"locations":["https://api.example.com"]}],"consented":true,"rate_limit":{"requests":1000,"window_s":60}}"#;

/// The least a provider can send: an opaque token and its type.
pub(crate) const MINIMAL: &[u8] =
    br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer"}"#;

/// (name, body, requested scope).
const CASES: [(&str, &[u8], &str); 3] = [
    ("typical", TYPICAL, "discovery:read serviceprofile:read"),
    (
        "large_jwt_10_extensions",
        LARGE_JWT,
        "events:publish inventory:read inventory:write",
    ),
    ("minimal_opaque", MINIMAL, "read"),
];

/// One body, ready to parse.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) response: http::Response<Vec<u8>>,
    scope: ScopeSet,
}

impl Case {
    /// What the parser needs besides the answer.
    pub(crate) fn ctx<'a>(&'a self, options: &'a ParseOptions) -> ParseContext<'a> {
        ParseContext {
            requested_at: datetime!(2026-01-01 00:00 UTC),
            requested_scope: &self.scope,
            options,
        }
    }
}

/// Every case, as a provider's answer.
pub(crate) fn cases() -> Vec<Case> {
    CASES
        .iter()
        .map(|&(name, body, requested)| Case {
            name,
            response: http::Response::builder()
                .header("content-type", "application/json")
                .body(body.to_vec())
                .expect("static response"),
            scope: requested.parse().expect("valid scopes"),
        })
        .collect()
}
