//! The network workloads: each server (runtime, tokio, smol, and a
//! hand-written epoll loop as the limit) runs in its own process, started
//! fresh for every sample, under a load generator that is the same for all.
//! Server CPU time comes from /proc/PID/stat (all threads, user + system).

use crate::table::median;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SERVERS: [&str; 4] = ["runtime", "tokio", "smol", "epoll"];
const ECHO_CONNECTIONS: usize = 100;
const ECHO_SECONDS: u64 = 2;
const HTTP_SECONDS: u64 = 3;
/// Idle connections for mem_conns (a multiple of 1,000: the server reports every 1,000).
const IDLE_CONNECTIONS: usize = 5_000;

/// Raises this process's soft descriptor limit to the hard limit (5,000 idle
/// connections need more than the usual 1,024).
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit for the kernel to fill, then to read.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

/// One sample of one server under one workload.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Operations (round trips, requests) per second.
    pub rate: f64,
    /// 99th percentile latency in microseconds.
    pub p99_us: f64,
    /// Server CPU time per operation in microseconds.
    pub cpu_us: f64,
    /// mem_conns: resident bytes per idle connection.
    pub bytes: f64,
}

struct Server {
    child: Child,
    addr: SocketAddr,
    lines: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn start(runtime: &str, workload: &str) -> Server {
        let exe = std::env::current_exe().unwrap().with_file_name("net_server");
        let mut child = Command::new(exe)
            .args([runtime, workload])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start net_server (build it with: cargo build --release -p runtime-benches)");
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        let addr = line.trim().parse().expect("net_server prints its address first");
        Server { child, addr, lines }
    }

    /// User + system CPU time of every thread, from /proc/PID/stat.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the parenthesised command name; utime and stime are 14 and 15.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // SAFETY: sysconf has no memory effects.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        Duration::from_nanos(ticks * 1_000_000_000 / hz)
    }

    fn rss(&self) -> usize {
        let statm = std::fs::read_to_string(format!("/proc/{}/statm", self.child.id())).unwrap();
        statm.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 4096
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// tcp_echo: 100 connections, each sending 64 bytes and waiting for the echo,
/// as fast as it can, from a client process (`--echo-client`). With
/// `server_workload` "echo_split", the servers echo through their split
/// halves; with "udp", it is the UDP echo (`--udp-echo-client`: 100
/// sockets, one 64-byte datagram in flight each).
pub fn tcp_echo(runtime: &str, server_workload: &str) -> Sample {
    let server = Server::start(runtime, server_workload);
    let cpu_before = server.cpu();
    let client = if server_workload == "udp" { "--udp-echo-client" } else { "--echo-client" };
    let out = Command::new(std::env::current_exe().unwrap())
        .args([client, &server.addr.to_string()])
        .output()
        .expect("run the echo client");
    let cpu = server.cpu() - cpu_before;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().expect("client output"));
    let (round_trips, seconds, p99_us) = (fields.next().unwrap(), fields.next().unwrap(), fields.next().unwrap());
    Sample { rate: round_trips / seconds, p99_us, cpu_us: cpu.as_secs_f64() * 1e6 / round_trips, bytes: 0.0 }
}

/// Runs `client(deadline)` on `connections` tasks of `rt` until the deadline
/// (each returns its round trips' latencies in microseconds), then prints
/// round trips, seconds and p99 latency (and more percentiles with
/// `ECHO_PERCENTILES`): the load generators' common part.
fn drive_clients<F, Fut>(rt: tokio::runtime::Runtime, connections: usize, client: F)
where
    F: Fn(Instant) -> Fut,
    Fut: std::future::Future<Output = Vec<f64>> + Send + 'static,
{
    let (count, elapsed, mut latencies) = rt.block_on(async move {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(ECHO_SECONDS);
        let tasks: Vec<_> = (0..connections).map(|_| tokio::spawn(client(deadline))).collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        (all.len(), start.elapsed(), all)
    });
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if std::env::var("ECHO_PERCENTILES").is_ok() {
        for p in [0.5, 0.9, 0.99, 0.999] {
            eprintln!("p{p}: {:.0} us", percentile(&latencies, p));
        }
    }
    println!("{count} {} {}", elapsed.as_secs_f64(), percentile(&latencies, 0.99));
}

/// The echo load generator (a child process): 64-byte round trips on
/// `ECHO_CONNECTIONS` TCP connections.
pub fn echo_client(addr: &str) {
    let addr: SocketAddr = addr.parse().unwrap();
    // One thread unless ECHO_CLIENT_THREADS says otherwise (a machine with
    // cores to spare, where one client thread would be the limit).
    let rt = match std::env::var("ECHO_CLIENT_THREADS").map(|n| n.parse::<usize>().expect("ECHO_CLIENT_THREADS=N")) {
        Ok(threads) => tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build(),
        Err(_) => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    }
    .unwrap();
    let connections = std::env::var("ECHO_CONNECTIONS").map_or(ECHO_CONNECTIONS, |n| n.parse().unwrap());
    drive_clients(rt, connections, move |deadline| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (message, mut reply) = ([7u8; 64], [0u8; 64]);
        let mut latencies = Vec::new();
        while Instant::now() < deadline {
            let sent = Instant::now();
            stream.write_all(&message).await.unwrap();
            stream.read_exact(&mut reply).await.unwrap();
            latencies.push(sent.elapsed().as_secs_f64() * 1e6);
        }
        latencies
    });
}

/// The UDP echo's load generator (a child process): 100 sockets, each
/// sending a 64-byte datagram and waiting for its echo (a datagram lost on
/// the way is sent again after 200 ms, and that wait counts in the
/// latency).
pub fn udp_echo_client(addr: &str) {
    let addr: SocketAddr = addr.parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    drive_clients(rt, ECHO_CONNECTIONS, move |deadline| async move {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(addr).await.unwrap();
        let (message, mut reply) = ([7u8; 64], [0u8; 64]);
        let mut latencies = Vec::new();
        while Instant::now() < deadline {
            let sent = Instant::now();
            loop {
                socket.send(&message).await.unwrap();
                let wait = tokio::time::timeout(Duration::from_millis(200), socket.recv(&mut reply));
                if let Ok(Ok(64)) = wait.await {
                    break;
                }
            }
            latencies.push(sent.elapsed().as_secs_f64() * 1e6);
        }
        latencies
    });
}

/// http_hello: `wrk -t1 -c64 --latency` against the server.
pub fn http_hello(runtime: &str) -> Option<Sample> {
    let server = Server::start(runtime, "http");
    let cpu_before = server.cpu();
    let out = Command::new("wrk")
        .args(["-t1", "-c64", &format!("-d{HTTP_SECONDS}s"), "--latency", &format!("http://{}/", server.addr)])
        .output()
        .ok()?;
    let cpu = server.cpu() - cpu_before;
    let text = String::from_utf8_lossy(&out.stdout);
    let requests: f64 = text.lines().find_map(|l| l.split_once(" requests in "))?.0.trim().parse().ok()?;
    let rate: f64 = text.lines().find_map(|l| l.strip_prefix("Requests/sec:"))?.trim().parse().ok()?;
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%"))?.trim();
    Some(Sample { rate, p99_us: wrk_duration_us(p99), cpu_us: cpu.as_secs_f64() * 1e6 / requests, bytes: 0.0 })
}

fn wrk_duration_us(text: &str) -> f64 {
    let split = text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => number,
        "ms" => number * 1e3,
        "s" => number * 1e6,
        _ => f64::NAN,
    }
}

/// True when wrk is installed.
pub fn have_wrk() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// mem_conns: resident memory of the server per idle connection, over 5,000.
pub fn mem_conns(runtime: &str) -> Sample {
    let mut server = Server::start(runtime, "idle");
    // The first connection settles the server (first task, buffers) before the baseline.
    let mut connections = vec![std::net::TcpStream::connect(server.addr).unwrap()];
    std::thread::sleep(Duration::from_millis(50));
    let before = server.rss();
    connections.extend((1..IDLE_CONNECTIONS).map(|_| std::net::TcpStream::connect(server.addr).unwrap()));
    let mut line = String::new();
    while line.trim() != format!("accepted {IDLE_CONNECTIONS}") {
        line.clear();
        assert!(server.lines.read_line(&mut line).unwrap() > 0, "the server stopped");
    }
    // The last connection's task may still be starting.
    std::thread::sleep(Duration::from_millis(100));
    let bytes = (server.rss() - before) as f64 / (IDLE_CONNECTIONS - 1) as f64;
    drop(connections);
    Sample { bytes, ..Sample::default() }
}

/// A column of the network table: its label and how to read it off a sample.
type Metric = (&'static str, fn(&Sample) -> f64);

/// The network workloads: a fresh server process per sample, servers rotated
/// each round, medians of each metric and their runtime/tokio ratios.
pub fn run(rounds: usize, names: &[&str], only: Option<&[String]>) {
    raise_fd_limit();
    let servers: Vec<&str> = SERVERS.into_iter().filter(|s| only.is_none_or(|o| o.iter().any(|o| o == s))).collect();
    let wrk = have_wrk();
    if !wrk && names.contains(&"http_hello") {
        eprintln!("http_hello skipped: wrk is not installed (apt-get install -y wrk)");
    }
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); servers.len()]; names.len()];
    for round in 0..rounds {
        for (w, name) in names.iter().enumerate() {
            for k in 0..servers.len() {
                let which = (k + round) % servers.len();
                let sample = match *name {
                    "tcp_echo" => Some(tcp_echo(servers[which], "echo")),
                    "tcp_echo_split" => Some(tcp_echo(servers[which], "echo_split")),
                    "udp_echo" => Some(tcp_echo(servers[which], "udp")),
                    "http_hello" if wrk => http_hello(servers[which]),
                    "mem_conns" => Some(mem_conns(servers[which])),
                    _ => None,
                };
                samples[w][which].extend(sample);
            }
        }
        eprintln!("network round {}/{rounds} done", round + 1);
    }
    println!();
    println!("{rounds} rounds, a fresh server process per sample; medians");
    let tokio = servers.iter().position(|s| *s == "tokio");
    let ours = servers.iter().position(|s| *s == "runtime");
    for (w, name) in names.iter().enumerate() {
        let metrics: &[Metric] = if *name == "mem_conns" {
            &[("bytes/conn", |s| s.bytes)]
        } else {
            &[("ops/s", |s| s.rate), ("p99 us", |s| s.p99_us), ("cpu us/op", |s| s.cpu_us)]
        };
        print!("{name:<11} {:<10}", "metric");
        servers.iter().for_each(|s| print!(" {s:>10}"));
        println!(" {:>13}", "runtime/tokio");
        for (label, metric) in metrics {
            let medians: Vec<f64> = samples[w]
                .iter()
                .map(|per_server| {
                    let mut values: Vec<f64> = per_server.iter().map(metric).collect();
                    if values.is_empty() {
                        f64::NAN
                    } else {
                        median(&mut values)
                    }
                })
                .collect();
            print!("{:<11} {label:<10}", "");
            medians.iter().for_each(|m| print!(" {m:>10.2}"));
            let ratio = match (ours, tokio) {
                (Some(o), Some(t)) => medians[o] / medians[t],
                _ => f64::NAN,
            };
            println!(" {ratio:>13.2}");
        }
    }
}
