//! Structured logs: text for people, JSON for collectors. `RUST_LOG` overrides the level.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into files and pipes.
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Something with counters to show on `/metrics`, beyond the router's: an MTP's own state
/// (MQTT sessions, subscriptions, retained messages). Implementors write Prometheus text.
pub trait MetricsSource: Send + Sync {
    fn render(&self, out: &mut String);
}

/// The sources the admin listener renders, filled in as listeners start.
#[derive(Clone, Default)]
pub struct MetricsSources(std::sync::Arc<std::sync::RwLock<Vec<std::sync::Arc<dyn MetricsSource>>>>);

impl MetricsSources {
    pub fn add(&self, source: std::sync::Arc<dyn MetricsSource>) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).push(source);
    }

    pub fn render(&self, out: &mut String) {
        for source in self.0.read().unwrap_or_else(|e| e.into_inner()).iter() {
            source.render(out);
        }
    }
}
