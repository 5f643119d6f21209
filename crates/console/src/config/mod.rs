//! Configuration: the model of `config.yaml`, its loading (with errors naming file, line,
//! column and key), secrets that never print, and the key-spec and colour syntax of the
//! keymap and theme sections.
//!
//! Every command reads the same config: `--config FILE`, else
//! `$XDG_CONFIG_HOME/platdeck/config.yaml` (`~/.config/platdeck/config.yaml`), else built-in
//! defaults. `config.example.yaml` at the repository root documents every key.
//!
//! Secrets may be overridden from the environment: `PLATDECK_GRAFANA_TOKEN`,
//! `PLATDECK_LOKI_TOKEN` (switches Loki to bearer auth) and `PLATDECK_LOKI_PASSWORD` (basic
//! auth's password); see [`load`].

mod color;
mod ecr;
mod error;
mod http_url;
mod key_path;
mod keymap;
pub mod keyspec;
mod lifecycle;
mod load;
mod locate;
mod loki;
mod model;
mod overrides;
mod paths;
mod secret;
mod theme;
mod validate;

pub use color::{Color, parse_color};
pub use ecr::{EcrConfig, Encryption, TagMutability};
pub use error::{ConfigError, Location};
pub use keymap::Keymap;
pub use keyspec::{KeyName, KeySpec, parse_key_spec};
pub use lifecycle::{CountType, CountUnit, LifecyclePolicy, LifecycleRule, TagStatus};
pub use load::{ConfigSource, LoadedConfig, load, load_from, parse_str};
pub use loki::{DEFAULT_QUERY_TEMPLATE, LokiAuth, LokiConfig};
pub use model::{
    ArgocdConfig, ClusterConfig, Config, GithubConfig, GitopsConfig, GrafanaConfig, PrometheusConfig,
    ServiceEntry, TerraformConfig,
};
pub use paths::default_config_path;
pub use secret::{ENV_GRAFANA_TOKEN, ENV_LOKI_PASSWORD, ENV_LOKI_TOKEN, Secret};
pub use theme::Theme;
