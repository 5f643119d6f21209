//! Keys are data: the default keymap is embedded (`assets/keymap.yaml`), the user's overrides from
//! config are merged over it, and help and footer hints are generated from the merged map.
//!
//! Every command belongs to one key context. The modal contexts (Confirm, Prompt, Help) take every key
//! while they are active; the view contexts (Logs, Tasks, Diagnostics) are looked up first and fall back
//! to the Global keys. A key bound to two commands of one context is a configuration error, named.

use std::collections::BTreeMap;

use crate::config::{KeyName, KeySpec, parse_key_spec};

/// Where a key is looked up right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyContext {
    /// The dashboard's views.
    Global,
    /// The log view of a service.
    Logs,
    /// The Tasks view.
    Tasks,
    /// The console's own diagnostics panel.
    Diagnostics,
    /// A yes/no question (a mutation, provisioning, a scaffold, a link to open).
    Confirm,
    /// Typing a line (filter, palette, a log-view prompt, the scaffold form).
    Prompt,
    /// The help overlay.
    Help,
}

impl KeyContext {
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Logs => "log view",
            KeyContext::Tasks => "Tasks view",
            KeyContext::Diagnostics => "diagnostics",
            KeyContext::Confirm => "confirmation",
            KeyContext::Prompt => "prompt",
            KeyContext::Help => "help",
        }
    }

    /// Whether keys this context does not bind fall back to the Global ones.
    pub fn inherits_global(self) -> bool {
        matches!(self, KeyContext::Logs | KeyContext::Tasks | KeyContext::Diagnostics)
    }
}

/// Everything a key can do.
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
    Diagnostics,
    Quit,
    Scaffold,
    EditQuery,
    LogWindow,
    ToggleFields,
    ToggleTimestamps,
    ToggleWrap,
    SaveLogs,
    ExploreLink,
    RerunFailed,
    MoreLevels,
    FewerLevels,
    ToggleTargets,
    FocusTarget,
    Confirm,
    Cancel,
    Submit,
    ClosePrompt,
    Erase,
    ClearLine,
    NextField,
    PrevField,
    CloseHelp,
}

use KeyContext as K;

/// (config name, command, its context, what help says), in the order help lists them.
pub const COMMANDS: &[(&str, Command, KeyContext, &str)] = &[
    ("up", Command::Up, K::Global, "move up"),
    ("down", Command::Down, K::Global, "move down"),
    ("page_up", Command::PageUp, K::Global, "page up"),
    ("page_down", Command::PageDown, K::Global, "page down"),
    ("top", Command::Top, K::Global, "first row"),
    ("bottom", Command::Bottom, K::Global, "last row"),
    ("next_view", Command::NextView, K::Global, "next view"),
    ("prev_view", Command::PrevView, K::Global, "previous view"),
    ("overview", Command::Overview, K::Global, "overview"),
    ("applications", Command::Applications, K::Global, "Argo CD applications"),
    ("workloads", Command::Workloads, K::Global, "deployments and pods"),
    ("policies", Command::Policies, K::Global, "Kyverno policy violations"),
    ("events", Command::Events, K::Global, "warning events"),
    ("tasks", Command::Tasks, K::Global, "validation and provisioning tasks"),
    ("validate", Command::Validate, K::Global, "run the validation suite"),
    ("provision", Command::Provision, K::Global, "run the provisioning suite (confirm)"),
    ("cancel_tasks", Command::CancelTasks, K::Global, "cancel the task run"),
    ("details", Command::Details, K::Global, "details / narrow to the selected service"),
    ("back", Command::Back, K::Global, "back / close"),
    ("filter", Command::Filter, K::Global, "filter rows as you type"),
    ("palette", Command::Palette, K::Global, "command palette (views, ns, ctx, svc, log)"),
    ("help", Command::Help, K::Global, "this help"),
    ("select_service", Command::SelectService, K::Global, "narrow every view to the selected service"),
    ("clear_scope", Command::ClearScope, K::Global, "clear service narrowing and filter"),
    ("restart", Command::Restart, K::Global, "rollout restart the service (confirm)"),
    ("sync", Command::Sync, K::Global, "Argo CD sync the service's app (confirm)"),
    ("refresh", Command::Refresh, K::Global, "Argo CD refresh the service's app"),
    ("logs", Command::Logs, K::Global, "Loki logs of the selected service, live"),
    ("diagnostics", Command::Diagnostics, K::Global, "the console's own log (diagnostics)"),
    ("quit", Command::Quit, K::Global, "quit"),
    ("scaffold", Command::Scaffold, K::Global, "scaffold a new service (golden path)"),
    ("edit_query", Command::EditQuery, K::Logs, "edit the LogQL query"),
    ("log_window", Command::LogWindow, K::Logs, "backfill window (lines, 5m … 24h)"),
    ("toggle_fields", Command::ToggleFields, K::Logs, "request fields on/off"),
    ("toggle_timestamps", Command::ToggleTimestamps, K::Logs, "timestamps on/off"),
    ("toggle_wrap", Command::ToggleWrap, K::Logs, "wrap long lines on/off"),
    ("save_logs", Command::SaveLogs, K::Logs, "save the visible lines to a file"),
    ("explore_link", Command::ExploreLink, K::Logs, "Grafana Explore link (copy, open)"),
    ("rerun_failed", Command::RerunFailed, K::Tasks, "re-run what failed (and what it skipped)"),
    ("more_levels", Command::MoreLevels, K::Diagnostics, "show one level more (… debug, trace)"),
    ("fewer_levels", Command::FewerLevels, K::Diagnostics, "show one level less (… warn, error)"),
    ("toggle_targets", Command::ToggleTargets, K::Diagnostics, "show/hide the targets list"),
    ("focus_target", Command::FocusTarget, K::Diagnostics, "only the selected target on/off"),
    ("confirm", Command::Confirm, K::Confirm, "confirm"),
    ("cancel", Command::Cancel, K::Confirm, "cancel"),
    ("submit", Command::Submit, K::Prompt, "accept the line"),
    ("close_prompt", Command::ClosePrompt, K::Prompt, "close the line (the filter: clear it)"),
    ("erase", Command::Erase, K::Prompt, "delete the last character"),
    ("clear_line", Command::ClearLine, K::Prompt, "clear the line"),
    ("next_field", Command::NextField, K::Prompt, "next field (forms)"),
    ("prev_field", Command::PrevField, K::Prompt, "previous field (forms)"),
    ("close_help", Command::CloseHelp, K::Help, "close help"),
];

/// What the Global keys a view context inherits mean there, for its help.
pub fn inherited(context: KeyContext) -> &'static [(Command, &'static str)] {
    match context {
        KeyContext::Logs => &[
            (Command::Up, "scroll back one line"),
            (Command::Down, "scroll forward one line"),
            (Command::PageUp, "page back"),
            (Command::PageDown, "page forward"),
            (Command::Top, "oldest line"),
            (Command::Bottom, "newest line (follow)"),
            (Command::Back, "close the log view"),
        ],
        KeyContext::Diagnostics => &[
            (Command::Up, "previous target"),
            (Command::Down, "next target"),
            (Command::PageUp, "scroll back"),
            (Command::PageDown, "scroll forward"),
            (Command::Bottom, "follow the newest"),
            (Command::Back, "close the panel"),
        ],
        _ => &[],
    }
}

const DEFAULT_KEYMAP: &str = include_str!("../../../../assets/keymap.yaml");

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Command, Vec<KeySpec>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeymapError {
    #[error("keymap: unknown command `{0}`")]
    UnknownCommand(String),
    #[error("keymap: `{command}`: {message}")]
    BadKey { command: String, message: String },
    #[error(
        "keymap: key `{key}` is bound to both `{first}` and `{second}` ({context} keys); unbind it from one"
    )]
    Conflict { key: String, first: String, second: String, context: &'static str },
    #[error("keymap: `{command}` may not take `{key}`: a prompt needs it for typing")]
    Typeable { command: String, key: String },
    #[error("keymap: the embedded default does not parse: {0}")]
    Default(String),
}

fn entry_of(command: Command) -> Option<&'static (&'static str, Command, KeyContext, &'static str)> {
    COMMANDS.iter().find(|(_, c, _, _)| *c == command)
}

fn command_named(name: &str) -> Option<Command> {
    COMMANDS.iter().find(|(n, _, _, _)| *n == name).map(|(_, c, _, _)| *c)
}

pub fn context_of(command: Command) -> KeyContext {
    entry_of(command).map_or(KeyContext::Global, |e| e.2)
}

pub fn name_of(command: Command) -> &'static str {
    entry_of(command).map_or("", |e| e.0)
}

/// A plain printable character: what a prompt types.
fn typeable(key: &KeySpec) -> bool {
    matches!(key.code, KeyName::Char(_)) && !key.ctrl && !key.alt
}

impl Keymap {
    /// The embedded default with `overrides` (from config) merged over it: an override replaces
    /// that command's keys; an empty list unbinds it. The merged map must bind no key twice within
    /// one context, and no prompt command to a character a prompt needs for typing.
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
            bindings.insert(command, keys.clone());
        }
        let keymap = Self { bindings };
        keymap.check()?;
        Ok(keymap)
    }

    fn check(&self) -> Result<(), KeymapError> {
        let mut seen: BTreeMap<(KeyContext, KeySpec), Command> = BTreeMap::new();
        for (command, keys) in &self.bindings {
            let context = context_of(*command);
            for key in keys {
                if context == KeyContext::Prompt && typeable(key) {
                    return Err(KeymapError::Typeable {
                        command: name_of(*command).into(),
                        key: key.to_string(),
                    });
                }
                if let Some(first) = seen.insert((context, *key), *command)
                    && first != *command
                {
                    return Err(KeymapError::Conflict {
                        key: key.to_string(),
                        first: name_of(first).into(),
                        second: name_of(*command).into(),
                        context: context.name(),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn default_map() -> Result<Self, KeymapError> {
        Self::new(&BTreeMap::new())
    }

    /// The command `key` runs in `context` alone (no fallback).
    pub fn command_in(&self, context: KeyContext, key: &KeySpec) -> Option<Command> {
        self.bindings
            .iter()
            .find(|(c, keys)| context_of(**c) == context && keys.contains(key))
            .map(|(c, _)| *c)
    }

    /// The command `key` runs in `context`, falling back to the Global keys where it inherits them.
    pub fn lookup(&self, context: KeyContext, key: &KeySpec) -> Option<Command> {
        self.command_in(context, key).or_else(|| {
            if context.inherits_global() { self.command_in(KeyContext::Global, key) } else { None }
        })
    }

    /// The Global command of `key` (kept for callers that only know the dashboard's keys).
    pub fn command_for(&self, key: &KeySpec) -> Option<Command> {
        self.command_in(KeyContext::Global, key)
    }

    pub fn keys_for(&self, command: Command) -> &[KeySpec] {
        self.bindings.get(&command).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether `key` runs `command` (in the command's own context).
    pub fn is(&self, command: Command, key: &KeySpec) -> bool {
        self.keys_for(command).contains(key)
    }

    /// `j/down`-style label of a command's keys, for help and the footer.
    pub fn label(&self, command: Command) -> String {
        let keys: Vec<String> = self.keys_for(command).iter().map(ToString::to_string).collect();
        keys.join("/")
    }

    /// The first key a command is bound to, as the footer of a modal context names it.
    pub fn first_key(&self, command: Command) -> Option<String> {
        self.keys_for(command).first().map(ToString::to_string)
    }

    /// Help lines of one context: (keys, description), generated from the merged map.
    pub fn help_of(&self, context: KeyContext) -> Vec<(String, &'static str)> {
        COMMANDS
            .iter()
            .filter(|(_, _, ctx, _)| *ctx == context)
            .map(|(_, c, _, what)| (self.label(*c), *what))
            .filter(|(k, _)| !k.is_empty())
            .collect()
    }

    /// Help sections for the context the user is in: its own keys (and what inherited keys mean
    /// there), then the Global keys that still work. (title, lines).
    pub fn help(&self, context: KeyContext) -> Vec<(String, Vec<(String, &'static str)>)> {
        let mut sections = Vec::new();
        if context != KeyContext::Global {
            let mut own = self.help_of(context);
            own.extend(
                inherited(context)
                    .iter()
                    .map(|(c, what)| (self.label(*c), *what))
                    .filter(|(k, _)| !k.is_empty()),
            );
            sections.push((format!("Keys in the {}", context.name()), own));
        }
        if context == KeyContext::Global || context.inherits_global() {
            let taken: Vec<Command> = inherited(context).iter().map(|(c, _)| *c).collect();
            let global = COMMANDS
                .iter()
                .filter(|(_, c, ctx, _)| *ctx == KeyContext::Global && !taken.contains(c))
                .map(|(_, c, _, what)| (self.label(*c), *what))
                .filter(|(k, _)| !k.is_empty())
                .collect();
            let title = if context == KeyContext::Global { "Keys" } else { "Everywhere" };
            sections.push((title.to_string(), global));
        }
        sections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn char_key(c: char) -> KeySpec {
        KeySpec::plain(KeyName::Char(c))
    }

    #[test]
    fn default_map_binds_every_command() {
        let km = Keymap::default_map().unwrap();
        for (name, c, _, _) in COMMANDS {
            assert!(!km.keys_for(*c).is_empty(), "{name} has no key");
        }
        assert_eq!(km.command_for(&char_key('j')), Some(Command::Down));
        assert_eq!(km.command_for(&KeySpec::ctrl('c')), Some(Command::Quit));
        assert_eq!(km.command_for(&char_key('G')), Some(Command::Bottom));
    }

    #[test]
    fn contexts_shadow_global_keys_and_modal_ones_take_every_key() {
        let km = Keymap::default_map().unwrap();
        assert_eq!(km.lookup(KeyContext::Tasks, &char_key('R')), Some(Command::RerunFailed));
        assert_eq!(km.lookup(KeyContext::Global, &char_key('R')), Some(Command::Refresh));
        assert_eq!(km.lookup(KeyContext::Logs, &char_key('f')), Some(Command::ToggleFields));
        assert_eq!(km.lookup(KeyContext::Logs, &char_key('q')), Some(Command::Quit), "inherited");
        assert_eq!(km.lookup(KeyContext::Confirm, &char_key('y')), Some(Command::Confirm));
        assert_eq!(km.lookup(KeyContext::Confirm, &char_key('q')), None, "modal: no fallback");
        assert_eq!(km.lookup(KeyContext::Help, &char_key('q')), Some(Command::CloseHelp));
        assert_eq!(km.lookup(KeyContext::Prompt, &KeySpec::plain(KeyName::Enter)), Some(Command::Submit));
    }

    #[test]
    fn overrides_replace_a_commands_keys() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec![parse_key_spec("x").unwrap()]);
        o.insert("cancel_tasks".to_string(), vec![parse_key_spec("X").unwrap()]);
        o.insert("down".to_string(), vec![parse_key_spec("q").unwrap()]);
        let km = Keymap::new(&o).unwrap();
        assert_eq!(km.command_for(&char_key('x')), Some(Command::Quit));
        assert_eq!(km.command_for(&char_key('q')), Some(Command::Down));
        assert_eq!(km.command_for(&char_key('j')), None);
        assert!(km.help(KeyContext::Global)[0].1.iter().any(|(k, w)| k == "x" && *w == "quit"));
    }

    #[test]
    fn one_key_for_two_commands_of_a_context_is_rejected_naming_both() {
        let mut o = BTreeMap::new();
        o.insert("restart".to_string(), vec![parse_key_spec("q").unwrap()]);
        let err = Keymap::new(&o).unwrap_err();
        assert_eq!(
            err,
            KeymapError::Conflict {
                key: "q".into(),
                first: "restart".into(),
                second: "quit".into(),
                context: "global",
            }
        );
        let text = err.to_string();
        assert!(text.contains("`q`") && text.contains("`quit`") && text.contains("`restart`"), "{text}");
        // Another context may shadow a Global key: `R` re-runs in the Tasks view.
        let mut o = BTreeMap::new();
        o.insert("toggle_wrap".to_string(), vec![parse_key_spec("r").unwrap()]);
        assert!(Keymap::new(&o).is_ok());
        let mut o = BTreeMap::new();
        o.insert("confirm".to_string(), vec![parse_key_spec("n").unwrap()]);
        assert!(matches!(Keymap::new(&o), Err(KeymapError::Conflict { context: "confirmation", .. })));
    }

    #[test]
    fn prompt_commands_may_not_take_typed_characters() {
        let mut o = BTreeMap::new();
        o.insert("submit".to_string(), vec![parse_key_spec("x").unwrap()]);
        assert!(matches!(Keymap::new(&o), Err(KeymapError::Typeable { .. })));
    }

    #[test]
    fn unknown_commands_are_errors() {
        let mut o = BTreeMap::new();
        o.insert("explode".to_string(), vec![]);
        assert!(matches!(Keymap::new(&o), Err(KeymapError::UnknownCommand(_))));
    }

    #[test]
    fn help_follows_the_context() {
        let km = Keymap::default_map().unwrap();
        let logs = km.help(KeyContext::Logs);
        assert!(logs[0].0.contains("log view"));
        assert!(logs[0].1.iter().any(|(k, w)| k == "e" && w.contains("LogQL")));
        assert!(logs[0].1.iter().any(|(k, w)| k == "esc" && w.contains("close the log view")));
        assert!(logs[1].1.iter().any(|(_, w)| *w == "quit"));
        let global = km.help(KeyContext::Global);
        assert_eq!(global.len(), 1);
        assert!(!global[0].1.iter().any(|(_, w)| w.contains("LogQL")), "log keys only in the log view");
        assert!(km.help(KeyContext::Tasks)[0].1.iter().any(|(k, _)| k == "R"));
    }
}
