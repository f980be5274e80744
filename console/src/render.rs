//! What the console's endpoints answer, as text: the Prometheus exposition
//! of [`RuntimeMetrics`] (`/metrics`) and the task dump as JSON
//! (`/tasks.json`). Pure functions of a reading, so each is tested without a
//! socket.

use std::fmt::Write;
use std::time::Duration;

use runtime_executor::{Dump, RuntimeMetrics, POLL_TIME_BUCKETS};

/// One metric family: its help line, type and samples.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP runtime_{name} {help}\n# TYPE runtime_{name} {kind}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.header(name, kind, help);
        let _ = writeln!(self.out, "runtime_{name} {value}");
    }

    fn per_worker(&mut self, name: &str, kind: &str, help: &str, workers: usize, value: impl Fn(usize) -> String) {
        self.header(name, kind, help);
        for worker in 0..workers {
            let _ = writeln!(self.out, "runtime_{name}{{worker=\"{worker}\"}} {}", value(worker));
        }
    }
}

/// The runtime's metrics in the Prometheus text exposition format (version
/// 0.0.4), every name prefixed `runtime_`; counters end in `_total`.
pub fn prometheus(metrics: &RuntimeMetrics) -> String {
    let mut out = String::new();
    let workers = metrics.num_workers();
    let mut family = Family { out: &mut out };
    family.single("workers", "gauge", "Worker threads.", workers);
    family.single("alive_tasks", "gauge", "Tasks spawned and not finished.", metrics.num_alive_tasks());
    family.single("global_queue_depth", "gauge", "Tasks in the global queue.", metrics.global_queue_depth());
    family.per_worker("worker_polls_total", "counter", "Task polls by worker.", workers, |w| {
        metrics.worker_poll_count(w).to_string()
    });
    family.per_worker("worker_steals_total", "counter", "Tasks stolen by worker.", workers, |w| {
        metrics.worker_steal_count(w).to_string()
    });
    family.per_worker("worker_parks_total", "counter", "Times each worker parked.", workers, |w| {
        metrics.worker_park_count(w).to_string()
    });
    family.per_worker("worker_busy_seconds_total", "counter", "Time each worker spent polling tasks.", workers, |w| {
        seconds(metrics.worker_total_busy_duration(w))
    });
    family.per_worker("worker_local_queue_depth", "gauge", "Tasks in each worker's local queue.", workers, |w| {
        metrics.worker_local_queue_depth(w).to_string()
    });
    family.single("injector_pushes_total", "counter", "Tasks pushed to the global queue.", metrics.injector_pushes());
    family.single("blocking_threads", "gauge", "Threads in the blocking pool.", metrics.num_blocking_threads());
    family.single(
        "blocking_idle_threads",
        "gauge",
        "Idle threads in the blocking pool.",
        metrics.num_idle_blocking_threads(),
    );
    family.single("reactor_events_total", "counter", "Readiness events the reactor handled.", metrics.reactor_events());
    family.single("io_registrations", "gauge", "Sources registered with the reactor.", metrics.io_registrations());
    family.single("timers_pending", "gauge", "Timers armed and not fired.", metrics.timers_pending());
    let histogram = metrics.poll_time_histogram();
    if !histogram.is_empty() {
        family.header(
            "poll_time_polls_total",
            "counter",
            "Task polls that took at most `le` seconds (cumulative, as a histogram's buckets).",
        );
        let mut cumulative = 0;
        for (index, count) in histogram.iter().enumerate().take(POLL_TIME_BUCKETS) {
            cumulative += count;
            let range = RuntimeMetrics::poll_time_bucket_range(index);
            let le = if index + 1 == POLL_TIME_BUCKETS { "+Inf".to_string() } else { seconds(range.end) };
            let _ = writeln!(family.out, "runtime_poll_time_polls_total{{le=\"{le}\"}} {cumulative}");
        }
    }
    out
}

fn seconds(duration: Duration) -> String {
    format!("{}", duration.as_secs_f64())
}

/// `value` as a JSON string, quoted and escaped.
pub fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The live tasks of `dump` as JSON: `{"tasks":[{"id", "spawned_at",
/// "state", "polls", "idle_seconds", "waiting_on"}]}` (`waiting_on` is
/// `null` when the task said nothing).
pub fn tasks_json(dump: &Dump) -> String {
    let mut out = String::from("{\"tasks\":[");
    for (i, task) in dump.tasks().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"id\":{},\"spawned_at\":{},\"state\":{},\"polls\":{},\"idle_seconds\":{},\"waiting_on\":{}}}",
            task.id(),
            json_string(&task.spawned_at().to_string()),
            json_string(&task.state().to_string()),
            task.polls(),
            seconds(task.idle_for()),
            task.waiting_on().map_or_else(|| "null".to_string(), json_string),
        );
    }
    out.push_str("]}");
    out
}

/// The runtime's metrics as JSON, for the page: `{"now_seconds"` (the
/// server's clock, so rates need no trust in the browser's), `"workers": [{"busy_seconds",
/// "polls", "steals", "parks", "local_queue"}], "global_queue", "alive_tasks",
/// "blocking_threads", "blocking_idle", "reactor_events", "io_registrations",
/// "timers_pending", "poll_histogram": [{"le", "count"}]}` (the histogram
/// empty unless the runtime keeps one).
pub fn stats_json(metrics: &RuntimeMetrics) -> String {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let now = EPOCH.get_or_init(std::time::Instant::now).elapsed();
    let mut out = format!("{{\"now_seconds\":{},\"workers\":[", seconds(now));
    for worker in 0..metrics.num_workers() {
        if worker > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"busy_seconds\":{},\"polls\":{},\"steals\":{},\"parks\":{},\"local_queue\":{}}}",
            seconds(metrics.worker_total_busy_duration(worker)),
            metrics.worker_poll_count(worker),
            metrics.worker_steal_count(worker),
            metrics.worker_park_count(worker),
            metrics.worker_local_queue_depth(worker),
        );
    }
    let _ = write!(
        out,
        "],\"global_queue\":{},\"alive_tasks\":{},\"blocking_threads\":{},\"blocking_idle\":{},\
         \"reactor_events\":{},\"io_registrations\":{},\"timers_pending\":{},\"poll_histogram\":[",
        metrics.global_queue_depth(),
        metrics.num_alive_tasks(),
        metrics.num_blocking_threads(),
        metrics.num_idle_blocking_threads(),
        metrics.reactor_events(),
        metrics.io_registrations(),
        metrics.timers_pending(),
    );
    for (index, count) in metrics.poll_time_histogram().iter().enumerate().take(POLL_TIME_BUCKETS) {
        if index > 0 {
            out.push(',');
        }
        let le = if index + 1 == POLL_TIME_BUCKETS {
            json_string("+Inf")
        } else {
            json_string(&format!("{:?}", RuntimeMetrics::poll_time_bucket_range(index).end))
        };
        let _ = write!(out, "{{\"le\":{le},\"count\":{count}}}");
    }
    out.push_str("]}");
    out
}
