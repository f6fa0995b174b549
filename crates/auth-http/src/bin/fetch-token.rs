//! `fetch-token`: curl for client credentials. Fetches one token and prints
//! it in auth-core's stored format (or only the access token).
//!
//! The client secret comes from the `CLIENT_SECRET` environment variable or,
//! with `--secret-stdin`, from the first line of standard input; never from
//! a flag, which any user could read in `ps`.
//!
//! With `--store file:PATH` or `--store redis` it reuses a stored token
//! that is still valid instead of fetching, and saves the one it fetches.
//! The Redis URL (it may hold a password) comes from `REDIS_URL` and the
//! optional encryption keys (`id:base64,...`, newest last) from
//! `TOKEN_STORE_KEYS`, never from a flag. With Redis, many `fetch-token`
//! processes for the same request share one token request (docs/fleet.md).
//!
//! With `--auth-method private_key_jwt --private-key key.pem` the client
//! authenticates with a signed assertion (RFC 7523 §2.2): RS256, ES256 or
//! `EdDSA` from a PEM (PKCS#8, or PKCS#1 RSA) or private JWK file, `kid` from
//! `--key-id` or the JWK; no secret is read. `client_secret_jwt` signs
//! HS256 with the secret, read as above. The assertion's `aud` is
//! `--issuer` when given (and `--assertion-audience issuer`, the default),
//! else the token URL.
//!
//! Exit codes: 0 success, 2 usage or configuration error, 3 the provider
//! rejected the request (an RFC 6749 §5.2 error), 4 transport failure,
//! timeout or a non-OAuth answer. Errors are one line on stderr.
//!
//! Built with the `cli` feature (so a library user compiles no clap):
//! `cargo run -p auth-http --features cli --bin fetch-token -- --help`.
//! Examples: docs/quickstart.md.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use auth_core::jose::{Algorithm, AssertionAudience};
use auth_core::{
    Client, ClientAuthMethod, ClientCredentials, Issuer, Resource, ScopeSet, TokenRequest, TokenUrl,
};
use auth_http::{
    AssertionSigner as _, FileStore, HyperTransport, PrivateKeySigner, RetryPolicy, TokenManager,
    TokenManagerBuilder,
};
use clap::Parser;

/// The environment variable holding the client secret.
const SECRET_ENV: &str = "CLIENT_SECRET";
/// The environment variable holding the Redis URL for `--store redis`.
const REDIS_URL_ENV: &str = "REDIS_URL";
/// The environment variable holding the store's encryption keys.
const STORE_KEYS_ENV: &str = "TOKEN_STORE_KEYS";

const EXIT_USAGE: u8 = 2;
const EXIT_REJECTED: u8 = 3;
const EXIT_TRANSPORT: u8 = 4;

/// Fetch an OAuth 2.0 access token with the client credentials grant
/// (RFC 6749 §4.4). The secret is read from `CLIENT_SECRET`, or from stdin
/// with --secret-stdin.
#[derive(Debug, Parser)]
#[command(name = "fetch-token", version)]
struct Cli {
    /// Token endpoint URL (https; plain http only for loopback hosts).
    #[arg(long, value_name = "URL")]
    token_url: String,
    /// Client identifier.
    #[arg(long, value_name = "ID")]
    client_id: String,
    /// Scope to request; repeat it or give a space-separated list.
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// How the client authenticates: `client_secret_basic` (id and secret
    /// form-encoded first, RFC 6749 §2.3.1), `client_secret_post` (in the
    /// form body), or `client_secret_basic_unencoded` (for providers that do
    /// not decode), `private_key_jwt` (an assertion signed with
    /// --private-key) or `client_secret_jwt` (an assertion signed HS256
    /// with the secret).
    #[arg(long, default_value = "client_secret_basic")]
    auth_method: ClientAuthMethod,
    /// With `private_key_jwt`: the private key, PEM (PKCS#8, or PKCS#1 RSA)
    /// or a private JWK (JSON).
    #[arg(long, value_name = "FILE")]
    private_key: Option<std::path::PathBuf>,
    /// With `private_key_jwt`: the `kid` of the assertions' header
    /// (default: the JWK's `kid`, else none).
    #[arg(long, value_name = "KID")]
    key_id: Option<String>,
    /// With `private_key_jwt`: the algorithm the key must sign (RS256,
    /// ES256, `EdDSA`); default: the key's own.
    #[arg(long, value_name = "ALG")]
    alg: Option<Algorithm>,
    /// The authorization server's issuer identifier (RFC 8414): the
    /// assertions' `aud` when --assertion-audience is `issuer`.
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// The assertions' `aud`: `issuer` (the --issuer when given, else the
    /// token URL) or `token_endpoint` (always the token URL).
    #[arg(long, value_name = "CHOICE", default_value = "issuer")]
    assertion_audience: AssertionAudience,
    /// RFC 8707 resource indicator (absolute URI); may be repeated.
    #[arg(long = "resource", value_name = "URI")]
    resources: Vec<String>,
    /// `audience` parameter (used by some providers instead of resource).
    #[arg(long)]
    audience: Option<String>,
    /// Read the client secret from the first line of standard input.
    #[arg(long)]
    secret_stdin: bool,
    /// Print only the access token instead of the stored-format JSON.
    #[arg(long)]
    access_token_only: bool,
    /// Deadline for the whole fetch, retries included, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// Trust only the CA certificates in this PEM file (a private CA, or the
    /// mock provider's `--ca-out`) instead of the bundled Mozilla roots.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<std::path::PathBuf>,
    /// Attempts in total for transient failures (5xx, 429, timeouts).
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_attempts: u32,
    /// Reuse a valid stored token and save the one fetched: `file:PATH`,
    /// or `redis` (URL from `REDIS_URL`, optional encryption keys from
    /// `TOKEN_STORE_KEYS` as `id:base64,...`, newest last; needs the `redis`
    /// feature).
    #[arg(long, value_name = "STORE")]
    store: Option<String>,
    /// With `--store redis`: how long the fetch lease lasts, in
    /// milliseconds (how soon another process takes over from one that died).
    #[arg(long, value_name = "MILLIS", default_value_t = 5000)]
    lease_ms: u64,
}

/// A one-line failure and its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl std::fmt::Display) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }
}

fn read_secret(from_stdin: bool) -> Result<String, Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("reading the secret from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    std::env::var(SECRET_ENV).map_err(|_| {
        Failure::usage(format!(
            "no client secret: set {SECRET_ENV} or pass --secret-stdin"
        ))
    })
}

/// The `private_key_jwt` signer `--private-key`, `--key-id` and `--alg`
/// describe; none for the other methods (which refuse those flags).
fn read_signer(cli: &Cli) -> Result<Option<PrivateKeySigner>, Failure> {
    if cli.auth_method != ClientAuthMethod::PrivateKeyJwt {
        if cli.private_key.is_some() || cli.key_id.is_some() || cli.alg.is_some() {
            return Err(Failure::usage(
                "--private-key, --key-id and --alg need --auth-method private_key_jwt",
            ));
        }
        return Ok(None);
    }
    let path = cli
        .private_key
        .as_deref()
        .ok_or_else(|| Failure::usage("private_key_jwt needs --private-key FILE"))?;
    let failure = |e: auth_http::KeyError| {
        Failure::usage(format!(
            "--private-key {}: {}",
            path.display(),
            auth_http::one_line(&e)
        ))
    };
    let mut signer = PrivateKeySigner::from_file(path).map_err(failure)?;
    if let Some(kid) = &cli.key_id {
        signer = signer.with_kid(kid.as_str());
    }
    if let Some(alg) = cli.alg {
        signer = signer.expect_alg(alg).map_err(failure)?;
    }
    Ok(Some(signer))
}

fn build_client(
    cli: &Cli,
    secret: String,
    signer: Option<&PrivateKeySigner>,
) -> Result<Client, Failure> {
    let url =
        TokenUrl::parse(&cli.token_url).map_err(|e| Failure::usage(format!("--token-url: {e}")))?;
    let mut scopes = ScopeSet::new();
    for list in &cli.scopes {
        let parsed =
            ScopeSet::parse_lenient(list).map_err(|e| Failure::usage(format!("--scope: {e}")))?;
        for scope in parsed.iter() {
            scopes.insert(scope.clone());
        }
    }
    let credentials = ClientCredentials::new(cli.client_id.as_str(), secret)
        .with_scopes(scopes.iter().cloned())
        .with_auth_method(cli.auth_method)
        .with_assertion_audience(cli.assertion_audience);
    let credentials = match signer {
        Some(signer) => credentials.with_assertion_key(signer.key().clone()),
        None => credentials,
    };
    let mut request = TokenRequest::new(url, credentials);
    if let Some(issuer) = &cli.issuer {
        request = request.with_issuer(
            Issuer::parse(issuer).map_err(|e| Failure::usage(format!("--issuer: {e}")))?,
        );
    }
    for resource in &cli.resources {
        request = request.with_resource(
            Resource::new(resource.as_str())
                .map_err(|e| Failure::usage(format!("--resource: {e}")))?,
        );
    }
    if let Some(audience) = &cli.audience {
        request = request.with_audience(audience.as_str());
    }
    // Build once now, so configuration errors are usage errors (exit 2).
    let built = if cli.auth_method.uses_assertion() {
        request
            .unsigned_assertion(time::OffsetDateTime::UNIX_EPOCH, "check")
            .map(|unsigned| unsigned.finish(&[0]))
            .and_then(|assertion| request.to_http_with_assertion(&assertion))
    } else {
        request.to_http()
    };
    built.map_err(|e| Failure::usage(format!("invalid token request: {e}")))?;
    Ok(Client::from_request(request))
}

/// A rustls configuration trusting exactly the certificates in `path`.
fn trusting(path: &std::path::Path) -> Result<rustls::ClientConfig, Failure> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let failure = |what: String| Failure::usage(format!("--ca-file {}: {what}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| failure(e.to_string()))? {
        roots
            .add(cert.map_err(|e| failure(e.to_string()))?)
            .map_err(|e| failure(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(failure("no certificate found".to_owned()));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failure(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

async fn run(cli: Cli) -> Result<String, Failure> {
    let signer = read_signer(&cli)?;
    // private_key_jwt has no secret to read.
    let secret = if signer.is_some() {
        String::new()
    } else {
        read_secret(cli.secret_stdin)?
    };
    let client = build_client(&cli, secret, signer.as_ref())?;
    let mut builder = HyperTransport::builder().timeout(Duration::from_secs(cli.timeout));
    if let Some(path) = &cli.ca_file {
        builder = builder.tls_config(trusting(path)?);
    }
    let transport = builder.build().map_err(|e| Failure {
        code: EXIT_TRANSPORT,
        message: auth_http::one_line(&e),
    })?;
    let retry = RetryPolicy::default()
        .with_max_attempts(cli.max_attempts)
        .with_deadline(Duration::from_secs(cli.timeout));
    let mut builder = TokenManager::builder(client, transport).retry(retry);
    if let Some(signer) = signer {
        builder = builder.signer(signer);
    }
    let manager = with_store(builder, &cli)?.build();
    // The exit code follows the last attempt's error (`is_provider_rejection`
    // looks through the manager's wrappers); the message keeps them, so it
    // says how many attempts were made and over how long.
    let token = manager.token().await.map_err(|e| Failure {
        code: if e.is_provider_rejection() {
            EXIT_REJECTED
        } else {
            EXIT_TRANSPORT
        },
        message: auth_http::one_line(&e),
    })?;
    Ok(if cli.access_token_only {
        token.access_token().expose_secret().to_owned()
    } else {
        // Bound to the request's persistent identity, as a FileStore saves it.
        token.to_stored_json(manager.key()).map_err(|e| Failure {
            code: EXIT_TRANSPORT,
            message: e.to_string(),
        })?
    })
}

/// `builder` with the store `--store` names.
fn with_store(builder: TokenManagerBuilder, cli: &Cli) -> Result<TokenManagerBuilder, Failure> {
    let Some(store) = cli.store.as_deref() else {
        return Ok(builder);
    };
    if let Some(path) = store.strip_prefix("file:") {
        if path.is_empty() {
            return Err(Failure::usage("--store file:PATH: the path is empty"));
        }
        return Ok(builder.store(FileStore::new(path)));
    }
    if store == "redis" {
        return with_redis(builder, cli);
    }
    Err(Failure::usage(format!(
        "--store: expected file:PATH or redis, got {store:?}"
    )))
}

#[cfg(feature = "redis")]
fn with_redis(builder: TokenManagerBuilder, cli: &Cli) -> Result<TokenManagerBuilder, Failure> {
    let url = std::env::var(REDIS_URL_ENV)
        .map_err(|_| Failure::usage(format!("--store redis: set {REDIS_URL_ENV}")))?;
    let mut redis = auth_http::RedisStore::builder(&url)
        .map_err(|e| Failure::usage(format!("{REDIS_URL_ENV}: {}", auth_http::one_line(&e))))?
        .lease(Duration::from_millis(cli.lease_ms));
    if let Ok(keys) = std::env::var(STORE_KEYS_ENV) {
        let keys = auth_http::EncryptionKeys::parse(&keys)
            .map_err(|e| Failure::usage(format!("{STORE_KEYS_ENV}: {e}")))?;
        redis = redis.encryption(keys);
    }
    Ok(builder.fleet_store(redis.build()))
}

#[cfg(not(feature = "redis"))]
fn with_redis(_: TokenManagerBuilder, _: &Cli) -> Result<TokenManagerBuilder, Failure> {
    let _ = (REDIS_URL_ENV, STORE_KEYS_ENV);
    Err(Failure::usage(
        "--store redis: this fetch-token was built without the redis feature",
    ))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(), // usage errors exit 2, --help and --version 0
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fetch-token: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_TRANSPORT);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            if writeln!(stdout, "{output}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(EXIT_TRANSPORT);
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("fetch-token: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
