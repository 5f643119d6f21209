//! Benchmarks of scaffolding's in-memory half: planning a service (template loaded from the embedded
//! assets, parameters validated, values and every skeleton file rendered, manifests checked against the
//! Kyverno policy) per built-in template, and the Kyverno check alone. The scaffold form previews with a
//! plan, so this is what a user waits for between Enter and the preview.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use platdeck_console::config::Config;
use platdeck_console::scaffold::{Platform, Request, plan, policy};

fn planning(c: &mut Criterion) {
    let out = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.ecr.account_id = Some("123456789012".into());
    config.ecr.region = "us-east-1".into();
    let platform = Platform::from_config(&config);
    let mut group = c.benchmark_group("scaffold_plan");
    for template in platdeck_console::assets::template_names() {
        let request = Request {
            template: template.to_string(),
            inputs: [("name".to_string(), "orders-api".to_string())].into_iter().collect(),
            out: out.path().to_path_buf(),
            gitops: None,
        };
        group.bench_with_input(BenchmarkId::from_parameter(template), &request, |b, request| {
            b.iter(|| plan(request, &platform).unwrap())
        });
    }
    group.finish();

    let request = Request {
        template: "node-express".into(),
        inputs: [("name".to_string(), "orders-api".to_string())].into_iter().collect(),
        out: out.path().to_path_buf(),
        gitops: None,
    };
    let planned = plan(&request, &platform).unwrap();
    let deployment = planned.files.iter().find(|f| f.path == "k8s/deployment.yaml").unwrap();
    let text = String::from_utf8(deployment.contents.clone()).unwrap();
    let rules = policy::platform_rules();
    c.bench_function("scaffold_policy_check_deployment", |b| {
        b.iter(|| {
            let objects = policy::objects("k8s/deployment.yaml", &text).unwrap();
            policy::check("k8s/deployment.yaml", &objects, &rules).unwrap()
        })
    });
}

criterion_group!(benches, planning);
criterion_main!(benches);
