//! The `usphub` binary: flags and file → [`usphub::hub::start`] → wait for a signal → shut down.

use clap::Parser;
use usphub::config::{Cli, Command, Config};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Passwd { iterations }) = cli.command {
        return passwd(iterations);
    }
    let config = match Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("usphub: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    usphub::telemetry::init(&config.log);
    match usphub::limits::raise_open_files() {
        Ok(n) => tracing::debug!(open_files = n, "file descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-files limit"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let result = runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(run(config)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("usphub: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let hub = usphub::hub::start(config).await?;
    wait_for_signal().await?;
    tracing::info!("shutting down");
    hub.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// `usphub passwd`: one password on standard input, its hash on standard output.
fn passwd(iterations: u32) -> std::process::ExitCode {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() || line.trim_end_matches(['\r', '\n']).is_empty() {
        eprintln!("usphub passwd: give the password on standard input");
        return std::process::ExitCode::from(2);
    }
    let password = line.trim_end_matches(['\r', '\n']);
    println!("{}", usphub::auth::hash_password(password.as_bytes(), iterations));
    std::process::ExitCode::SUCCESS
}
