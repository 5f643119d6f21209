//! Finding, reading, parsing and writing the config file.
//!
//! Order: the `--config` file (which must exist), else `$XDG_CONFIG_HOME/platdeck/config.yaml`
//! (`~/.config/platdeck/config.yaml`) if it exists, else the built-in defaults. Every mistake
//! in a file is reported as one line naming file, line, column and key path.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Location};
use super::locate::locate;
use super::loki::LokiAuth;
use super::model::Config;
use super::overrides::{apply_secret_overrides, env_is_set};
use super::paths::{self, default_config_path};
use super::secret::Secret;
use super::validate::first_problem;

/// A configuration and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedConfig {
    pub config: Config,
    pub source: ConfigSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    Defaults,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// Loads the configuration the way every command does (see the module docs), then applies
/// the `PLATDECK_*` secret overrides from the environment.
pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    load_from(explicit, default_config_path().as_deref())
}

/// [`load`] with the default location given, so the search order can be exercised without
/// changing the process environment.
pub fn load_from(explicit: Option<&Path>, default_path: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    let mut loaded = find_and_parse(explicit, default_path)?;
    apply_secret_overrides(&mut loaded.config, &env_is_set);
    Ok(loaded)
}

fn find_and_parse(explicit: Option<&Path>, default_path: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    if let Some(path) = explicit {
        let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => ConfigError::NotFound { path: path.to_path_buf() },
            _ => ConfigError::Read { path: path.to_path_buf(), source },
        })?;
        return from_file(&text, path);
    }
    if let Some(path) = default_path {
        match std::fs::read_to_string(path) {
            Ok(text) => return from_file(&text, path),
            // No config file is the normal first run; anything else (permissions, a
            // directory in its place) must not silently fall back to defaults.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(ConfigError::Read { path: path.to_path_buf(), source });
            }
        }
    }
    Ok(LoadedConfig { config: Config::default(), source: ConfigSource::Defaults })
}

fn from_file(text: &str, path: &Path) -> Result<LoadedConfig, ConfigError> {
    Ok(LoadedConfig { config: parse_str(text, path)?, source: ConfigSource::File(path.to_path_buf()) })
}

/// Parses and validates a config text; `origin` names it in errors and anchors relative
/// paths (they are relative to its directory; `~/` is the home directory). An empty text is
/// the defaults.
pub fn parse_str(text: &str, origin: &Path) -> Result<Config, ConfigError> {
    // Well-formedness first, so a syntax error is reported as such even when a type error
    // comes earlier in the text.
    if let Err(err) = serde_norway::from_str::<serde_norway::Value>(text) {
        return Err(syntax_error(&err, text, origin));
    }
    let deserializer = serde_norway::Deserializer::from_str(text);
    let parsed: Option<Config> =
        serde_path_to_error::deserialize(deserializer).map_err(|err| typed_error(&err, origin))?;
    let mut config = parsed.unwrap_or_default();
    let base = origin.parent().unwrap_or(Path::new(""));
    resolve_paths(&mut config, base, dirs::home_dir().as_deref());
    if let Some(problem) = first_problem(&config) {
        let position = locate(text, &problem.path);
        return Err(ConfigError::Invalid {
            location: Some(Location::new(
                origin,
                position.map(|(line, _)| line),
                position.map(|(_, column)| column),
            )),
            key: problem.path.to_string(),
            message: problem.message,
        });
    }
    Ok(config)
}

/// serde_norway's message without the parts we print ourselves: its ` at line L column C`
/// and its own `path: ` prefix (we print serde_path_to_error's, which is more precise).
fn bare_message(err: &serde_norway::Error, key: Option<&str>) -> String {
    let mut message = err.to_string();
    if let Some(loc) = err.location() {
        let position = format!(" at line {} column {}", loc.line(), loc.column());
        message = message.replacen(&position, "", 1);
    }
    if let (Some(key), Some((prefix, rest))) = (key, message.split_once(": ")) {
        let is_path = !prefix.is_empty() && !prefix.contains(char::is_whitespace);
        if is_path && key.starts_with(prefix) {
            message = rest.to_owned();
        }
    }
    message
}

fn location_of(err: &serde_norway::Error, origin: &Path) -> Location {
    let position = err.location().map(|loc| (loc.line(), loc.column()));
    Location::new(origin, position.map(|(line, _)| line), position.map(|(_, column)| column))
}

fn syntax_error(err: &serde_norway::Error, text: &str, origin: &Path) -> ConfigError {
    let location = location_of(err, origin);
    let mut message = bare_message(err, None);
    // The commonest YAML mistake gets a hint: libyaml's message does not mention tabs.
    let line_text = location.line.and_then(|line| text.lines().nth(line.saturating_sub(1)));
    if line_text.is_some_and(|l| l.trim_start_matches(' ').starts_with('\t')) {
        message.push_str(" (YAML indentation must use spaces, not tabs)");
    }
    ConfigError::Syntax { location, message }
}

fn typed_error(err: &serde_path_to_error::Error<serde_norway::Error>, origin: &Path) -> ConfigError {
    let path = err.path().to_string();
    let key = if path == "." { "(top level)".to_owned() } else { path };
    ConfigError::Invalid {
        location: Some(location_of(err.inner(), origin)),
        message: bare_message(err.inner(), Some(&key)),
        key,
    }
}

/// Makes the file paths in `config` independent of the working directory.
fn resolve_paths(config: &mut Config, base: &Path, home: Option<&Path>) {
    let fix = |path: &mut PathBuf| *path = paths::resolve(path, base, home);
    let fix_secret = |secret: &mut Secret| {
        if let Secret::File(path) = secret {
            fix(path);
        }
    };
    config.cluster.kubeconfig.as_mut().map(fix);
    config.terraform.dir.as_mut().map(fix);
    config.audit_log.as_mut().map(fix);
    config.grafana.token.as_mut().map(fix_secret);
    match &mut config.loki.auth {
        LokiAuth::Basic { password, .. } => fix_secret(password),
        LokiAuth::Bearer { token } => fix_secret(token),
        LokiAuth::None => {}
    }
}

const HEADER: &str = "# platdeck configuration; config.example.yaml documents every key.\n";

impl Config {
    /// The configuration as YAML, every secret as its source.
    pub fn to_yaml(&self) -> Result<String, ConfigError> {
        serde_norway::to_string(self).map_err(|err| ConfigError::Serialize { message: err.to_string() })
    }

    /// Validates and writes the configuration to `path` (parent directories created). The
    /// file is written aside and renamed into place, and is private to the user because a
    /// config may hold an inline secret (the simulator's throwaway token).
    pub fn write(&self, path: &Path) -> Result<(), ConfigError> {
        self.validate()?;
        let yaml = self.to_yaml()?;
        let write_error = |source| ConfigError::Write { path: path.to_path_buf(), source };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let temp_name =
            format!(".{}.tmp-{}", name.unwrap_or_else(|| "config.yaml".into()), std::process::id());
        let temp = dir.unwrap_or(Path::new("")).join(temp_name);
        let written = write_private(&temp, HEADER, &yaml).and_then(|()| std::fs::rename(&temp, path));
        if written.is_err() {
            // Best effort: the temporary file is useless once the write failed.
            let _ = std::fs::remove_file(&temp);
        }
        written.map_err(write_error)
    }
}

fn write_private(path: &Path, header: &str, body: &str) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(header.as_bytes())?;
    file.write_all(body.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> &'static Path {
        Path::new("config.yaml")
    }

    fn error(text: &str) -> String {
        match parse_str(text, origin()) {
            Ok(_) => String::from("parsed fine"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn empty_and_comment_only_texts_are_the_defaults() -> Result<(), ConfigError> {
        for text in ["", "\n", "# nothing here\n", "---\n", "~\n"] {
            assert_eq!(parse_str(text, origin())?, Config::default(), "{text:?}");
        }
        Ok(())
    }

    #[test]
    fn type_errors_name_file_line_column_and_key() {
        let text = "ecr:\n  scan_on_push: yes please\n";
        assert_eq!(
            error(text),
            "config.yaml:2:17: ecr.scan_on_push: invalid type: string \"yes please\", expected a boolean"
        );
    }

    #[test]
    fn unknown_keys_name_the_key() {
        let message = error("cluster:\n  namspaces: [a]\n");
        assert!(
            message.starts_with("config.yaml:2:3: cluster.namspaces: unknown field `namspaces`"),
            "{message}"
        );
        let top = error("clutser: {}\n");
        assert!(top.starts_with("config.yaml:1:1: clutser: unknown field `clutser`"), "{top}");
    }

    #[test]
    fn syntax_errors_give_the_parser_message() {
        let message = error("cluster:\n  context: a\n   bad: b\n");
        assert_eq!(message, "config.yaml:3:7: mapping values are not allowed in this context");
        let tabs = error("cluster:\n\tcontext: x\n");
        assert!(tabs.starts_with("config.yaml:2:1: "), "{tabs}");
        assert!(tabs.contains("not tabs"), "{tabs}");
    }

    #[test]
    fn semantic_errors_are_located() {
        let text = "ecr:\n  lifecycle_policy:\n    rules:\n      - rule_priority: 1\n        tag_status: any\n        count_type: imageCountMoreThan\n        count_number: 5\n      - rule_priority: 2\n        tag_status: untagged\n        count_type: imageCountMoreThan\n        count_number: 5\n";
        let message = error(text);
        assert!(
            message.starts_with("config.yaml:4:24: ecr.lifecycle_policy.rules[0].rule_priority: "),
            "{message}"
        );
    }

    #[test]
    fn secrets_are_never_echoed_in_errors() {
        let message = error("grafana:\n  token: glsa_abcdef_secret\n");
        assert!(message.starts_with("config.yaml:2:10: grafana.token: "), "{message}");
        assert!(!message.contains("glsa_abcdef_secret"), "{message}");
    }

    #[test]
    fn relative_paths_follow_the_config_file() -> Result<(), ConfigError> {
        let text = "cluster:\n  kubeconfig: kube/config\ngrafana:\n  token: {file: token}\n";
        let config = parse_str(text, Path::new("/etc/platdeck/config.yaml"))?;
        assert_eq!(config.cluster.kubeconfig, Some(PathBuf::from("/etc/platdeck/kube/config")));
        assert_eq!(config.grafana.token, Some(Secret::File("/etc/platdeck/token".into())));
        Ok(())
    }

    #[test]
    fn search_order() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let default_path = paths::config_file_from(Some(dir.path().into()), None).ok_or("no default path")?;

        // Nothing anywhere: defaults.
        let loaded = find_and_parse(None, Some(&default_path))?;
        assert_eq!(loaded.source, ConfigSource::Defaults);
        assert_eq!(loaded.config, Config::default());

        // The XDG file once it exists.
        std::fs::create_dir_all(dir.path().join("platdeck"))?;
        std::fs::write(&default_path, "base_domain: xdg.example\n")?;
        let loaded = find_and_parse(None, Some(&default_path))?;
        assert_eq!(loaded.source, ConfigSource::File(default_path.clone()));
        assert_eq!(loaded.config.base_domain, "xdg.example");

        // --config wins over it.
        let explicit = dir.path().join("explicit.yaml");
        std::fs::write(&explicit, "base_domain: explicit.example\n")?;
        let loaded = find_and_parse(Some(&explicit), Some(&default_path))?;
        assert_eq!(loaded.source, ConfigSource::File(explicit.clone()));
        assert_eq!(loaded.config.base_domain, "explicit.example");

        // A missing --config is an error naming it, never a silent fallback.
        let missing = dir.path().join("missing.yaml");
        let err = find_and_parse(Some(&missing), Some(&default_path));
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(message, format!("{}: config file not found", missing.display()));

        // A directory where the default file should be is reported, not skipped.
        std::fs::remove_file(&default_path)?;
        std::fs::create_dir(&default_path)?;
        assert!(matches!(find_and_parse(None, Some(&default_path)), Err(ConfigError::Read { .. })));
        Ok(())
    }

    #[test]
    fn write_then_load_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested/config.yaml");
        let mut config = Config::default();
        config.loki.url = Some("http://127.0.0.1:3100".into());
        config.grafana.token = Some(Secret::Value("sim-throwaway".into()));
        config.write(&path)?;
        assert_eq!(parse_str(&std::fs::read_to_string(&path)?, &path)?, config);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o077, 0, "config file must be private: {mode:o}");
        }
        let leftovers = std::fs::read_dir(path.parent().ok_or("no parent")?)?.count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        Ok(())
    }

    #[test]
    fn write_refuses_an_invalid_config() {
        let config = Config { base_domain: "https://example.com".into(), ..Config::default() };
        let dir = tempfile::tempdir().ok();
        let path = dir.as_ref().map(|d| d.path().join("c.yaml")).unwrap_or_default();
        assert!(config.write(&path).is_err());
        assert!(!path.exists());
    }
}
