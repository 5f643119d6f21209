//! Everything the sim's servers and controllers share.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::ecr::EcrStore;
use super::faults::Faults;
use super::logs::LogStore;
use super::metrics::MetricsStore;
use super::series_history::SeriesHistory;
use super::world::World;

pub struct SimState {
    pub world: Arc<World>,
    pub logs: Arc<LogStore>,
    pub metrics: Arc<MetricsStore>,
    pub ecr: Arc<EcrStore>,
    pub faults: Arc<Faults>,
    pub clock: Clock,
    /// Cancelled when the sim shuts down: every stream and controller ends.
    pub shutdown: CancellationToken,
    /// Mutating requests (POST, PUT, PATCH, DELETE) the Kubernetes API received from clients:
    /// tests prove read-only mode sends none.
    pub mutating_requests: AtomicU64,
    /// The last few scrapes of every series, for the Prometheus query API.
    pub history: Arc<SeriesHistory>,
}

pub type Shared = Arc<SimState>;
