//! Render tests: every view, pane and overlay drawn into ratatui's `TestBackend` from the captured
//! platform fixtures, compared with insta snapshots (the review is reading them: would an SRE
//! understand this screen?). Plus the properties snapshots cannot show: no escape byte from the
//! cluster reaches a cell, NO_COLOR draws without colour, tiny terminals never panic, the mouse
//! maps to the row drawn, and a frame stays cheap with 10k pods.

// Test helpers (outside #[test] fns) may panic: a broken fixture should fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use platdeck_console::actions::Strategy;
use platdeck_console::tui::keymap::Keymap;
use platdeck_console::tui::render::{render, row_at};
use platdeck_console::tui::state::{Mode, Notice, State, View};
use platdeck_console::tui::theme::Theme;
use platdeck_core::platform::fixtures::{fixture_dir, snapshot_from_dir, snapshot_time};
use platdeck_core::platform::{PodInfo, ServiceKey, Snapshot, SourceHealth};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;

fn load(fixture: &str) -> Snapshot {
    let mut snapshot = snapshot_from_dir(&fixture_dir(fixture)).unwrap();
    // The live cache hands the UI events newest first (sources/cache.rs); the fixture loader keeps
    // file order, so order them the same way here to review what users will see.
    snapshot.events.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then_with(|| a.name.cmp(&b.name)));
    snapshot
}

/// A state over `snapshot` with `now` fixed 30 s after the newest timestamp it holds, so ages and
/// the 15-minute windows do not depend on when the test runs.
fn state_with(snapshot: Snapshot) -> State {
    let now = snapshot_time(&snapshot).unwrap_or(Timestamp::UNIX_EPOCH) + SignedDuration::from_secs(30);
    let mut state = State::new("kind-platdeck".into(), false, None, Keymap::default_map().unwrap(), now);
    state.width = WIDTH;
    state.height = HEIGHT;
    state.set_snapshot(Arc::new(snapshot));
    state
}

fn incident() -> State {
    state_with(load("incident"))
}

fn draw_sized(state: &State, theme: &Theme, width: u16, height: u16) -> Buffer {
    // Tests set fields directly: derive what that invalidated first, as `update` does after each action.
    let mut state = state.clone();
    state.refresh();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| render(&state, theme, f)).unwrap();
    terminal.backend().buffer().clone()
}

fn draw(state: &State) -> Buffer {
    draw_sized(state, &Theme::new(false), WIDTH, HEIGHT)
}

/// The buffer as the terminal would show it, trailing blanks trimmed.
fn text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width).max(1);
    let mut out = String::new();
    for row in buffer.content.chunks(width) {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn screen(state: &State) -> String {
    text(&draw(state))
}

fn service(state: &State, name: &str) -> ServiceKey {
    state.services.iter().find(|s| s.key.name == name).map(|s| s.key.clone()).unwrap()
}

/// Puts the cursor of `view` on the first row whose rendered text contains `needle`.
fn select(state: &mut State, view: View, needle: &str) {
    state.view = view;
    let rows = state.row_count(view);
    for row in 0..rows {
        state.set_cursor(row);
        let found = match view {
            View::Overview => state.attention()[row].service.name.contains(needle),
            View::Applications => state.apps()[row].name.contains(needle),
            View::Workloads => state.deployments()[row].name.contains(needle),
            View::Policies => state.results()[row].resource_name.contains(needle),
            View::Events => state.events()[row].object_name.contains(needle),
            View::Tasks => state.tasks.rows()[row].id.contains(needle),
        };
        if found {
            return;
        }
    }
    panic!("no row of {view:?} mentions {needle}");
}

#[test]
fn overview() {
    insta::assert_snapshot!(screen(&incident()));
}

#[test]
fn overview_platform_at_rest() {
    insta::assert_snapshot!(screen(&state_with(load("platform"))));
}

#[test]
fn applications() {
    let mut state = incident();
    state.view = View::Applications;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn applications_detail() {
    let mut state = incident();
    select(&mut state, View::Applications, "payments-api");
    state.detail = true;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn workloads() {
    let mut state = incident();
    select(&mut state, View::Workloads, "payments-api");
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn workloads_detail() {
    let mut state = incident();
    select(&mut state, View::Workloads, "payments-api");
    state.detail = true;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn policies() {
    let mut state = incident();
    state.view = View::Policies;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn policies_detail() {
    let mut state = incident();
    state.view = View::Policies;
    state.detail = true;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn events() {
    let mut state = incident();
    state.view = View::Events;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn events_detail() {
    let mut state = incident();
    state.view = View::Events;
    state.detail = true;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn narrowed_to_service() {
    let mut state = incident();
    state.scope.service = Some(service(&state, "payments-api"));
    state.view = View::Workloads;
    state.notice = Some(Notice {
        text: "narrowed to service platform-services/payments-api (c clears)".into(),
        error: false,
    });
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn filter_mode() {
    let mut state = incident();
    state.view = View::Applications;
    state.mode = Mode::Filter;
    state.scope.filter = "api".into();
    state.clamp_cursors();
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn palette_mode() {
    let mut state = incident();
    state.mode = Mode::Palette("svc pay".into());
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn confirm_dialog() {
    let mut state = incident();
    select(&mut state, View::Overview, "payments-api");
    let mutation = state.mutation_for(Strategy::Restart).unwrap();
    state.mode = Mode::Confirm(mutation);
    let shown = screen(&state);
    assert!(shown.contains("context    kind-platdeck"), "{shown}");
    assert!(shown.contains("y confirm · n cancel"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn help_overlay() {
    let mut state = incident();
    state.mode = Mode::Help;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn read_only_header_and_sources() {
    let mut state = incident();
    state.readonly = true;
    state.scope.namespace = Some("platform-services".into());
    let mut snapshot = (*state.snapshot).clone();
    let since = state.now - SignedDuration::from_secs(12);
    snapshot.sources = vec![
        ("applications".into(), SourceHealth::NotInstalled),
        ("deployments".into(), SourceHealth::Connected),
        ("pods".into(), SourceHealth::Stale { since, error: "connection reset".into() }),
        ("policyreports".into(), SourceHealth::Forbidden { message: "403".into() }),
        ("policies".into(), SourceHealth::Error { message: "timed out after 10s\x1b[2J".into() }),
        ("events".into(), SourceHealth::Connecting),
    ];
    state.set_snapshot(Arc::new(snapshot));
    let shown = screen(&state);
    let header: Vec<&str> = shown.lines().take(2).collect();
    assert!(
        header[0].contains("READ-ONLY") && header[0].contains("namespace platform-services"),
        "{header:?}"
    );
    for want in ["Argo CD not installed", "pods stale 12s", "policyreports forbidden", "events …connecting"]
    {
        assert!(header[1].contains(want), "missing {want:?} in {:?}", header[1]);
    }
    // Read-only: the footer does not advertise mutations.
    assert!(!shown.lines().last().unwrap_or("").contains("restart"));
    insta::assert_snapshot!(shown);
}

#[test]
fn no_color_theme_uses_no_colour() {
    let mut state = incident();
    select(&mut state, View::Workloads, "payments-api");
    for mode in [Mode::Normal, Mode::Help] {
        state.mode = mode;
        let buffer = draw_sized(&state, &Theme::new(true), WIDTH, HEIGHT);
        let allowed = Modifier::BOLD | Modifier::REVERSED;
        for cell in &buffer.content {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
            assert!(allowed.contains(cell.modifier), "{cell:?}");
        }
    }
    state.mode = Mode::Normal;
    // Without colour the words carry the status, and the cursor row is reversed.
    let buffer = draw_sized(&state, &Theme::new(true), WIDTH, HEIGHT);
    assert!(buffer.content.iter().any(|c| c.modifier.contains(Modifier::REVERSED)));
    insta::assert_snapshot!(text(&buffer));
}

#[test]
fn colours_follow_status() {
    let mut state = incident();
    select(&mut state, View::Workloads, "payments-api");
    let buffer = draw(&state);
    let theme = Theme::new(false);
    let shown = text(&buffer);
    let (y, line) = shown.lines().enumerate().find(|(_, l)| l.contains("CrashLoopBackOff")).unwrap();
    let x = line.find("CrashLoopBackOff").unwrap();
    let x = u16::try_from(line[..x].chars().count()).unwrap();
    let cell = &buffer[(x, u16::try_from(y).unwrap())];
    assert_eq!(Some(cell.fg), theme.error.fg);
}

#[test]
fn footer_shows_notices_and_mutations_in_flight() {
    let mut state = incident();
    select(&mut state, View::Overview, "payments-api");
    let mutation = state.mutation_for(Strategy::Sync).unwrap();
    state.in_flight.push(mutation);
    state.notice = Some(Notice { text: "rollout restart failed: forbidden".into(), error: true });
    let buffer = draw(&state);
    let footer = text(&buffer).lines().last().unwrap_or("").to_string();
    assert!(footer.contains("Argo CD sync application.argoproj.io/payments-api"), "{footer}");
    assert!(footer.contains("rollout restart failed: forbidden"), "{footer}");
    let x = u16::try_from(footer.find("failed").map(|b| footer[..b].chars().count()).unwrap()).unwrap();
    assert_eq!(Some(buffer[(x, HEIGHT - 1)].fg), Theme::new(false).error.fg);
}

/// A snapshot whose cluster text tries to take over the terminal.
fn hostile() -> State {
    let mut snapshot = load("incident");
    let evil = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1bP+q\x1b\\\u{9b}31m\u{202e}\x07\x08\r\n\t";
    let mut app = (*snapshot.apps[0]).clone();
    app.name = format!("evil{evil}app");
    app.health_message = format!("boom{evil}");
    if let Some(r) = app.resources.first_mut() {
        r.name = format!("res{evil}");
    }
    snapshot.apps[0] = Arc::new(app);
    for e in &mut snapshot.events {
        let mut event = (**e).clone();
        event.message = format!("{evil}message{evil}");
        event.reason = format!("Back{evil}Off");
        *e = Arc::new(event);
    }
    for r in &mut snapshot.policy_results {
        let mut result = (**r).clone();
        result.message = format!("{evil}validation{evil}");
        *r = Arc::new(result);
    }
    for p in &mut snapshot.pods {
        let mut pod = (**p).clone();
        pod.status = format!("{evil}Running");
        pod.node = Some(format!("node{evil}"));
        *p = Arc::new(pod);
    }
    let mut state = state_with(snapshot);
    state.context = format!("ctx{evil}");
    state.scope.filter = String::new();
    state
}

#[test]
fn hostile_text_never_reaches_a_cell() {
    let mut state = hostile();
    let modes = || [Mode::Normal, Mode::Filter, Mode::Palette("svc evil\x1b[2J".into()), Mode::Help];
    for view in View::ALL {
        for detail in [false, true] {
            for mode in modes() {
                state.view = view;
                state.detail = detail;
                state.mode = mode;
                state.notice = Some(Notice { text: "bad\x1b]52;c;eA==\x07".into(), error: true });
                let buffer = draw(&state);
                for cell in &buffer.content {
                    assert!(
                        !cell.symbol().chars().any(|c| c.is_control() || c == '\u{202e}'),
                        "{view:?} detail={detail}: control character in cell {:?}",
                        cell.symbol()
                    );
                }
            }
        }
    }
    // The hostile service in a confirmation dialog too.
    state.view = View::Applications;
    state.set_cursor(0);
    if let Some(m) = state.mutation_for(Strategy::Sync) {
        state.mode = Mode::Confirm(m);
        let buffer = draw(&state);
        assert!(buffer.content.iter().all(|c| !c.symbol().contains(['\x1b', '\x07'])));
    }
}

#[test]
fn tiny_and_zero_areas_never_panic() {
    let mut state = incident();
    let mutation = {
        select(&mut state, View::Overview, "payments-api");
        state.mutation_for(Strategy::Restart).unwrap()
    };
    let sizes = [(0, 0), (1, 1), (10, 3), (3, 10), (1, 50), (160, 1), (160, 4), (20, 6), (40, 12), (89, 20)];
    for view in View::ALL {
        for detail in [false, true] {
            let modes = [
                Mode::Normal,
                Mode::Filter,
                Mode::Palette("ns".into()),
                Mode::Confirm(mutation.clone()),
                Mode::Help,
            ];
            for mode in modes {
                for (w, h) in sizes {
                    state.view = view;
                    state.detail = detail;
                    state.mode = mode.clone();
                    state.width = w;
                    state.height = h;
                    for theme in [Theme::new(false), Theme::new(true)] {
                        draw_sized(&state, &theme, w, h);
                    }
                    for y in 0..h {
                        let _ = row_at(&state, y);
                    }
                }
            }
        }
    }
    // An empty snapshot (nothing connected yet) at every size too.
    let empty = state_with(Snapshot::default());
    for (w, h) in sizes {
        draw_sized(&empty, &Theme::new(false), w, h);
    }
}

#[test]
fn empty_snapshot_says_connecting() {
    let state = state_with(Snapshot::default());
    let shown = screen(&state);
    assert!(shown.contains("…connecting"), "{shown}");
    assert!(shown.contains("nothing needs attention"), "{shown}");
}

#[test]
fn clicks_map_to_the_row_drawn_even_when_scrolled() {
    let mut state = incident();
    state.height = 14;
    for view in [View::Applications, View::Events, View::Policies] {
        state.view = view;
        let last = state.row_count(view) - 1;
        state.set_cursor(last);
        let shown = text(&draw_sized(&state, &Theme::new(false), WIDTH, state.height));
        let y = shown.lines().position(|l| l.starts_with('▸')).unwrap();
        let y = u16::try_from(y).unwrap();
        assert_eq!(row_at(&state, y), Some(last), "{view:?}\n{shown}");
        // The header row of the table is no row.
        assert_eq!(row_at(&state, 3), None);
    }
    // Unscrolled, the first table row is line 4 (below header, sources, tabs and the table header).
    state.set_cursor(0);
    assert_eq!(row_at(&state, 4), Some(0));
}

/// 10k pods in one deployment and 2k deployments: the frame's cost follows the rows on screen.
fn big() -> State {
    let mut snapshot = load("incident");
    let template = snapshot.pods.iter().find(|p| p.owner.is_some()).cloned().unwrap();
    let deployment =
        snapshot.deployments.iter().find(|d| Some(&d.name) == template.service.as_ref()).cloned();
    let owner = template.owner.clone().unwrap();
    for i in 0..10_000 {
        let mut pod: PodInfo = (*template).clone();
        pod.name = format!("{owner}-{i:05}");
        pod.uid = format!("uid-{i}");
        pod.restarts = u32::try_from(i % 7).unwrap();
        snapshot.pods.push(Arc::new(pod));
    }
    if let Some(d) = deployment {
        for i in 0..2_000 {
            let mut extra = (*d).clone();
            extra.name = format!("filler-{i:04}");
            snapshot.deployments.push(Arc::new(extra));
        }
    }
    let mut state = state_with(snapshot);
    state.width = 200;
    state.height = 60;
    select(&mut state, View::Workloads, template.service.as_deref().unwrap_or(""));
    state
}

#[test]
fn ten_thousand_pods_render() {
    let mut state = big();
    let theme = Theme::new(false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    for view in View::ALL {
        state.view = view;
        terminal.draw(|f| render(&state, &theme, f)).unwrap();
        let runs = 20;
        let start = Instant::now();
        for _ in 0..runs {
            terminal.draw(|f| render(&state, &theme, f)).unwrap();
        }
        // A measurement, not a gate (that is benches/): printed for `--nocapture`.
        eprintln!("10k pods, 200x60, {view:?}: {:?} per frame (this build profile)", start.elapsed() / runs);
    }
    state.view = View::Workloads;
    terminal.draw(|f| render(&state, &theme, f)).unwrap();
    let shown = text(terminal.backend().buffer());
    assert!(shown.contains("10001 pods"), "{shown}");
}

/// The log view: seed JSON lines parsed into columns, raw lines kept, hostile lines defused.
#[test]
fn logs_pane() {
    use platdeck_console::tui::logs::LogsPane;
    use platdeck_core::platform::logline::parse;
    let mut state = incident();
    let service = ServiceKey { namespace: "platform-services".into(), name: "payments-api".into() };
    let mut pane = LogsPane::new(service.clone(), state.log_query(&service));
    let base = 1_767_261_600_000_000_000i64;
    let lines = [
        r#"{"level":"info","msg":"Request completed","method":"GET","path":"/api/payments","status":200,"duration_ms":12.5}"#,
        r#"{"level":"error","msg":"Request failed","method":"POST","path":"/api/payments/42/capture","status":502,"duration_ms":912}"#,
        "plain text from a sidecar",
        "\x1b[2J\x1b]0;pwned\x07evil \x1b]52;c;ZXZpbA==\x07line",
        r#"{"level":"fatal","msg":"Process exiting with code 1"}"#,
    ];
    pane.lines = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Arc::new(parse(base + i as i64 * 1_000_000, "payments-api-7d9f-x2", l)))
        .collect();
    pane.status = "live".into();
    pane.dropped_upstream = 3;
    state.logs = Some(pane);
    let buffer = draw(&state);
    assert!(buffer.content.iter().all(|c| !c.symbol().contains(['\x1b', '\x07'])));
    let screen = text(&buffer);
    assert!(screen.contains("POST /api/payments/42/capture 502 912ms"), "{screen}");
    assert!(screen.contains("dropped 0 (buffer) 3 (Loki)"), "{screen}");
    insta::assert_snapshot!(screen);
    // Filtered to errors: only the failed request remains.
    state.scope.filter = "Request failed".into();
    let screen = text(&draw(&state));
    assert!(screen.contains("Request failed") && !screen.contains("Request completed"));
    for (w, h) in [(0, 0), (1, 1), (10, 3)] {
        draw_sized(&state, &Theme::new(false), w, h);
    }
}

// ------------------------------------------------------------------------------------------- tasks

fn task(
    phase: &str,
    id: &str,
    name: &str,
    status: platdeck_console::tasks::Status,
    message: &str,
    ms: u64,
) -> platdeck_console::tasks::engine::TaskState {
    platdeck_console::tasks::engine::TaskState {
        id: id.into(),
        name: name.into(),
        phase: phase.into(),
        needs: vec![],
        mutating: false,
        status,
        message: message.into(),
        attempts: 1,
        started: None,
        duration: (ms > 0).then(|| std::time::Duration::from_millis(ms)),
        output: Default::default(),
        dropped_output: 0,
    }
}

/// A validation run halfway through on the incident: passes, failures, a skip, a running task.
fn tasks_state() -> State {
    use platdeck_console::tasks::Status;
    use platdeck_console::tasks::engine::{RunSnapshot, SkipReason};
    use platdeck_console::tasks::suite::Phase;
    use platdeck_console::tui::tasks::RunKind;
    let mut state = incident();
    state.view = View::Tasks;
    let phase = |id: &str, title: &str| Phase { id: id.into(), title: title.into() };
    state.tasks.kind = Some(RunKind::Validate);
    state.tasks.phases = vec![
        phase("preflight", "Phase 0 · Preflight"),
        phase("observability", "Phase 1 · Observability"),
        phase("developer-experience", "Phase 2 · Developer experience"),
    ];
    let mut failing = task(
        "developer-experience",
        "services-pods",
        "Service pods Ready",
        Status::Failed,
        "payments-api: 2/3 pods ready — CrashLoopBackOff on image ecr/payments-api:7e1d9c4 (pod payments-api-x2)",
        1200,
    );
    failing
        .output
        .extend(["waiting: payments-api: 2/3 pods ready (payments-api-x2 ContainerCreating)".to_string()]);
    state.tasks.snapshot = RunSnapshot {
        tasks: vec![
            task("preflight", "tools", "Required tools on PATH", Status::Passed, "git on PATH", 3),
            task(
                "preflight",
                "kube-context",
                "Kubernetes context reachable",
                Status::Passed,
                "context `kind-platdeck` reaches Kubernetes v1.34.0",
                12,
            ),
            task(
                "observability",
                "terraform",
                "Terraform outputs",
                Status::Skipped(SkipReason::NotConfigured("terraform.dir is not configured".into())),
                "terraform.dir is not configured",
                1,
            ),
            task("observability", "loki", "Promtail ships logs to Loki", Status::Running, "", 0),
            failing,
            task(
                "developer-experience",
                "services-health",
                "Services answer /health",
                Status::Pending,
                "",
                0,
            ),
        ],
        ..RunSnapshot::default()
    };
    // Set directly: count the change as `update` does, so the view's rows derive again.
    state.tasks.revision += 1;
    state.refresh();
    state
}

#[test]
fn tasks_view() {
    let mut state = tasks_state();
    select(&mut state, View::Tasks, "services-pods");
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn tasks_view_before_any_run() {
    let mut state = incident();
    state.view = View::Tasks;
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn tasks_provision_confirmation() {
    let mut state = tasks_state();
    state.mode = Mode::ConfirmTasks {
        kind: platdeck_console::tui::tasks::RunKind::Provision,
        rerun: false,
        text: "provision on context kind-platdeck:\n  - create or update (server-side apply) application/loki in argocd\n  - ensure ECR repositories [payments-api] in us-east-1".into(),
    };
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn tasks_view_survives_tiny_terminals() {
    let state = tasks_state();
    for (w, h) in [(0, 0), (1, 1), (20, 4), (40, 6), (80, 10)] {
        draw_sized(&state, &Theme::new(false), w, h);
    }
}

// ------------------------------------------------------------------------------------ scaffold form

fn scaffold_preview() -> platdeck_console::tui::scaffold_form::Preview {
    use platdeck_console::actions::scaffold::ScaffoldMutation;
    platdeck_console::tui::scaffold_form::Preview {
        dir: "./orders-web".into(),
        files: ["Dockerfile", "app/main.py", "catalog-info.yaml", "k8s/deployment.yaml", "k8s/service.yaml"]
            .map(String::from)
            .to_vec(),
        gitops: Some((
            "/srv/gitops".into(),
            [
                "apps/orders-web/deployment.yaml",
                "apps/orders-web/service.yaml",
                "applications/orders-web.yaml",
            ]
            .map(String::from)
            .to_vec(),
        )),
        mutation: ScaffoldMutation {
            context: "kind-platdeck".into(),
            name: "orders-web".into(),
            namespace: "platform-services".into(),
            gitops: Some(("/srv/gitops".into(), "main".into())),
            application: Some(("argocd".into(), "orders-web".into())),
        },
    }
}

#[test]
fn scaffold_form_validates_as_you_type() {
    use platdeck_console::tui::scaffold_form::ScaffoldForm;
    let mut state = incident();
    let mut form = ScaffoldForm::new(state.scaffold_templates.clone(), None);
    form.name = "payments-api".into();
    form.port = "70000".into();
    state.scaffold = Some(form);
    let shown = screen(&state);
    assert!(shown.contains("a service named payments-api already exists"), "{shown}");
    assert!(shown.contains("port 70000 is outside 1-65535"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn scaffold_preview_lists_every_file() {
    use platdeck_console::tui::scaffold_form::{ScaffoldForm, Stage};
    let mut state = incident();
    let mut form = ScaffoldForm::new(state.scaffold_templates.clone(), None);
    form.name = "orders-web".into();
    form.stage = Stage::Preview(scaffold_preview());
    state.scaffold = Some(form);
    let shown = screen(&state);
    assert!(shown.contains("applications/orders-web.yaml") && shown.contains("app/main.py"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn scaffold_confirmation_names_context_and_namespace() {
    use platdeck_console::tui::scaffold_form::{ScaffoldForm, Stage};
    let mut state = incident();
    let mut form = ScaffoldForm::new(state.scaffold_templates.clone(), None);
    form.stage = Stage::Confirm(scaffold_preview());
    state.scaffold = Some(form);
    let shown = screen(&state);
    assert!(shown.contains("context      kind-platdeck") && shown.contains("namespace    platform-services"));
    assert!(shown.contains("y scaffold · n back"), "{shown}");
    insta::assert_snapshot!(shown);
    // Tiny terminals never panic with the form open.
    for (w, h) in [(0, 0), (1, 1), (20, 5), (40, 10)] {
        draw_sized(&state, &Theme::new(false), w, h);
    }
}

/// The log view's other states: the query editor, fields and timestamps off with wrapping, the pod-log
/// fallback's title, and the Explore-link popup.
#[test]
fn logs_view_states() {
    use platdeck_console::tui::logs::{LogPrompt, LogsPane};
    use platdeck_core::platform::logline::parse;
    use platdeck_core::platform::logwindow::LogWindow;
    let mut state = incident();
    let service = ServiceKey { namespace: "platform-services".into(), name: "payments-api".into() };
    let mut pane = LogsPane::new(service.clone(), state.log_query(&service));
    let base = 1_767_261_600_000_000_000i64;
    let long = format!(
        r#"{{"level":"error","msg":"upstream failed: {}","method":"POST","path":"/api/payments","status":502}}"#,
        "connection reset by peer after 30s while reading the response header; ".repeat(4)
    );
    let lines = [
        r#"{"level":"info","msg":"Request completed","method":"GET","path":"/api/payments","status":200,"duration_ms":3}"#,
        long.as_str(),
    ];
    pane.lines = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Arc::new(parse(base + i as i64, "payments-api-7d9f-x2", l)))
        .collect();
    pane.status = "live".into();
    pane.prompt = Some(LogPrompt::EditQuery(format!("{} |= \"error\"", pane.query)));
    state.logs = Some(pane.clone());
    let editing = screen(&state);
    assert!(
        editing.contains(
            r#"query: {namespace="platform-services", app_kubernetes_io_name="payments-api"} |= "error"▌"#
        ),
        "{editing}"
    );
    insta::assert_snapshot!("logs_edit_query", editing);

    pane.prompt = None;
    pane.show_fields = false;
    pane.show_time = false;
    pane.wrap = true;
    pane.window = LogWindow::Hour1;
    state.logs = Some(pane.clone());
    let toggled = screen(&state);
    assert!(toggled.contains("last 1h") && toggled.contains("fields, time off · wrap"), "{toggled}");
    assert!(!toggled.contains("REQUEST") && !toggled.contains("TIME"), "{toggled}");
    assert!(toggled.contains("response header; connection"), "the long message wraps: {toggled}");
    insta::assert_snapshot!("logs_toggles_off_wrapped", toggled);

    pane.show_fields = true;
    pane.show_time = true;
    pane.wrap = false;
    pane.status =
        "pod logs (Loki unreachable: Loki request failed: error sending request) · 2 streams".into();
    state.logs = Some(pane.clone());
    let fallback = screen(&state);
    assert!(fallback.contains("pod logs (Loki unreachable: Loki request failed"), "{fallback}");
    insta::assert_snapshot!("logs_pod_fallback", fallback);

    pane.explore =
        Some("http://127.0.0.1:3000/explore?schemaVersion=1&orgId=1&panes=%7B%22pdk%22%3A%7B%7D%7D".into());
    state.logs = Some(pane);
    let popup = screen(&state);
    assert!(popup.contains("Explore link") && popup.contains("enter open in the browser"), "{popup}");
    insta::assert_snapshot!("logs_explore_link", popup);
}
