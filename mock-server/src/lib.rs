//! A strict, fast conformance OAuth 2.0 provider (work in progress).
