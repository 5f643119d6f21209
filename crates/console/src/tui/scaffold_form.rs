//! The scaffold form's state, pure: fields validated as you type (the engine's own rules, plus no
//! collision with a service the console already shows), then a preview of the files to be written, then
//! a confirmation naming context and namespace. Rendering and running live elsewhere.

use std::collections::BTreeMap;

use super::action::Effect;
use super::keymap::{Command, KeyContext};
use super::state::{Notice, State};
use crate::actions::scaffold::ScaffoldMutation;
use crate::config::{KeyName, KeySpec};
use crate::scaffold::params::{check_name, check_namespace, check_owner, check_port};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Owner,
    Namespace,
    Template,
    Description,
    Port,
}

impl Field {
    pub const ALL: [Field; 6] =
        [Field::Name, Field::Owner, Field::Namespace, Field::Template, Field::Description, Field::Port];

    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Owner => "owner",
            Field::Namespace => "namespace",
            Field::Template => "template",
            Field::Description => "description",
            Field::Port => "port",
        }
    }

    fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// What the form asks the engine for: the template and the parameter inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldInput {
    pub template: String,
    pub inputs: BTreeMap<String, String>,
}

/// A rendered and checked plan, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Where the service's repository goes.
    pub dir: String,
    /// Its files, relative to `dir`.
    pub files: Vec<String>,
    /// The GitOps repository and the files committed there.
    pub gitops: Option<(String, Vec<String>)>,
    pub mutation: ScaffoldMutation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Editing,
    /// Rendering and checking, off the UI thread.
    Planning,
    Preview(Preview),
    Confirm(Preview),
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEvent {
    Nothing,
    Close,
    /// Render and check these inputs; the answer comes back as a preview or an error.
    Plan(ScaffoldInput),
    /// Confirmed: scaffold for real.
    Run(ScaffoldInput),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldForm {
    pub name: String,
    pub owner: String,
    pub namespace: String,
    pub templates: Vec<String>,
    pub template: usize,
    pub description: String,
    pub port: String,
    pub field: Field,
    pub stage: Stage,
    /// Why the last preview failed (a policy violation, an existing directory …).
    pub error: Option<String>,
}

impl ScaffoldForm {
    pub fn new(templates: Vec<String>, namespace: Option<&str>) -> Self {
        let template = templates.iter().position(|t| t == "node-express").unwrap_or(0);
        Self {
            name: String::new(),
            owner: "platform-team".into(),
            namespace: namespace.unwrap_or("platform-services").to_string(),
            templates,
            template,
            description: "A microservice on the golden path".into(),
            port: "3000".into(),
            field: Field::Name,
            stage: Stage::Editing,
            error: None,
        }
    }

    pub fn template_name(&self) -> &str {
        self.templates.get(self.template).map_or("", String::as_str)
    }

    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::Name => &self.name,
            Field::Owner => &self.owner,
            Field::Namespace => &self.namespace,
            Field::Template => self.template_name(),
            Field::Description => &self.description,
            Field::Port => &self.port,
        }
    }

    fn text_mut(&mut self, field: Field) -> Option<&mut String> {
        match field {
            Field::Name => Some(&mut self.name),
            Field::Owner => Some(&mut self.owner),
            Field::Namespace => Some(&mut self.namespace),
            Field::Description => Some(&mut self.description),
            Field::Port => Some(&mut self.port),
            Field::Template => None,
        }
    }

    /// The field's error, if any: the engine's rules, and no service of that name already in the cluster.
    pub fn error_for(&self, field: Field, existing: &[String]) -> Option<String> {
        let result = match field {
            Field::Name => check_name(&self.name).and_then(|()| {
                if existing.contains(&self.name) {
                    Err(format!("a service named {} already exists", self.name))
                } else {
                    Ok(())
                }
            }),
            Field::Owner => check_owner(&self.owner),
            Field::Namespace => check_namespace(&self.namespace),
            Field::Template if self.templates.is_empty() => Err("no templates".into()),
            Field::Template | Field::Description => Ok(()),
            Field::Port => check_port(&self.port).map(|_| ()),
        };
        result.err()
    }

    pub fn is_valid(&self, existing: &[String]) -> bool {
        Field::ALL.iter().all(|f| self.error_for(*f, existing).is_none())
    }

    pub fn input(&self) -> ScaffoldInput {
        let inputs = [
            ("name", &self.name),
            ("owner", &self.owner),
            ("namespace", &self.namespace),
            ("description", &self.description),
            ("port", &self.port),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect();
        ScaffoldInput { template: self.template_name().to_string(), inputs }
    }

    fn step(&mut self, forward: bool) {
        let n = Field::ALL.len();
        let i = self.field.index();
        self.field = Field::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }];
    }

    fn cycle_template(&mut self, forward: bool) {
        let n = self.templates.len().max(1);
        self.template = if forward { (self.template + 1) % n } else { (self.template + n - 1) % n };
    }

    /// The planner's answer.
    pub fn planned(&mut self, result: Result<Preview, String>) {
        if self.stage != Stage::Planning {
            return;
        }
        match result {
            Ok(preview) => {
                self.error = None;
                self.stage = Stage::Preview(preview);
            }
            Err(err) => {
                self.error = Some(err);
                self.stage = Stage::Editing;
            }
        }
    }

    /// Where the form's keys are looked up: the Prompt keys while typing, the Confirm keys on the
    /// preview and the confirmation.
    pub fn key_context(&self) -> KeyContext {
        match self.stage {
            Stage::Editing | Stage::Planning => KeyContext::Prompt,
            Stage::Preview(_) | Stage::Confirm(_) => KeyContext::Confirm,
        }
    }

    /// A key, with its command in the form's key context.
    pub fn on_key(&mut self, key: KeySpec, command: Option<Command>, existing: &[String]) -> FormEvent {
        match self.stage.clone() {
            Stage::Editing => self.editing_key(key, command, existing),
            Stage::Planning => {
                if command == Some(Command::ClosePrompt) {
                    self.stage = Stage::Editing;
                }
                FormEvent::Nothing
            }
            Stage::Preview(preview) => {
                match command {
                    Some(Command::Confirm) => self.stage = Stage::Confirm(preview),
                    Some(Command::Cancel) => self.stage = Stage::Editing,
                    _ if key.code == KeyName::Backspace => self.stage = Stage::Editing,
                    _ => {}
                }
                FormEvent::Nothing
            }
            // Enter walked the form to here: it does not also confirm, a deliberate key does.
            Stage::Confirm(_) => match command {
                Some(Command::Confirm) if key.code != KeyName::Enter => FormEvent::Run(self.input()),
                Some(Command::Cancel) => {
                    self.stage = Stage::Editing;
                    FormEvent::Nothing
                }
                _ => FormEvent::Nothing,
            },
        }
    }

    fn editing_key(&mut self, key: KeySpec, command: Option<Command>, existing: &[String]) -> FormEvent {
        // The template is chosen with the arrows (and space), not typed.
        if self.field == Field::Template && command.is_none() {
            match key.code {
                KeyName::Left => self.cycle_template(false),
                KeyName::Right | KeyName::Char(' ') => self.cycle_template(true),
                _ => {}
            }
            return FormEvent::Nothing;
        }
        match command {
            Some(Command::ClosePrompt) => return FormEvent::Close,
            Some(Command::NextField) => self.step(true),
            Some(Command::PrevField) => self.step(false),
            Some(Command::Submit) if self.field == Field::Port => {
                if let Some(first) = Field::ALL.into_iter().find(|f| self.error_for(*f, existing).is_some()) {
                    self.field = first;
                    return FormEvent::Nothing;
                }
                self.error = None;
                self.stage = Stage::Planning;
                return FormEvent::Plan(self.input());
            }
            Some(Command::Submit) => self.step(true),
            Some(Command::Erase) => {
                let field = self.field;
                if let Some(text) = self.text_mut(field) {
                    text.pop();
                }
            }
            Some(Command::ClearLine) => {
                let field = self.field;
                if let Some(text) = self.text_mut(field) {
                    text.clear();
                }
            }
            Some(_) => {}
            None => {
                if let KeyName::Char(c) = key.code
                    && !key.ctrl
                    && !key.alt
                {
                    let field = self.field;
                    if let Some(text) = self.text_mut(field) {
                        text.push(c);
                    }
                }
            }
        }
        FormEvent::Nothing
    }
}

/// `s`: opens the form — unless read-only, which blocks scaffolding before anything is asked.
pub fn open(state: &mut State) {
    if state.readonly {
        state.notice = Some(Notice {
            text: format!("read-only: scaffolding a service is blocked on context {}", state.context),
            error: true,
        });
        return;
    }
    state.scaffold =
        Some(ScaffoldForm::new(state.scaffold_templates.clone(), state.scope.namespace.as_deref()));
}

/// Names of the services the console shows: a new service may not take one.
fn existing(state: &State) -> Vec<String> {
    state.services.iter().map(|s| s.key.name.clone()).collect()
}

/// Keys while the form is open.
pub fn on_key(state: &mut State, key: KeySpec) -> Vec<Effect> {
    let existing = existing(state);
    let Some(form) = state.scaffold.as_mut() else { return Vec::new() };
    let command = state.keymap.lookup(form.key_context(), &key);
    match form.on_key(key, command, &existing) {
        FormEvent::Nothing => Vec::new(),
        FormEvent::Close => {
            state.scaffold = None;
            Vec::new()
        }
        FormEvent::Plan(input) => vec![Effect::PlanScaffold(input)],
        FormEvent::Run(input) => {
            let name = input.inputs.get("name").cloned().unwrap_or_default();
            state.scaffold = None;
            state.notice = Some(Notice { text: format!("scaffolding {name} …"), error: false });
            vec![Effect::Scaffold(input)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ScaffoldForm {
        ScaffoldForm::new(vec!["go-http".into(), "node-express".into(), "python-fastapi".into()], None)
    }

    fn press(f: &mut ScaffoldForm, code: KeyName, existing: &[String]) -> FormEvent {
        let key = KeySpec::plain(code);
        let command = crate::tui::keymap::Keymap::default_map().unwrap().lookup(f.key_context(), &key);
        f.on_key(key, command, existing)
    }

    fn typed(f: &mut ScaffoldForm, text: &str) {
        for c in text.chars() {
            press(f, KeyName::Char(c), &[]);
        }
    }

    fn preview() -> Preview {
        Preview {
            dir: "./orders".into(),
            files: vec!["src/index.js".into()],
            gitops: None,
            mutation: ScaffoldMutation {
                context: "ctx".into(),
                name: "orders".into(),
                namespace: "platform-services".into(),
                gitops: None,
                application: None,
            },
        }
    }

    #[test]
    fn fields_validate_as_you_type() {
        let mut f = form();
        assert_eq!(f.template_name(), "node-express", "the seed's template first");
        assert!(f.error_for(Field::Name, &[]).unwrap().contains("required"));
        typed(&mut f, "Orders");
        assert!(f.error_for(Field::Name, &[]).unwrap().contains("lowercase"));
        for _ in 0..6 {
            press(&mut f, KeyName::Backspace, &[]);
        }
        typed(&mut f, "payments-api");
        let existing = vec!["payments-api".to_string()];
        assert!(f.error_for(Field::Name, &existing).unwrap().contains("already exists"));
        assert!(f.error_for(Field::Name, &[]).is_none());
        f.port = "99999".into();
        assert!(f.error_for(Field::Port, &[]).unwrap().contains("outside"));
    }

    #[test]
    fn tab_moves_and_arrows_cycle_templates() {
        let mut f = form();
        press(&mut f, KeyName::Tab, &[]);
        assert_eq!(f.field, Field::Owner);
        press(&mut f, KeyName::BackTab, &[]);
        press(&mut f, KeyName::BackTab, &[]);
        assert_eq!(f.field, Field::Port, "wraps around");
        f.field = Field::Template;
        press(&mut f, KeyName::Right, &[]);
        assert_eq!(f.template_name(), "python-fastapi");
        press(&mut f, KeyName::Right, &[]);
        assert_eq!(f.template_name(), "go-http");
        typed(&mut f, "x");
        assert_eq!(f.template_name(), "go-http", "the template is chosen, not typed");
    }

    #[test]
    fn enter_on_the_last_field_plans_then_previews_then_confirms() {
        let mut f = form();
        typed(&mut f, "orders");
        for _ in 0..4 {
            assert_eq!(press(&mut f, KeyName::Enter, &[]), FormEvent::Nothing);
        }
        assert_eq!(f.field, Field::Description);
        press(&mut f, KeyName::Enter, &[]);
        let FormEvent::Plan(input) = press(&mut f, KeyName::Enter, &[]) else { panic!("no plan") };
        assert_eq!(input.template, "node-express");
        assert_eq!(input.inputs["name"], "orders");
        assert_eq!(input.inputs["port"], "3000");
        assert_eq!(f.stage, Stage::Planning);
        f.planned(Ok(preview()));
        assert!(matches!(f.stage, Stage::Preview(_)));
        press(&mut f, KeyName::Enter, &[]);
        assert!(matches!(f.stage, Stage::Confirm(_)));
        assert_eq!(press(&mut f, KeyName::Char('y'), &[]), FormEvent::Run(input));
    }

    #[test]
    fn an_invalid_form_does_not_plan_and_a_failed_plan_is_shown() {
        let mut f = form();
        f.field = Field::Port;
        assert_eq!(press(&mut f, KeyName::Enter, &[]), FormEvent::Nothing);
        assert_eq!(f.field, Field::Name, "the cursor goes to the first field in error");
        typed(&mut f, "orders");
        f.field = Field::Port;
        assert!(matches!(press(&mut f, KeyName::Enter, &[]), FormEvent::Plan(_)));
        f.planned(Err("k8s/deployment.yaml violates require-observability-labels".into()));
        assert_eq!(f.stage, Stage::Editing);
        assert!(f.error.as_ref().unwrap().contains("violates"));
        assert_eq!(press(&mut f, KeyName::Esc, &[]), FormEvent::Close);
    }

    fn dashboard(readonly: bool) -> State {
        use crate::tui::action::Action;
        use crate::tui::update::update;
        let snapshot = platdeck_core::platform::fixtures::fixture_snapshot("incident").unwrap();
        let now = platdeck_core::platform::fixtures::snapshot_time(&snapshot).unwrap();
        let keymap = crate::tui::keymap::Keymap::default_map().unwrap();
        let mut state = State::new("kind-dev".into(), readonly, None, keymap, now);
        update(&mut state, Action::Snapshot(std::sync::Arc::new(snapshot)));
        state
    }

    #[test]
    fn s_opens_the_form_and_the_dashboard_runs_what_it_confirms() {
        use crate::tui::action::Action;
        use crate::tui::update::update;
        let key = |c: char| Action::Key(KeySpec::plain(KeyName::Char(c)));
        let mut state = dashboard(false);
        assert!(update(&mut state, key('s')).is_empty());
        assert!(state.scaffold.is_some(), "s opens the form");
        // Keys go to the form while it is open: `q` is typed, it does not quit.
        update(&mut state, key('q'));
        assert!(!state.quit && state.scaffold.as_ref().unwrap().name == "q");
        // The dashboard's services count as taken.
        state.scaffold.as_mut().unwrap().name = "payments-api".into();
        let existing = existing(&state);
        assert!(state.scaffold.as_ref().unwrap().error_for(Field::Name, &existing).is_some());
        state.scaffold.as_mut().unwrap().name = "orders".into();
        state.scaffold.as_mut().unwrap().field = Field::Port;
        let effects = update(&mut state, Action::Key(KeySpec::plain(KeyName::Enter)));
        assert!(matches!(effects.as_slice(), [Effect::PlanScaffold(_)]), "{effects:?}");
        update(&mut state, Action::ScaffoldPlanned(Ok(preview())));
        update(&mut state, Action::Key(KeySpec::plain(KeyName::Enter)));
        let effects = update(&mut state, key('y'));
        assert!(matches!(effects.as_slice(), [Effect::Scaffold(input)] if input.inputs["name"] == "orders"));
        assert!(state.scaffold.is_none());
        update(&mut state, Action::ScaffoldDone(Err("boom".into())));
        assert!(state.notice.as_ref().is_some_and(|n| n.error && n.text.contains("boom")));
    }

    #[test]
    fn read_only_blocks_the_form() {
        let mut state = dashboard(true);
        let effects = crate::tui::update::update(
            &mut state,
            crate::tui::action::Action::Key(KeySpec::plain(KeyName::Char('s'))),
        );
        assert!(effects.is_empty() && state.scaffold.is_none());
        assert!(state.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("read-only")));
    }

    #[test]
    fn cancelling_the_confirmation_runs_nothing() {
        let mut f = form();
        f.stage = Stage::Confirm(preview());
        assert_eq!(press(&mut f, KeyName::Char('n'), &[]), FormEvent::Nothing);
        assert_eq!(f.stage, Stage::Editing);
    }
}
