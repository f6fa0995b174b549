//! The resource server's validation hot path: a JWT access token checked
//! with a cached key (per algorithm), and an opaque token with a cached
//! introspection answer. Tokens and keys come from the mock provider;
//! after the warm-up no request leaves the process, and each validation
//! completes without waiting (asserted), so the figures are CPU only.
#![expect(missing_docs, reason = "criterion's macros generate undocumented fns")]
#![expect(clippy::unwrap_used, reason = "bench setup")]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use auth_core::jose::Algorithm;
use auth_core::{ClientId, ClientSecret};
use auth_http::resource::{IntrospectionValidator, JwtValidator, Validator};
use criterion::{Criterion, criterion_group, criterion_main};
use mock_server::{ClientRegistration, MockServer, TokenFormat};

/// Polls a future that must not wait (everything it needs is cached).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the hot path waited: a cache missed"),
    }
}

async fn mock(format: TokenFormat, alg: Algorithm) -> MockServer {
    MockServer::builder()
        .token_format(format)
        .signing_alg(alg)
        .client(ClientRegistration::new("api", "api-secret").with_scopes(["read"]))
        .start()
        .await
        .unwrap()
}

fn validation(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("resource");
    let mut servers = Vec::new();
    for alg in Algorithm::ASYMMETRIC {
        let server = runtime.block_on(mock(TokenFormat::Jwt, alg));
        let validator =
            JwtValidator::builder(server.url(), server.resource_url(), server.jwks_url())
                .build()
                .unwrap();
        let token = server.mint_token("api", &"read".parse().unwrap());
        // Warm-up: fetches the JWKS once.
        runtime.block_on(validator.validate(&token)).unwrap();
        group.bench_function(format!("jwt {alg}, cached key"), |b| {
            b.iter(|| now(validator.validate(black_box(&token))).unwrap());
        });
        servers.push(server);
    }

    let server = runtime.block_on(mock(TokenFormat::Opaque, Algorithm::Rs256));
    let validator = IntrospectionValidator::builder(
        server.introspection_url(),
        &ClientId::new("api"),
        &ClientSecret::new("api-secret"),
        server.resource_url(),
    )
    .build()
    .unwrap();
    let token = server.mint_token("api", &"read".parse().unwrap());
    runtime.block_on(validator.validate(&token)).unwrap();
    group.bench_function("introspection, cached answer", |b| {
        b.iter(|| now(validator.validate(black_box(&token))).unwrap());
    });
    group.finish();
    servers.push(server);
    for server in servers {
        runtime.block_on(server.shutdown());
    }
}

criterion_group!(benches, validation);
criterion_main!(benches);
