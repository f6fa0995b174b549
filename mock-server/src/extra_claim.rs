//! Extra claims per client in its JWT access tokens: fixed JSON values, or
//! a value taken from a parameter of the token request, so resource servers
//! that read `tid`, roles or a custom `sub` can be tested (as navikt's
//! mock-oauth2-server allows).
//!
//! In the config file, under a `[[clients]]` entry:
//!
//! ```toml
//! [[clients]]
//! id = "svc"
//! secret = "s3cret"
//! extra_claims = { roles = ["reader"], sub = "svc@tenant", tid = { from_param = "tenant" } }
//! ```
//!
//! A table with exactly the one key `from_param` takes the request's
//! parameter of that name (a string; the claim is left out when the request
//! has no such parameter); any other value is fixed.

use std::collections::BTreeMap;

use auth_core::form::Form;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ConfigError;

/// Claims the mock sets itself and no extra claim may replace: the RFC 9068
/// §2.2 claims that make the token what it is (`iss`, `exp`, `iat`, `jti`,
/// `client_id`), `nbf`, the header's `typ` (no claim may pose as it), and
/// `aud` and `scope`, which the token endpoint takes from `resource`
/// (RFC 8707, checklist S-59) and the grant, and which introspection and
/// the protected resource check. `sub` is not reserved: a custom `sub` is
/// what some resource servers need.
pub const RESERVED_CLAIMS: [&str; 9] = [
    "iss",
    "exp",
    "iat",
    "nbf",
    "jti",
    "client_id",
    "typ",
    "aud",
    "scope",
];

/// Request parameters that carry a client's credentials: copying one into
/// a token would publish a secret to every resource server.
const SECRET_PARAMS: [&str; 2] = ["client_secret", "client_assertion"];

/// One extra claim of a client's tokens.
///
/// ```
/// use mock_server::{ClientRegistration, ExtraClaim};
/// let client = ClientRegistration::new("svc", "s3cret")
///     .with_extra_claim("roles", ExtraClaim::Fixed(serde_json::json!(["reader"])))
///     .with_extra_claim("tid", ExtraClaim::from_param("tenant"));
/// assert!(client.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ExtraClaim {
    /// The value of the token request's parameter of this name (a string);
    /// no claim when the request has none. Written `{ from_param = "name" }`.
    FromParam {
        /// The form parameter's name.
        from_param: String,
    },
    /// This JSON value, whatever the request.
    Fixed(Value),
}

/// A table of exactly one string member `from_param` is a parameter; any
/// other value (a table with more members included) is fixed.
impl<'de> Deserialize<'de> for ExtraClaim {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if let Value::Object(members) = &value
            && members.len() == 1
            && let Some(Value::String(name)) = members.get("from_param")
        {
            return Ok(Self::from_param(name.clone()));
        }
        Ok(Self::Fixed(value))
    }
}

impl ExtraClaim {
    /// The value of the request parameter `name`.
    #[must_use]
    pub fn from_param(name: impl Into<String>) -> Self {
        Self::FromParam {
            from_param: name.into(),
        }
    }

    /// The claim's value for a request with this form.
    fn value(&self, form: &Form) -> Option<Value> {
        match self {
            Self::FromParam { from_param } => form.get(from_param).map(Value::from),
            Self::Fixed(value) => Some(value.clone()),
        }
    }
}

/// Checks the claims of client `id`: names not empty and not reserved,
/// parameters not empty and not a credential.
pub(crate) fn validate(id: &str, claims: &BTreeMap<String, ExtraClaim>) -> Result<(), ConfigError> {
    for (name, claim) in claims {
        let field = || format!("clients[{id}].extra_claims.{name}");
        if name.is_empty() {
            return Err(ConfigError::new(
                format!("clients[{id}].extra_claims"),
                "a claim name must not be empty",
            ));
        }
        // RFC 7519 §4.1.2: `sub` is a StringOrURI.
        if name == "sub" && matches!(claim, ExtraClaim::Fixed(value) if !value.is_string()) {
            return Err(ConfigError::new(field(), "sub must be a string"));
        }
        if RESERVED_CLAIMS.contains(&name.as_str()) {
            return Err(ConfigError::new(
                field(),
                "is set by the mock and cannot be overridden",
            ));
        }
        if let ExtraClaim::FromParam { from_param } = claim {
            if from_param.is_empty() {
                return Err(ConfigError::new(
                    field(),
                    "from_param must name a parameter",
                ));
            }
            if SECRET_PARAMS.contains(&from_param.as_str()) {
                return Err(ConfigError::new(
                    field(),
                    format!("from_param {from_param:?} would copy a credential into the token"),
                ));
            }
        }
    }
    Ok(())
}

/// The extra claims of one token request, in name order.
pub(crate) fn resolve(claims: &BTreeMap<String, ExtraClaim>, form: &Form) -> Map<String, Value> {
    claims
        .iter()
        .filter_map(|(name, claim)| Some((name.clone(), claim.value(form)?)))
        .collect()
}

/// Puts the resolved extra claims of a request into a token's claims: a
/// `sub` among them replaces the default one (as
/// [`JwtIssuer::mint`](crate::jwt::JwtIssuer::mint) lets it win), the rest
/// join [`extra`](auth_core::jose::AccessTokenClaims::extra).
pub(crate) fn apply(extra: &Map<String, Value>, token: &mut auth_core::jose::AccessTokenClaims) {
    for (name, value) in extra {
        match (name.as_str(), value) {
            ("sub", Value::String(sub)) => sub.clone_into(&mut token.sub),
            _ => {
                token.extra.insert(name.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(toml_text: &str) -> BTreeMap<String, ExtraClaim> {
        #[derive(Deserialize)]
        struct Wrapper {
            extra_claims: BTreeMap<String, ExtraClaim>,
        }
        toml::from_str::<Wrapper>(toml_text).unwrap().extra_claims
    }

    #[test]
    fn toml_values_are_fixed_unless_a_table_is_exactly_from_param() {
        let read = claims(
            "extra_claims = { tid = { from_param = \"tenant\" }, roles = [\"a\", \"b\"], \
             sub = \"custom\", nested = { from_param = \"x\", other = 1 }, n = 3 }",
        );
        assert_eq!(read["tid"], ExtraClaim::from_param("tenant"));
        assert_eq!(read["roles"], ExtraClaim::Fixed(json!(["a", "b"])));
        assert_eq!(read["sub"], ExtraClaim::Fixed(json!("custom")));
        assert_eq!(
            read["nested"],
            ExtraClaim::Fixed(json!({"from_param": "x", "other": 1}))
        );
        assert_eq!(read["n"], ExtraClaim::Fixed(json!(3)));
        // The JSON form (admin API) is the same shape, and round-trips.
        let json_form = serde_json::to_value(&read).unwrap();
        assert_eq!(json_form["tid"], json!({"from_param": "tenant"}));
        let back: BTreeMap<String, ExtraClaim> = serde_json::from_value(json_form).unwrap();
        assert_eq!(back, read);
    }

    #[test]
    fn claims_take_the_request_parameter_or_are_left_out_without_it() {
        let read = claims(
            "extra_claims = { tid = { from_param = \"tenant\" }, org = { from_param = \"org\" }, roles = [\"r\"] }",
        );
        let form = Form::parse(b"grant_type=client_credentials&tenant=t-42", 16).unwrap();
        assert_eq!(
            Value::Object(resolve(&read, &form)),
            json!({"roles": ["r"], "tid": "t-42"})
        );
    }

    #[test]
    fn applied_claims_replace_sub_and_add_the_others_to_the_token() {
        let read = claims(
            "extra_claims = { sub = { from_param = \"user\" }, tid = \"t-1\", roles = [\"r\"] }",
        );
        let mut token = auth_core::jose::AccessTokenClaims::from_json(
            br#"{"iss":"i","sub":"svc","aud":"a","exp":2,"iat":1,"jti":"j","client_id":"svc"}"#,
        )
        .unwrap();
        let form = Form::parse(b"grant_type=client_credentials&user=alice", 16).unwrap();
        apply(&resolve(&read, &form), &mut token);
        assert_eq!(token.sub, "alice");
        assert_eq!(token.client_id, "svc");
        assert_eq!(
            Value::Object(token.extra),
            json!({"tid": "t-1", "roles": ["r"]})
        );
    }

    #[test]
    fn reserved_claims_and_credential_parameters_are_refused_with_the_field_named() {
        for name in RESERVED_CLAIMS {
            let error = validate(
                "svc",
                &BTreeMap::from([(name.to_owned(), ExtraClaim::Fixed(json!("x")))]),
            )
            .unwrap_err();
            assert_eq!(error.field, format!("clients[svc].extra_claims.{name}"));
            assert_eq!(error.reason, "is set by the mock and cannot be overridden");
        }
        for (name, claim, reason) in [
            (
                "tid",
                ExtraClaim::from_param("client_secret"),
                "from_param \"client_secret\" would copy a credential into the token",
            ),
            (
                "tid",
                ExtraClaim::from_param(""),
                "from_param must name a parameter",
            ),
            (
                "",
                ExtraClaim::Fixed(json!(1)),
                "a claim name must not be empty",
            ),
            ("sub", ExtraClaim::Fixed(json!(7)), "sub must be a string"),
        ] {
            let error = validate("svc", &BTreeMap::from([(name.to_owned(), claim)])).unwrap_err();
            assert_eq!(error.reason, reason);
        }
        let allowed = BTreeMap::from([
            ("sub".to_owned(), ExtraClaim::Fixed(json!("custom-sub"))),
            ("tid".to_owned(), ExtraClaim::from_param("tenant")),
        ]);
        assert_eq!(validate("svc", &allowed), Ok(()));
    }
}
