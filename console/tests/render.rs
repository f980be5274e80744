//! The console's answers: the Prometheus text parses line by line, and the
//! task JSON names each task's spawn site and what it waits on.

use std::collections::HashSet;
use std::sync::Arc;

use runtime_console::render;

/// Checks the Prometheus text exposition format line by line; returns the
/// samples as (name with labels, value).
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut typed = HashSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_string()), "a family typed twice: {line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
        let name = series.split('{').next().unwrap();
        assert!(name.starts_with("runtime_"), "{line}");
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{line}");
        assert!(typed.contains(name), "a sample before its # TYPE: {line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let labels = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).expect("{labels}");
            for label in labels.split(',') {
                let (key, quoted) = label.split_once('=').expect("key=\"value\"");
                assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{line}");
                assert!(quoted.len() >= 2 && quoted.starts_with('"') && quoted.ends_with('"'), "{line}");
            }
        }
        samples.push((series.to_string(), value.parse::<f64>().unwrap_or_else(|_| panic!("value in {line}"))));
    }
    samples
}

#[test]
fn the_prometheus_text_parses_line_by_line() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).enable_poll_time_histogram().build().unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..20).map(|_| runtime::spawn(runtime::task::yield_now())).collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let text = render::prometheus(&rt.metrics());
    let samples = parse_prometheus(&text);
    let value = |series: &str| samples.iter().find(|(s, _)| s == series).map(|(_, v)| *v);
    assert_eq!(value("runtime_workers"), Some(2.0));
    assert!(value("runtime_worker_polls_total{worker=\"0\"}").is_some());
    assert!(value("runtime_worker_polls_total{worker=\"1\"}").is_some());
    let polls: f64 = samples.iter().filter(|(s, _)| s.starts_with("runtime_worker_polls_total")).map(|(_, v)| v).sum();
    assert!(polls >= 20.0, "{text}");
    let buckets: Vec<f64> =
        samples.iter().filter(|(s, _)| s.starts_with("runtime_poll_time_polls_total")).map(|(_, v)| *v).collect();
    assert!(!buckets.is_empty() && buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative buckets");
    assert!(text.contains("runtime_poll_time_polls_total{le=\"+Inf\"}"));
}

#[test]
fn json_strings_are_escaped() {
    assert_eq!(render::json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

/// A minimal JSON reader: enough to check the output is well-formed.
fn skip_value(s: &[u8], mut i: usize) -> usize {
    let ws = |s: &[u8], mut i: usize| {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    i = ws(s, i);
    match s[i] {
        b'{' | b'[' => {
            let close = if s[i] == b'{' { b'}' } else { b']' };
            i = ws(s, i + 1);
            if s[i] == close {
                return i + 1;
            }
            loop {
                if close == b'}' {
                    i = skip_value(s, i); // the key
                    i = ws(s, i);
                    assert_eq!(s[i], b':');
                    i += 1;
                }
                i = ws(s, skip_value(s, i));
                match s[i] {
                    b',' => i += 1,
                    c if c == close => return i + 1,
                    c => panic!("unexpected {:?} at {i}", c as char),
                }
            }
        }
        b'"' => {
            i += 1;
            while s[i] != b'"' {
                i += if s[i] == b'\\' { 2 } else { 1 };
            }
            i + 1
        }
        _ => {
            let start = i;
            while i < s.len() && !b",}] \n".contains(&s[i]) {
                i += 1;
            }
            let token = std::str::from_utf8(&s[start..i]).unwrap();
            assert!(token == "null" || token == "true" || token == "false" || token.parse::<f64>().is_ok(), "{token}");
            i
        }
    }
}

#[test]
fn the_task_json_names_spawn_sites_and_what_tasks_wait_on() {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mutex = Arc::new(runtime::sync::Mutex::new(()));
        let held = mutex.clone().lock_owned().await;
        let line = line!() + 1;
        let blocked = runtime::spawn(async move { drop(mutex.lock().await) });
        runtime::task::yield_now().await;
        let json = render::tasks_json(&runtime::Handle::current().dump());
        assert_eq!(skip_value(json.as_bytes(), 0), json.len(), "well-formed: {json}");
        assert!(json.contains(&format!("render.rs:{line}:")), "{json}");
        assert!(json.contains("\"waiting_on\":\"Mutex::lock\""), "{json}");
        assert!(json.contains("\"state\":\"idle\""), "{json}");
        drop(held);
        blocked.await.unwrap();
    });
}

#[test]
fn the_stats_json_is_well_formed_with_a_histogram() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).enable_poll_time_histogram().build().unwrap();
    rt.block_on(async { runtime::spawn(async {}).await.unwrap() });
    let json = render::stats_json(&rt.metrics());
    assert_eq!(skip_value(json.as_bytes(), 0), json.len(), "well-formed: {json}");
    assert_eq!(json.matches("\"busy_seconds\"").count(), 2, "{json}");
    assert!(json.contains("{\"le\":\"+Inf\",\"count\":"), "{json}");
}
