//! Progress of a long scan on standard error: a live bar on a terminal, a plain line every few
//! seconds otherwise (a CI log, a Kubernetes pod), nothing with `--quiet`.
//!
//! Counts move when a target finishes: targets done of the total, resources read, findings
//! accepted, gaps, the time elapsed and an estimate of the time left (from the share of targets
//! done, so it is rough while few have finished).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Nothing.
    Off,
    /// A live bar (standard error is a terminal).
    Bar,
    /// A line every `every`.
    Lines {
        /// Time between lines.
        every: Duration,
    },
}

impl Mode {
    /// The mode for this process: off when `quiet`, a bar on a terminal, else lines.
    pub fn detect(quiet: bool, every: Duration) -> Mode {
        if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines { every }
        }
    }
}

/// The counters, shared with the scheduler.
#[derive(Debug)]
pub struct Counters {
    total: u64,
    done: AtomicU64,
    resources: AtomicU64,
    findings: AtomicU64,
    gaps: AtomicU64,
    started: Instant,
}

impl Counters {
    /// Counters for a run of `total` targets.
    pub fn new(total: u64) -> Counters {
        Counters {
            total,
            done: AtomicU64::new(0),
            resources: AtomicU64::new(0),
            findings: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Count one finished target.
    pub fn finished(&self, outcome: &demarc_runtime::scan::TargetOutcome) {
        self.resources
            .fetch_add(outcome.resources, Ordering::Relaxed);
        self.findings.fetch_add(outcome.findings, Ordering::Relaxed);
        self.gaps
            .fetch_add(outcome.gaps.len() as u64, Ordering::Relaxed);
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// One line: `3/10 targets · 12,345 resources · 23,456 findings · 1 gap · 12.3 s, about
    /// 28 s left`.
    pub fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_secs_f64();
        let gaps = self.gaps.load(Ordering::Relaxed);
        let mut s = format!(
            "{done}/{} targets · {} resources · {} findings · {} gap{} · {elapsed:.1} s",
            self.total,
            thousands(self.resources.load(Ordering::Relaxed)),
            thousands(self.findings.load(Ordering::Relaxed)),
            gaps,
            if gaps == 1 { "" } else { "s" },
        );
        if done > 0 && done < self.total {
            let left = elapsed * (self.total - done) as f64 / done as f64;
            s.push_str(&format!(", about {left:.0} s left"));
        }
        s
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The thread that shows the counters until [`Reporter::finish`].
pub struct Reporter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    /// Start showing `counters` in `mode`.
    pub fn start(counters: Arc<Counters>, mode: Mode) -> Reporter {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = match mode {
            Mode::Off => None,
            Mode::Bar => {
                let stop = stop.clone();
                Some(std::thread::spawn(move || {
                    let bar = indicatif::ProgressBar::new(counters.total);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template("{spinner} scanning {msg}")
                            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                    );
                    while !stop.load(Ordering::Relaxed) {
                        bar.set_position(counters.done.load(Ordering::Relaxed));
                        bar.set_message(counters.line());
                        bar.tick();
                        std::thread::sleep(Duration::from_millis(150));
                    }
                    bar.finish_and_clear();
                }))
            }
            Mode::Lines { every } => {
                let stop = stop.clone();
                Some(std::thread::spawn(move || {
                    let mut next = Instant::now() + every;
                    while !stop.load(Ordering::Relaxed) {
                        if Instant::now() >= next {
                            eprintln!("progress: {}", counters.line());
                            next += every;
                        }
                        std::thread::sleep(Duration::from_millis(20).min(every));
                    }
                    eprintln!("progress: {} (scan done)", counters.line());
                }))
            }
        };
        Reporter { stop, thread }
    }

    /// Stop showing progress (the last line says where the scan ended).
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_and_estimates() {
        let c = Counters::new(4);
        assert!(
            c.line()
                .starts_with("0/4 targets · 0 resources · 0 findings · 0 gaps")
        );
        c.done.store(1, Ordering::Relaxed);
        c.resources.store(1_234_567, Ordering::Relaxed);
        c.gaps.store(1, Ordering::Relaxed);
        let l = c.line();
        assert!(l.contains("1/4 targets · 1,234,567 resources"), "{l}");
        assert!(l.contains("1 gap ·") && l.contains("left"), "{l}");
        c.done.store(4, Ordering::Relaxed);
        assert!(!c.line().contains("left"));
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }
}
