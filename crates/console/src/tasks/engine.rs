//! The concurrent task engine: a dependency graph of tasks run under a concurrency limit, each with a
//! timeout, retries with backoff, a cancellation token and bounded streamed output.
//!
//! Observers (the TUI, the headless printer) never receive lists through channels: they are notified
//! through a `watch` version and pull a [`RunSnapshot`] when it moved.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Output lines kept per task; older lines are dropped (and counted).
pub const OUTPUT_LINES: usize = 500;

/// What a task's work concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed(String),
    Failed(String),
    /// A prerequisite is not configured: the reason says which.
    Skipped(String),
}

/// The work of one task. Implementations live in `tasks::kinds`.
pub trait Work: Send + Sync {
    fn run<'a>(&'a self, io: &'a TaskIo) -> BoxFuture<'a, Outcome>;
}

/// Why a task was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A dependency did not pass.
    Dependency(String),
    /// A prerequisite is not configured.
    NotConfigured(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Dependency(why) | SkipReason::NotConfigured(why) => f.write_str(why),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pending,
    Running,
    Passed,
    Failed,
    Skipped(SkipReason),
    Cancelled,
}

impl Status {
    pub fn is_finished(&self) -> bool {
        !matches!(self, Status::Pending | Status::Running)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped(_) => "skipped",
            Status::Cancelled => "cancelled",
        }
    }

    /// A re-run repeats this task: it failed, was cancelled, or was skipped because of one that did.
    fn needs_rerun(&self) -> bool {
        matches!(self, Status::Failed | Status::Cancelled | Status::Skipped(SkipReason::Dependency(_)))
            || *self == Status::Pending
            || *self == Status::Running
    }
}

/// Retries with exponential backoff, for kinds whose failures may be transient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts after the first.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Retry {
    pub const NONE: Retry = Retry { retries: 0, backoff: Duration::ZERO };

    fn delay(&self, attempt: u32) -> Duration {
        self.backoff.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
    }
}

/// One task of a plan.
#[derive(Clone)]
pub struct TaskSpec {
    pub id: String,
    pub name: String,
    pub phase: String,
    pub needs: Vec<String>,
    pub timeout: Duration,
    pub retry: Retry,
    /// Changes something outside (provisioning): guarded and audited by its kind.
    pub mutating: bool,
    /// What it would change, for `--dry-run` plans.
    pub plan: String,
    pub work: Arc<dyn Work>,
}

impl fmt::Debug for TaskSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSpec").field("id", &self.id).field("needs", &self.needs).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("two tasks are named `{0}`; task ids must be unique")]
    Duplicate(String),
    #[error("task `{task}` needs `{missing}`, which is not a task of this suite")]
    UnknownDependency { task: String, missing: String },
    #[error("the tasks depend on each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
}

/// A validated dependency graph, in a dependency order.
#[derive(Debug, Clone)]
pub struct Plan {
    tasks: Vec<TaskSpec>,
}

impl Plan {
    /// Checks ids, dependencies and cycles; orders the tasks so each comes after what it needs
    /// (keeping the suite's order otherwise).
    pub fn new(tasks: Vec<TaskSpec>) -> Result<Self, PlanError> {
        let mut index = HashMap::new();
        for (i, t) in tasks.iter().enumerate() {
            if index.insert(t.id.clone(), i).is_some() {
                return Err(PlanError::Duplicate(t.id.clone()));
            }
        }
        for t in &tasks {
            if let Some(missing) = t.needs.iter().find(|d| !index.contains_key(*d)) {
                return Err(PlanError::UnknownDependency { task: t.id.clone(), missing: missing.clone() });
            }
        }
        let order = topological_order(&tasks, &index)?;
        let mut slots: Vec<Option<TaskSpec>> = tasks.into_iter().map(Some).collect();
        let tasks = order.into_iter().filter_map(|i| slots[i].take()).collect();
        Ok(Self { tasks })
    }

    pub fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }

    /// Only the tasks of these phases (and nothing they need from other phases is run: those
    /// dependencies count as satisfied).
    pub fn only_phases(self, phases: &[String]) -> Self {
        let tasks: Vec<TaskSpec> = self.tasks.into_iter().filter(|t| phases.contains(&t.phase)).collect();
        let kept: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
        let tasks = tasks
            .into_iter()
            .map(|mut t| {
                t.needs.retain(|d| kept.contains(d));
                t
            })
            .collect();
        Self { tasks }
    }
}

/// Depth-first topological sort; a back edge is reported as the cycle it closes.
fn topological_order(tasks: &[TaskSpec], index: &HashMap<String, usize>) -> Result<Vec<usize>, PlanError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        i: usize,
        tasks: &[TaskSpec],
        index: &HashMap<String, usize>,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), PlanError> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let start = path.iter().position(|p| *p == i).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|p| tasks[*p].id.clone()).collect();
                cycle.push(tasks[i].id.clone());
                return Err(PlanError::Cycle(cycle));
            }
            Mark::New => {}
        }
        marks[i] = Mark::Visiting;
        path.push(i);
        for dep in &tasks[i].needs {
            if let Some(&d) = index.get(dep) {
                visit(d, tasks, index, marks, path, order)?;
            }
        }
        path.pop();
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; tasks.len()];
    let mut order = Vec::with_capacity(tasks.len());
    for i in 0..tasks.len() {
        visit(i, tasks, index, &mut marks, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

/// One task as observers see it.
#[derive(Debug, Clone)]
pub struct TaskState {
    pub id: String,
    pub name: String,
    pub phase: String,
    pub needs: Vec<String>,
    pub mutating: bool,
    pub status: Status,
    /// Pass/fail message (or the skip reason).
    pub message: String,
    pub attempts: u32,
    pub started: Option<Instant>,
    pub duration: Option<Duration>,
    pub output: VecDeque<String>,
    pub dropped_output: u64,
}

impl TaskState {
    /// How long it ran, or has been running.
    pub fn elapsed(&self) -> Option<Duration> {
        self.duration.or_else(|| self.started.map(|s| s.elapsed()))
    }
}

/// The whole run as observers see it.
#[derive(Debug, Clone, Default)]
pub struct RunSnapshot {
    pub tasks: Vec<TaskState>,
    pub finished: bool,
    pub cancelled: bool,
    pub duration: Option<Duration>,
}

impl RunSnapshot {
    pub fn count(&self, wanted: fn(&Status) -> bool) -> usize {
        self.tasks.iter().filter(|t| wanted(&t.status)).count()
    }

    pub fn done(&self) -> usize {
        self.count(Status::is_finished)
    }

    /// All passed or skipped for a prerequisite that is not configured.
    pub fn all_passed(&self) -> bool {
        self.tasks
            .iter()
            .all(|t| matches!(t.status, Status::Passed | Status::Skipped(SkipReason::NotConfigured(_))))
    }

    pub fn any_to_rerun(&self) -> bool {
        self.tasks.iter().any(|t| t.status.needs_rerun())
    }
}

struct Shared {
    state: Mutex<RunSnapshot>,
    version: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, RunSnapshot> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, index: usize, change: impl FnOnce(&mut TaskState)) {
        {
            let mut state = self.lock();
            if let Some(task) = state.tasks.get_mut(index) {
                change(task);
            }
        }
        self.version.send_modify(|v| *v += 1);
    }
}

/// What a running task's work may use: its cancellation token and its output.
pub struct TaskIo {
    pub token: CancellationToken,
    shared: Arc<Shared>,
    index: usize,
}

impl TaskIo {
    /// Appends one output line (bounded; the oldest is dropped).
    pub fn line(&self, text: impl Into<String>) {
        let text = text.into();
        self.shared.update(self.index, |t| {
            if t.output.len() >= OUTPUT_LINES {
                t.output.pop_front();
                t.dropped_output += 1;
            }
            t.output.push_back(text);
        });
    }

    /// Sleeps unless cancelled first; `false` when cancelled.
    pub async fn sleep(&self, duration: Duration) -> bool {
        tokio::select! {
            _ = self.token.cancelled() => false,
            _ = tokio::time::sleep(duration) => true,
        }
    }
}

/// A started run: pull snapshots, wait for it, cancel it.
#[derive(Clone)]
pub struct RunHandle {
    shared: Arc<Shared>,
    token: CancellationToken,
}

impl RunHandle {
    pub fn snapshot(&self) -> RunSnapshot {
        self.shared.lock().clone()
    }

    /// A receiver whose value moves whenever the run changed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.shared.version.subscribe()
    }

    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Waits until every task has finished; returns the final snapshot.
    pub async fn wait(&self) -> RunSnapshot {
        let mut changes = self.changes();
        loop {
            {
                let state = self.shared.lock();
                if state.finished {
                    return state.clone();
                }
            }
            if changes.changed().await.is_err() {
                return self.snapshot();
            }
        }
    }
}

/// Starts a run of `plan` with at most `limit` tasks at once, under `parent` (cancelling it cancels
/// the run). With `previous`, tasks that passed (or were skipped for want of configuration) there keep
/// that result and only the rest runs again.
pub fn start(
    plan: &Plan,
    limit: usize,
    parent: &CancellationToken,
    previous: Option<&RunSnapshot>,
) -> RunHandle {
    let kept = |id: &str| {
        previous
            .and_then(|p| p.tasks.iter().find(|t| t.id == id))
            .filter(|t| !t.status.needs_rerun())
            .cloned()
    };
    let tasks = plan
        .tasks
        .iter()
        .map(|spec| {
            kept(&spec.id).unwrap_or_else(|| TaskState {
                id: spec.id.clone(),
                name: spec.name.clone(),
                phase: spec.phase.clone(),
                needs: spec.needs.clone(),
                mutating: spec.mutating,
                status: Status::Pending,
                message: String::new(),
                attempts: 0,
                started: None,
                duration: None,
                output: VecDeque::new(),
                dropped_output: 0,
            })
        })
        .collect();
    let (version, _) = watch::channel(0);
    let shared =
        Arc::new(Shared { state: Mutex::new(RunSnapshot { tasks, ..RunSnapshot::default() }), version });
    let token = parent.child_token();
    let handle = RunHandle { shared: shared.clone(), token: token.clone() };
    tokio::spawn(schedule(plan.tasks.clone(), limit.max(1), shared, token));
    handle
}

/// The scheduler: starts every task whose dependencies passed, up to the limit, until all finished.
async fn schedule(specs: Vec<TaskSpec>, limit: usize, shared: Arc<Shared>, token: CancellationToken) {
    let started = Instant::now();
    let index: HashMap<&str, usize> = specs.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut running = JoinSet::new();
    loop {
        let cancelled = token.is_cancelled();
        // Decide, under one lock, what becomes skipped, cancelled or ready.
        let mut ready = Vec::new();
        {
            let mut state = shared.lock();
            let statuses: Vec<Status> = state.tasks.iter().map(|t| t.status.clone()).collect();
            for (i, spec) in specs.iter().enumerate() {
                if statuses[i] != Status::Pending {
                    continue;
                }
                let task = &mut state.tasks[i];
                if cancelled {
                    task.status = Status::Cancelled;
                    task.message = "cancelled before it started".into();
                    continue;
                }
                let blocker = spec.needs.iter().filter_map(|d| index.get(d.as_str())).find_map(|&d| {
                    match &statuses[d] {
                        Status::Passed => None,
                        Status::Pending | Status::Running => Some(None),
                        other => Some(Some((specs[d].id.as_str(), other))),
                    }
                });
                match blocker {
                    None => ready.push(i),
                    Some(None) => {}
                    // A prerequisite missing upstream is missing here too: skipped, not failed.
                    Some(Some((dep, Status::Skipped(SkipReason::NotConfigured(why))))) => {
                        task.message = format!("not run: it needs {dep}, skipped because {why}");
                        task.status = Status::Skipped(SkipReason::NotConfigured(task.message.clone()));
                    }
                    Some(Some((dep, how))) => {
                        let how = how.name();
                        task.status = Status::Skipped(SkipReason::Dependency(format!("{dep} {how}")));
                        task.message = format!("not run: it needs {dep}, which {how}");
                    }
                }
            }
        }
        shared.version.send_modify(|v| *v += 1);
        let mut progressed = false;
        for i in ready {
            if running.len() >= limit {
                break;
            }
            shared.update(i, |t| {
                t.status = Status::Running;
                t.started = Some(Instant::now());
            });
            let io = TaskIo { token: token.child_token(), shared: shared.clone(), index: i };
            running.spawn(run_one(specs[i].clone(), io));
            progressed = true;
        }
        if running.is_empty() && !progressed {
            let all_done = shared.lock().tasks.iter().all(|t| t.status.is_finished());
            if all_done {
                break;
            }
            // Pending tasks whose dependencies can never finish cannot exist in a validated plan;
            // stop rather than spin.
            break;
        }
        if !running.is_empty() {
            tokio::select! {
                _ = running.join_next() => {}
                _ = token.cancelled(), if !cancelled => {}
            }
        }
    }
    while running.join_next().await.is_some() {}
    {
        let mut state = shared.lock();
        state.finished = true;
        state.cancelled = token.is_cancelled();
        state.duration = Some(started.elapsed());
    }
    shared.version.send_modify(|v| *v += 1);
}

/// Runs one task: attempts with timeout, backoff between retries, cancellation at any point.
async fn run_one(spec: TaskSpec, io: TaskIo) {
    let started = Instant::now();
    let mut attempt = 0;
    let (status, message) = loop {
        attempt += 1;
        io.shared.update(io.index, |t| t.attempts = attempt);
        let result = tokio::select! {
            _ = io.token.cancelled() => None,
            r = tokio::time::timeout(spec.timeout, spec.work.run(&io)) => Some(r),
        };
        let (status, message) = match result {
            None => break (Status::Cancelled, "cancelled while running".to_string()),
            Some(Err(_)) => (Status::Failed, format!("timed out after {}", human_duration(spec.timeout))),
            Some(Ok(Outcome::Passed(m))) => break (Status::Passed, m),
            Some(Ok(Outcome::Skipped(m))) => {
                break (Status::Skipped(SkipReason::NotConfigured(m.clone())), m);
            }
            Some(Ok(Outcome::Failed(m))) => (Status::Failed, m),
        };
        if attempt > spec.retry.retries {
            break (status, message);
        }
        let delay = spec.retry.delay(attempt);
        io.line(format!("attempt {attempt} failed: {message}; retrying in {}", human_duration(delay)));
        if !io.sleep(delay).await {
            break (Status::Cancelled, format!("cancelled while waiting to retry; last error: {message}"));
        }
    };
    io.shared.update(io.index, |t| {
        t.status = status;
        t.message = message;
        t.duration = Some(started.elapsed());
    });
}

/// `1.2s`, `350ms`, `2m05s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Work from a closure, for tests.
    struct FnWork<F>(F);

    impl<F> Work for FnWork<F>
    where
        F: Fn() -> BoxFuture<'static, Outcome> + Send + Sync,
    {
        fn run<'a>(&'a self, _io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
            (self.0)()
        }
    }

    /// Writes more lines than a task keeps.
    struct Chatty;

    impl Work for Chatty {
        fn run<'a>(&'a self, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
            Box::pin(async move {
                for i in 0..(OUTPUT_LINES + 20) {
                    io.line(format!("line {i}"));
                }
                Outcome::Passed(String::new())
            })
        }
    }

    fn task(id: &str, needs: &[&str], work: Arc<dyn Work>) -> TaskSpec {
        TaskSpec {
            id: id.into(),
            name: id.into(),
            phase: "test".into(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            timeout: Duration::from_secs(10),
            retry: Retry::NONE,
            mutating: false,
            plan: String::new(),
            work,
        }
    }

    fn outcome(o: Outcome) -> Arc<dyn Work> {
        Arc::new(FnWork(move || -> BoxFuture<'static, Outcome> {
            let o = o.clone();
            Box::pin(async move { o })
        }))
    }

    fn status_of(s: &RunSnapshot, id: &str) -> Status {
        s.tasks.iter().find(|t| t.id == id).map(|t| t.status.clone()).unwrap()
    }

    #[test]
    fn unknown_dependencies_and_cycles_are_named() {
        let pass = outcome(Outcome::Passed(String::new()));
        let err = Plan::new(vec![task("a", &["nope"], pass.clone())]).unwrap_err();
        assert_eq!(err.to_string(), "task `a` needs `nope`, which is not a task of this suite");
        let err = Plan::new(vec![
            task("a", &["c"], pass.clone()),
            task("b", &["a"], pass.clone()),
            task("c", &["b"], pass.clone()),
        ])
        .unwrap_err();
        assert_eq!(err.to_string(), "the tasks depend on each other in a cycle: a → c → b → a");
        let err = Plan::new(vec![task("a", &[], pass.clone()), task("a", &[], pass)]).unwrap_err();
        assert!(matches!(err, PlanError::Duplicate(id) if id == "a"));
    }

    #[test]
    fn plans_are_in_dependency_order() {
        let pass = outcome(Outcome::Passed(String::new()));
        let plan = Plan::new(vec![
            task("c", &["b"], pass.clone()),
            task("b", &["a"], pass.clone()),
            task("a", &[], pass),
        ])
        .unwrap();
        let ids: Vec<&str> = plan.tasks().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_tasks_respect_order_and_the_limit() {
        let running = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let finished_order = Arc::new(Mutex::new(Vec::<usize>::new()));
        let mut specs = Vec::new();
        for i in 0..50usize {
            let (running, max_seen, order) = (running.clone(), max_seen.clone(), finished_order.clone());
            let work = Arc::new(FnWork(move || -> BoxFuture<'static, Outcome> {
                let (running, max_seen, order) = (running.clone(), max_seen.clone(), order.clone());
                Box::pin(async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5 + (i as u64 * 7) % 13)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    order.lock().unwrap().push(i);
                    Outcome::Passed(format!("task {i}"))
                })
            }));
            // Task i needs i/2 and i/3 (when different from i): a wide, layered graph.
            let mut needs: Vec<String> =
                [i / 2, i / 3].iter().filter(|d| **d != i).map(|d| format!("t{d}")).collect();
            needs.dedup();
            let needs: Vec<&str> = needs.iter().map(String::as_str).collect();
            specs.push(task(&format!("t{i}"), &needs, work));
        }
        let plan = Plan::new(specs.clone()).unwrap();
        let run = start(&plan, 8, &CancellationToken::new(), None);
        let snapshot = run.wait().await;
        assert!(snapshot.all_passed(), "{:?}", snapshot.tasks.iter().map(|t| &t.status).collect::<Vec<_>>());
        let max = max_seen.load(Ordering::SeqCst);
        assert!(max <= 8, "{max} tasks ran at once");
        assert!(max >= 4, "only {max} tasks ever ran at once: the engine is not concurrent");
        let order = finished_order.lock().unwrap().clone();
        let position = |i: usize| order.iter().position(|x| *x == i).unwrap();
        for spec in &specs {
            let i: usize = spec.id[1..].parse().unwrap();
            for dep in &spec.needs {
                let d: usize = dep[1..].parse().unwrap();
                assert!(position(d) < position(i), "t{i} finished before its dependency t{d}");
            }
        }
    }

    #[tokio::test]
    async fn a_failing_dependency_skips_its_dependents() {
        let plan = Plan::new(vec![
            task("a", &[], outcome(Outcome::Failed("boom".into()))),
            task("b", &["a"], outcome(Outcome::Passed(String::new()))),
            task("c", &["b"], outcome(Outcome::Passed(String::new()))),
            task("d", &[], outcome(Outcome::Passed(String::new()))),
            task("e", &[], outcome(Outcome::Skipped("grafana.token is not configured".into()))),
            task("f", &["e"], outcome(Outcome::Passed(String::new()))),
        ])
        .unwrap();
        let s = start(&plan, 2, &CancellationToken::new(), None).wait().await;
        assert_eq!(status_of(&s, "a"), Status::Failed);
        assert_eq!(status_of(&s, "b"), Status::Skipped(SkipReason::Dependency("a failed".into())));
        assert_eq!(status_of(&s, "c"), Status::Skipped(SkipReason::Dependency("b skipped".into())));
        assert_eq!(status_of(&s, "d"), Status::Passed);
        assert_eq!(
            status_of(&s, "e"),
            Status::Skipped(SkipReason::NotConfigured("grafana.token is not configured".into()))
        );
        assert_eq!(
            status_of(&s, "f"),
            Status::Skipped(SkipReason::NotConfigured(
                "not run: it needs e, skipped because grafana.token is not configured".into()
            ))
        );
        assert!(!s.all_passed());
    }

    fn forever() -> Arc<dyn Work> {
        Arc::new(FnWork(|| -> BoxFuture<'static, Outcome> {
            Box::pin(async {
                std::future::pending::<()>().await;
                Outcome::Passed(String::new())
            })
        }))
    }

    #[tokio::test]
    async fn cancellation_stops_running_tasks_within_a_second() {
        let specs: Vec<TaskSpec> = (0..6).map(|i| task(&format!("t{i}"), &[], forever())).collect();
        let plan = Plan::new(specs).unwrap();
        let parent = CancellationToken::new();
        let run = start(&plan, 4, &parent, None);
        let mut changes = run.changes();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while run.snapshot().count(|s| *s == Status::Running) < 4 {
            tokio::time::timeout_at(deadline, changes.changed()).await.unwrap().unwrap();
        }
        let cancelled_at = Instant::now();
        parent.cancel();
        let s =
            tokio::time::timeout(Duration::from_secs(1), run.wait()).await.expect("still running after 1s");
        assert!(cancelled_at.elapsed() < Duration::from_secs(1));
        assert!(s.cancelled);
        assert_eq!(s.count(|st| *st == Status::Cancelled), 6);
    }

    #[tokio::test]
    async fn timeouts_fire() {
        let mut t = task("slow", &[], forever());
        t.timeout = Duration::from_millis(50);
        let s = start(&Plan::new(vec![t]).unwrap(), 1, &CancellationToken::new(), None).wait().await;
        assert_eq!(status_of(&s, "slow"), Status::Failed);
        assert_eq!(s.tasks[0].message, "timed out after 50ms");
    }

    #[tokio::test]
    async fn retries_back_off_and_can_succeed() {
        let calls = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let c = calls.clone();
        let work = Arc::new(FnWork(move || -> BoxFuture<'static, Outcome> {
            let c = c.clone();
            Box::pin(async move {
                let mut calls = c.lock().unwrap();
                calls.push(Instant::now());
                if calls.len() < 3 { Outcome::Failed("not yet".into()) } else { Outcome::Passed("ok".into()) }
            })
        }));
        let mut t = task("flaky", &[], work);
        t.retry = Retry { retries: 3, backoff: Duration::from_millis(40) };
        let s = start(&Plan::new(vec![t]).unwrap(), 1, &CancellationToken::new(), None).wait().await;
        assert_eq!(status_of(&s, "flaky"), Status::Passed);
        assert_eq!(s.tasks[0].attempts, 3);
        let calls = calls.lock().unwrap();
        assert!(calls[1] - calls[0] >= Duration::from_millis(40));
        assert!(calls[2] - calls[1] >= Duration::from_millis(80), "the second wait doubles");
        assert!(s.tasks[0].output.iter().any(|l| l.contains("attempt 1 failed: not yet")));
    }

    #[tokio::test]
    async fn a_rerun_repeats_what_failed_and_what_it_skipped() {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let counting = Arc::new(FnWork(move || -> BoxFuture<'static, Outcome> {
            c.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Outcome::Passed(String::new()) })
        }));
        let failing = task("a", &[], outcome(Outcome::Failed("down".into())));
        let plan = Plan::new(vec![
            failing,
            task("b", &["a"], outcome(Outcome::Passed(String::new()))),
            task("ok", &[], counting),
        ])
        .unwrap();
        let first = start(&plan, 2, &CancellationToken::new(), None).wait().await;
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let fixed = Plan::new(vec![
            task("a", &[], outcome(Outcome::Passed("up".into()))),
            task("b", &["a"], outcome(Outcome::Passed(String::new()))),
            plan.tasks()[2].clone(),
        ])
        .unwrap();
        let second = start(&fixed, 2, &CancellationToken::new(), Some(&first)).wait().await;
        assert!(second.all_passed());
        assert_eq!(count.load(Ordering::SeqCst), 1, "a task that passed is not run again");
    }

    #[tokio::test]
    async fn output_is_bounded() {
        let work = Arc::new(Chatty);
        let s =
            start(&Plan::new(vec![task("chatty", &[], work)]).unwrap(), 1, &CancellationToken::new(), None)
                .wait()
                .await;
        assert_eq!(s.tasks[0].output.len(), OUTPUT_LINES);
        assert_eq!(s.tasks[0].dropped_output, 20);
        assert_eq!(s.tasks[0].output.front().map(String::as_str), Some("line 20"));
    }
}
