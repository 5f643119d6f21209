//! Where platdeck's files live by default (XDG base directories, with the `~/.config` and
//! `~/.local/state` fallbacks on every OS, as the design asks) and how paths written in the
//! config file are resolved (`~/` expansion, relative to the config file's directory).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

const APP_DIR: &str = "platdeck";

/// `$<var>` if it is an absolute path (the XDG spec says to ignore relative ones), else
/// `~/<fallback>`.
fn xdg_dir(var: Option<OsString>, home: Option<PathBuf>, fallback: &str) -> Option<PathBuf> {
    var.map(PathBuf::from).filter(|dir| dir.is_absolute()).or_else(|| home.map(|home| home.join(fallback)))
}

/// `$XDG_CONFIG_HOME/platdeck/config.yaml`, else `~/.config/platdeck/config.yaml`, from
/// explicit inputs so it can be tested without touching the process environment.
pub(crate) fn config_file_from(xdg_config_home: Option<OsString>, home: Option<PathBuf>) -> Option<PathBuf> {
    xdg_dir(xdg_config_home, home, ".config").map(|dir| dir.join(APP_DIR).join("config.yaml"))
}

/// `$XDG_STATE_HOME/platdeck/audit.jsonl`, else `~/.local/state/platdeck/audit.jsonl`.
pub(crate) fn audit_log_from(xdg_state_home: Option<OsString>, home: Option<PathBuf>) -> Option<PathBuf> {
    xdg_dir(xdg_state_home, home, ".local/state").map(|dir| dir.join(APP_DIR).join("audit.jsonl"))
}

/// The default config file for this process, if a home directory is known.
pub fn default_config_path() -> Option<PathBuf> {
    config_file_from(std::env::var_os("XDG_CONFIG_HOME"), dirs::home_dir())
}

/// The default audit log for this process, if a home directory is known.
pub(crate) fn default_audit_log() -> Option<PathBuf> {
    audit_log_from(std::env::var_os("XDG_STATE_HOME"), dirs::home_dir())
}

/// Resolves a path written in a config file: `~` and `~/x` go under `home`, other relative
/// paths are taken relative to the file's directory `base`, absolute paths stay.
pub(crate) fn resolve(path: &Path, base: &Path, home: Option<&Path>) -> PathBuf {
    if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), home) {
        return home.join(rest);
    }
    if path.is_absolute() { path.to_path_buf() } else { base.join(path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_prefers_an_absolute_xdg_config_home() {
        let home = Some(PathBuf::from("/home/dev"));
        assert_eq!(
            config_file_from(Some("/xdg".into()), home.clone()),
            Some(PathBuf::from("/xdg/platdeck/config.yaml"))
        );
        assert_eq!(
            config_file_from(None, home.clone()),
            Some(PathBuf::from("/home/dev/.config/platdeck/config.yaml"))
        );
        // A relative XDG_CONFIG_HOME is invalid per the spec and ignored.
        assert_eq!(
            config_file_from(Some("relative".into()), home),
            Some(PathBuf::from("/home/dev/.config/platdeck/config.yaml"))
        );
        assert_eq!(config_file_from(None, None), None);
    }

    #[test]
    fn audit_log_uses_xdg_state_home() {
        let home = Some(PathBuf::from("/home/dev"));
        assert_eq!(
            audit_log_from(Some("/state".into()), home.clone()),
            Some(PathBuf::from("/state/platdeck/audit.jsonl"))
        );
        assert_eq!(
            audit_log_from(None, home),
            Some(PathBuf::from("/home/dev/.local/state/platdeck/audit.jsonl"))
        );
    }

    #[test]
    fn resolves_home_relative_and_absolute_paths() {
        let home = Path::new("/home/dev");
        let base = Path::new("/etc/platdeck");
        assert_eq!(
            resolve(Path::new("~/.kube/config"), base, Some(home)),
            PathBuf::from("/home/dev/.kube/config")
        );
        assert_eq!(resolve(Path::new("~"), base, Some(home)), PathBuf::from("/home/dev"));
        assert_eq!(resolve(Path::new("token"), base, Some(home)), PathBuf::from("/etc/platdeck/token"));
        assert_eq!(resolve(Path::new("/abs"), base, Some(home)), PathBuf::from("/abs"));
        // `~user` is not expanded: only the current user's home is known.
        assert_eq!(resolve(Path::new("~bob/x"), base, Some(home)), PathBuf::from("/etc/platdeck/~bob/x"));
    }
}
