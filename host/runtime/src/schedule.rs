//! Running many targets concurrently: at most one scan per core at a time, started in the
//! order of the plan (so that a report written in plan order can stream the earliest targets),
//! results returned in the order of the plan whatever order they finish in.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::Runtime;
use crate::scan::{FindingSink, ScanContext, TargetOutcome, TargetSpec};

/// One unit of work: a target, its context, and where its findings go.
pub struct Job {
    /// What to scan.
    pub spec: TargetSpec,
    /// Attribution context (carries the plugin).
    pub ctx: Arc<ScanContext>,
    /// Sink for accepted findings.
    pub sink: Box<dyn FindingSink>,
}

/// Scan every job, at most `concurrency` at once; outcomes come back in job order.
pub async fn scan_all(
    runtime: Arc<Runtime>,
    jobs: Vec<Job>,
    concurrency: usize,
) -> Vec<TargetOutcome> {
    scan_all_with(runtime, jobs, concurrency, |_| {}).await
}

/// [`scan_all`], calling `done` with each outcome as its target finishes (for progress).
pub async fn scan_all_with(
    runtime: Arc<Runtime>,
    jobs: Vec<Job>,
    concurrency: usize,
    done: impl Fn(&TargetOutcome) + Send + Sync + 'static,
) -> Vec<TargetOutcome> {
    let done = Arc::new(done);
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        let runtime = runtime.clone();
        let done = done.clone();
        // Taken here, before the task exists, so that targets start in plan order: tasks
        // spawned at once would reach the semaphore in whatever order the executor runs them.
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        handles.push(tokio::spawn(async move {
            let mut outcome = runtime.scan(&job.spec, job.ctx, job.sink).await;
            done(&outcome);
            // The next target may start now: finishing the sink (for a report writer, copying
            // the next target's spill) runs beside it on a blocking thread, not on a worker.
            drop(permit);
            let mut sink = std::mem::replace(&mut outcome.sink, Box::new((Vec::new(), Vec::new())));
            outcome.sink = match tokio::task::spawn_blocking(move || {
                sink.finish();
                sink
            })
            .await
            {
                Ok(sink) => sink,
                // Finishing panicked (a host bug): the outcome stands, the sink is gone.
                Err(e) => {
                    tracing::error!(target = %job.spec.target, "finishing the findings failed: {e}");
                    Box::new((Vec::new(), Vec::new()))
                }
            };
            outcome
        }));
    }
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        // A panic inside a scan task would be a host bug, not a plugin's doing; surface it.
        out.push(h.await.expect("scan task panicked"));
    }
    out
}
