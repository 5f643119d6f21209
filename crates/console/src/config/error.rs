//! The config layer's error: every variant displays as one line that names the file, the
//! position and the key, so a user can go straight to the mistake.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where in a config file something went wrong. Line and column are 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn new(file: impl Into<PathBuf>, line: Option<usize>, column: Option<usize>) -> Self {
        Self { file: file.into(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Renders an optional location as a `file:line:col: ` prefix.
struct Prefix<'a>(&'a Option<Location>);

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(location) => write!(f, "{location}: "),
            None => Ok(()),
        }
    }
}

/// Errors from loading, validating, resolving and writing the configuration.
///
/// None of them ever carries a secret's value: secret sources are described by where they
/// come from (an environment variable's name, a file's path), never by their content.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config FILE` names a file that does not exist.
    #[error("{}: config file not found", path.display())]
    NotFound { path: PathBuf },

    /// The file exists but could not be read.
    #[error("{}: cannot read config file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The text is not well-formed YAML.
    #[error("{location}: {message}")]
    Syntax { location: Location, message: String },

    /// Well-formed YAML with a wrong value: wrong type, unknown key, bad enum value, or a
    /// semantic rule broken (lifecycle policy, key spec, colour, URL ...). `key` is the
    /// dotted key path.
    #[error("{}{key}: {message}", Prefix(location))]
    Invalid { location: Option<Location>, key: String, message: String },

    /// A secret's source could not be read (the message names the source, never the value).
    #[error("cannot read secret from {source_description}: {message}")]
    Secret { source_description: String, message: String },

    /// The configuration could not be turned into YAML.
    #[error("cannot serialise the configuration: {message}")]
    Serialize { message: String },

    /// The configuration could not be written.
    #[error("{}: cannot write config file: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ConfigError {
    /// The location of the mistake, when the error is about a file's content.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::Syntax { location, .. } => Some(location),
            ConfigError::Invalid { location, .. } => location.as_ref(),
            _ => None,
        }
    }

    /// The dotted key path of the offending value, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_displays_file_line_column_and_key() {
        let err = ConfigError::Invalid {
            location: Some(Location::new("config.yaml", Some(12), Some(7))),
            key: "ecr.scan_on_push".into(),
            message: "invalid type: string \"yes please\", expected a boolean".into(),
        };
        assert_eq!(
            err.to_string(),
            "config.yaml:12:7: ecr.scan_on_push: invalid type: string \"yes please\", expected a boolean"
        );
    }

    #[test]
    fn invalid_without_location_names_the_key() {
        let err = ConfigError::Invalid { location: None, key: "loki.url".into(), message: "bad".into() };
        assert_eq!(err.to_string(), "loki.url: bad");
    }

    #[test]
    fn location_without_line_is_just_the_file() {
        assert_eq!(Location::new("c.yaml", None, None).to_string(), "c.yaml");
    }
}
