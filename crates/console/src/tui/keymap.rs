//! Keys are data: the default keymap is embedded (`assets/keymap.yaml`), the user's overrides from
//! config are merged over it, and help and footer hints are generated from the merged map.

use std::collections::BTreeMap;

use crate::config::{KeySpec, parse_key_spec};

/// Everything a key can do in normal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextView,
    PrevView,
    Overview,
    Applications,
    Workloads,
    Policies,
    Events,
    Tasks,
    Validate,
    Provision,
    CancelTasks,
    Details,
    Back,
    Filter,
    Palette,
    Help,
    SelectService,
    ClearScope,
    Restart,
    Sync,
    Refresh,
    Logs,
    Quit,
    Scaffold,
    EditQuery,
    LogWindow,
    ToggleFields,
    ToggleTimestamps,
    ToggleWrap,
    SaveLogs,
    ExploreLink,
}

/// (config name, command, what help says), in the order help lists them.
pub const COMMANDS: &[(&str, Command, &str)] = &[
    ("up", Command::Up, "move up"),
    ("down", Command::Down, "move down"),
    ("page_up", Command::PageUp, "page up"),
    ("page_down", Command::PageDown, "page down"),
    ("top", Command::Top, "first row"),
    ("bottom", Command::Bottom, "last row"),
    ("next_view", Command::NextView, "next view"),
    ("prev_view", Command::PrevView, "previous view"),
    ("overview", Command::Overview, "overview"),
    ("applications", Command::Applications, "Argo CD applications"),
    ("workloads", Command::Workloads, "deployments and pods"),
    ("policies", Command::Policies, "Kyverno policy violations"),
    ("events", Command::Events, "warning events"),
    ("tasks", Command::Tasks, "validation and provisioning tasks"),
    ("validate", Command::Validate, "run the validation suite"),
    ("provision", Command::Provision, "run the provisioning suite (confirm)"),
    ("cancel_tasks", Command::CancelTasks, "cancel the task run"),
    ("details", Command::Details, "details / narrow to the selected service"),
    ("back", Command::Back, "back / close"),
    ("filter", Command::Filter, "filter rows as you type"),
    ("palette", Command::Palette, "command palette (view, ns, ctx, service)"),
    ("help", Command::Help, "this help"),
    ("select_service", Command::SelectService, "narrow every view to the selected service"),
    ("clear_scope", Command::ClearScope, "clear service narrowing and filter"),
    ("restart", Command::Restart, "rollout restart the service (confirm)"),
    ("sync", Command::Sync, "Argo CD sync the service's app (confirm)"),
    ("refresh", Command::Refresh, "Argo CD refresh (Tasks: re-run failed)"),
    ("logs", Command::Logs, "Loki logs of the selected service, live"),
    ("quit", Command::Quit, "quit"),
    ("scaffold", Command::Scaffold, "scaffold a new service (golden path)"),
    ("edit_query", Command::EditQuery, "log view: edit the LogQL query"),
    ("log_window", Command::LogWindow, "log view: backfill window (lines, 5m … 24h)"),
    ("toggle_fields", Command::ToggleFields, "log view: request fields on/off"),
    ("toggle_timestamps", Command::ToggleTimestamps, "log view: timestamps on/off"),
    ("toggle_wrap", Command::ToggleWrap, "log view: wrap long lines on/off"),
    ("save_logs", Command::SaveLogs, "log view: save the visible lines to a file"),
    ("explore_link", Command::ExploreLink, "log view: Grafana Explore link (copy, open)"),
];

const DEFAULT_KEYMAP: &str = include_str!("../../../../assets/keymap.yaml");

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Command, Vec<KeySpec>>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("keymap: unknown command `{0}`")]
    UnknownCommand(String),
    #[error("keymap: `{command}`: {message}")]
    BadKey { command: String, message: String },
    #[error("keymap: the embedded default does not parse: {0}")]
    Default(String),
}

fn command_named(name: &str) -> Option<Command> {
    COMMANDS.iter().find(|(n, _, _)| *n == name).map(|(_, c, _)| *c)
}

impl Keymap {
    /// The embedded default with `overrides` (from config) merged over it: an override replaces
    /// that command's keys; an empty list unbinds it.
    pub fn new(overrides: &BTreeMap<String, Vec<KeySpec>>) -> Result<Self, KeymapError> {
        let raw: BTreeMap<String, Vec<String>> =
            serde_norway::from_str(DEFAULT_KEYMAP).map_err(|e| KeymapError::Default(e.to_string()))?;
        let mut bindings = BTreeMap::new();
        for (name, keys) in raw {
            let command = command_named(&name).ok_or_else(|| KeymapError::UnknownCommand(name.clone()))?;
            let specs = keys
                .iter()
                .map(|k| {
                    parse_key_spec(k)
                        .map_err(|message| KeymapError::BadKey { command: name.clone(), message })
                })
                .collect::<Result<Vec<_>, _>>()?;
            bindings.insert(command, specs);
        }
        for (name, keys) in overrides {
            let command = command_named(name).ok_or_else(|| KeymapError::UnknownCommand(name.clone()))?;
            // A key moved to this command leaves any command it was bound to.
            for specs in bindings.values_mut() {
                specs.retain(|s| !keys.contains(s));
            }
            bindings.insert(command, keys.clone());
        }
        Ok(Self { bindings })
    }

    pub fn default_map() -> Result<Self, KeymapError> {
        Self::new(&BTreeMap::new())
    }

    pub fn command_for(&self, key: &KeySpec) -> Option<Command> {
        self.bindings.iter().find(|(_, keys)| keys.contains(key)).map(|(c, _)| *c)
    }

    pub fn keys_for(&self, command: Command) -> &[KeySpec] {
        self.bindings.get(&command).map(Vec::as_slice).unwrap_or_default()
    }

    /// `j/down`-style label of a command's keys, for help and the footer.
    pub fn label(&self, command: Command) -> String {
        let keys: Vec<String> = self.keys_for(command).iter().map(ToString::to_string).collect();
        keys.join("/")
    }

    /// Help lines: (keys, description), generated from the merged map.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        COMMANDS.iter().map(|(_, c, what)| (self.label(*c), *what)).filter(|(k, _)| !k.is_empty()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KeyName;

    #[test]
    fn default_map_binds_every_command() {
        let km = Keymap::default_map().unwrap();
        for (name, c, _) in COMMANDS {
            assert!(!km.keys_for(*c).is_empty(), "{name} has no key");
        }
        assert_eq!(km.command_for(&KeySpec::plain(KeyName::Char('j'))), Some(Command::Down));
        assert_eq!(km.command_for(&KeySpec::ctrl('c')), Some(Command::Quit));
        assert_eq!(km.command_for(&KeySpec::plain(KeyName::Char('G'))), Some(Command::Bottom));
    }

    #[test]
    fn overrides_replace_and_steal_keys() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec![parse_key_spec("x").unwrap()]);
        o.insert("down".to_string(), vec![parse_key_spec("q").unwrap()]);
        let km = Keymap::new(&o).unwrap();
        assert_eq!(km.command_for(&KeySpec::plain(KeyName::Char('x'))), Some(Command::Quit));
        assert_eq!(km.command_for(&KeySpec::plain(KeyName::Char('q'))), Some(Command::Down));
        assert_eq!(km.command_for(&KeySpec::plain(KeyName::Char('j'))), None);
        assert!(km.help().iter().any(|(k, w)| k == "x" && *w == "quit"));
    }

    #[test]
    fn unknown_commands_are_errors() {
        let mut o = BTreeMap::new();
        o.insert("explode".to_string(), vec![]);
        assert!(matches!(Keymap::new(&o), Err(KeymapError::UnknownCommand(_))));
    }
}
