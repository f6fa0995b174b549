//! `mock-server`: the conformance OAuth provider as a dev server.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use mock_server::{Config, MockServer};

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
    let server = MockServer::builder()
        .config(config)
        .addr(args.addr)
        .start()
        .await?;
    println!(
        "mock-server ready on {} token endpoint {}",
        server.url(),
        server.token_url()
    );
    println!(
        "metadata: {}  resource: {}",
        server.metadata_url(),
        server.resource_url()
    );
    println!("registered clients (dev mock: these secrets are not secret):");
    for client in server.clients() {
        let secret = client.expose_secret().unwrap_or("(public client)");
        println!(
            "  {:<16} secret={secret:<24} auth={} scopes={}",
            client.id(),
            client.auth_method(),
            client.scopes().join(" ")
        );
    }
    tokio::signal::ctrl_c().await?;
    println!("shutting down");
    server.shutdown().await;
    Ok(())
}
