//! `mock-server`: the conformance OAuth provider as a dev server.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use mock_server::{Config, MockServer, Tls};

/// `println!` that ignores a closed stdout: the server must outlive whoever
/// read its ready line.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// A strict, fast conformance OAuth 2.0 provider (client credentials).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the provider (the default).
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "MOCK_SERVER_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// TOML configuration file (default: the embedded configuration).
    #[arg(long, env = "MOCK_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// Serve https with a certificate made at start (or the files given).
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain to serve (with --tls-key; implies --tls).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Where to write the PEM of the generated CA, for clients to trust.
    #[arg(long)]
    ca_out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    let config = match &args.config {
        Some(path) => {
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
            Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::embedded(),
    };
    // Listen before announcing readiness, so an early Ctrl-C is not lost.
    let interrupted = interrupt()?;
    let mut builder = MockServer::builder().config(config).addr(args.addr);
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        builder = builder.tls(Tls::Files {
            cert: cert.clone(),
            key: key.clone(),
        });
    } else if args.tls || args.ca_out.is_some() {
        builder = builder.tls(Tls::SelfSigned);
    }
    let server = builder.start().await?;
    if let (Some(path), Some(pem)) = (&args.ca_out, server.ca_pem()) {
        tokio::fs::write(path, pem)
            .await
            .map_err(|e| format!("cannot write the CA to {}: {e}", path.display()))?;
    }
    say!(
        "mock-server ready on {} token endpoint {}",
        server.url(),
        server.token_url()
    );
    say!(
        "metadata: {}  resource: {}",
        server.metadata_url(),
        server.resource_url()
    );
    say!("registered clients (dev mock: these secrets are not secret):");
    for client in server.clients() {
        let secret = client.expose_secret().unwrap_or("(public client)");
        say!(
            "  {:<16} secret={secret:<24} auth={} scopes={}",
            client.id(),
            client.auth_method(),
            client.scopes().join(" ")
        );
    }
    interrupted.await?;
    say!("shutting down");
    server.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM; the handlers are installed now.
#[cfg(unix)]
fn interrupt() -> std::io::Result<impl Future<Output = std::io::Result<()>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        Ok(())
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn interrupt() -> std::io::Result<impl Future<Output = std::io::Result<()>>> {
    Ok(tokio::signal::ctrl_c())
}
