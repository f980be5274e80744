//! process_spawn: 1,000 `true` children spawned, then each waited for, on
//! each runtime's own process API (runtime::process, tokio::process,
//! async-process on smol).

use std::time::Instant;

use crate::{Ours, Rt, Smol, Tokio};

pub const WORKLOADS: [&str; 1] = ["process_spawn"];

const CHILDREN: usize = 1_000;

/// Spawns and waits for `true` children on one runtime's process API.
pub trait Processes: Rt {
    fn spawn_and_wait_all() -> impl std::future::Future<Output = ()> + Send;
}

impl Processes for Ours {
    async fn spawn_and_wait_all() {
        let mut children: Vec<_> =
            (0..CHILDREN).map(|_| runtime::process::Command::new("true").spawn().unwrap()).collect();
        for child in &mut children {
            assert!(child.wait().await.unwrap().success());
        }
    }
}

impl Processes for Tokio {
    async fn spawn_and_wait_all() {
        let mut children: Vec<_> =
            (0..CHILDREN).map(|_| tokio::process::Command::new("true").spawn().unwrap()).collect();
        for child in &mut children {
            assert!(child.wait().await.unwrap().success());
        }
    }
}

impl Processes for Smol {
    async fn spawn_and_wait_all() {
        let mut children: Vec<_> =
            (0..CHILDREN).map(|_| async_process::Command::new("true").spawn().unwrap()).collect();
        for child in &mut children {
            assert!(child.status().await.unwrap().success());
        }
    }
}

/// One sample in milliseconds.
pub fn sample<R: Processes>(rt: &'static R) -> Vec<f64> {
    let start = Instant::now();
    rt.block_on(R::spawn_and_wait_all());
    vec![start.elapsed().as_secs_f64() * 1e3]
}
