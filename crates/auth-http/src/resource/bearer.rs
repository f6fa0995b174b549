//! Finding the bearer token in a request (RFC 6750 §2): the
//! `Authorization` header only; the query form (§2.3) is not accepted
//! (RFC 9700 §4.3.2), and a request using two methods, or two headers, is
//! malformed (§3.1 `invalid_request`).

use auth_core::AccessToken;
use http::header::AUTHORIZATION;

/// What the request carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presented<'a> {
    /// A well-formed bearer token.
    Token(&'a str),
    /// No bearer credentials (none at all, another scheme, or only the
    /// query form, which is not accepted): a challenge without an error.
    Missing,
    /// Malformed: `invalid_request`. The reason is for logs (no token).
    Malformed(&'static str),
}

/// RFC 6750 §2.1: `"Bearer" 1*SP b64token`, scheme case-insensitive (RFC
/// 9110 §11.1).
pub(crate) fn presented<B>(request: &http::Request<B>) -> Presented<'_> {
    let mut headers = request.headers().get_all(AUTHORIZATION).iter();
    let header = headers.next();
    if headers.next().is_some() {
        return Presented::Malformed("more than one authorization header");
    }
    let in_query = request.uri().query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    });
    let Some(header) = header else {
        return Presented::Missing;
    };
    let Ok(value) = header.to_str() else {
        return Presented::Malformed("authorization header is not visible ascii");
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Presented::Missing;
    }
    if in_query {
        return Presented::Malformed("token in both the header and the query");
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Presented::Malformed("bearer scheme without a token");
    }
    if !AccessToken::new(token).is_b64token() {
        return Presented::Malformed("bearer token is not a b64token");
    }
    Presented::Token(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str], uri: &str) -> http::Request<()> {
        let mut builder = http::Request::get(uri);
        for value in values {
            builder = builder.header(AUTHORIZATION, *value);
        }
        builder.body(()).unwrap_or_default()
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_allows_several_spaces() {
        for value in [
            "Bearer abc",
            "bearer abc",
            "BEARER  abc",
            "Bearer a.b-c_~+/=",
        ] {
            assert!(
                matches!(presented(&with(&[value], "/")), Presented::Token(_)),
                "{value}"
            );
        }
    }

    #[test]
    fn no_header_another_scheme_or_a_query_token_is_missing() {
        assert_eq!(presented(&with(&[], "/")), Presented::Missing);
        assert_eq!(presented(&with(&["Basic YTpi"], "/")), Presented::Missing);
        assert_eq!(
            presented(&with(&[], "/?access_token=abc")),
            Presented::Missing
        );
    }

    #[test]
    fn two_headers_two_methods_or_a_bad_token_are_malformed() {
        for (values, uri) in [
            (&["Bearer a", "Bearer b"][..], "/"),
            (&["Bearer a"][..], "/?x=1&access_token=a"),
            (&["Bearer"][..], "/"),
            (&["Bearer a b"][..], "/"),
            (&["Bearer a=b"][..], "/"),
        ] {
            assert!(
                matches!(presented(&with(values, uri)), Presented::Malformed(_)),
                "{values:?} {uri}"
            );
        }
    }
}
