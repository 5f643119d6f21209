//! The task engine's own cost: scheduling a dependency graph of tasks that do nothing, under a limit of 8,
//! so what a real run spends is the tasks' I/O, not the engine.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use platdeck_console::tasks::engine::{self, Outcome, Plan, Retry, TaskIo, TaskSpec, Work};

struct Noop;

impl Work for Noop {
    fn run<'a>(&'a self, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            io.line("done");
            Outcome::Passed(String::new())
        })
    }
}

/// Task i needs i/2 and i/3: a wide, layered graph.
fn plan(n: usize) -> Plan {
    let work: Arc<dyn Work> = Arc::new(Noop);
    let tasks = (0..n)
        .map(|i| {
            let mut needs: Vec<String> =
                [i / 2, i / 3].iter().filter(|d| **d != i).map(|d| format!("t{d}")).collect();
            needs.dedup();
            TaskSpec {
                id: format!("t{i}"),
                name: format!("task {i}"),
                phase: format!("phase {}", i % 4),
                needs,
                timeout: Duration::from_secs(10),
                retry: Retry::NONE,
                mutating: false,
                plan: String::new(),
                work: work.clone(),
            }
        })
        .collect();
    Plan::new(tasks).unwrap()
}

fn engine(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("task_engine");
    for n in [50usize, 500] {
        let plan = plan(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("run_graph_limit_8", n), &plan, |b, plan| {
            b.to_async(&runtime).iter(|| async {
                let run = engine::start(plan, 8, &CancellationToken::new(), None);
                let snapshot = run.wait().await;
                assert!(snapshot.all_passed());
            });
        });
        group.bench_with_input(BenchmarkId::new("plan_validate_and_order", n), &n, |b, n| {
            b.iter(|| plan_of(*n));
        });
    }
    group.finish();
}

fn plan_of(n: usize) -> usize {
    plan(n).tasks().len()
}

criterion_group!(benches, engine);
criterion_main!(benches);
