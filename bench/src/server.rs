//! Starting a real `peba serve` process and reading its memory use.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `peba` binary: `$PEBA_BIN`, else `peba` beside this executable (built by
/// `cargo build --release --workspace`), else this executable itself, which runs peba's own
/// command line when called as `peba-bench peba …`.
pub fn peba_binary() -> (PathBuf, bool) {
    if let Some(path) = std::env::var_os("PEBA_BIN") {
        return (PathBuf::from(path), false);
    }
    let me = std::env::current_exe().expect("current executable");
    let sibling = me.with_file_name("peba");
    if sibling.is_file() {
        return (sibling, false);
    }
    (me, true)
}

/// A running `peba serve`.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    /// Starts `peba serve` on a free loopback port with `data_dir` and the given settings
    /// (`key=value`); for the Elasticsearch store pass `elasticsearch_host`.
    pub fn start(data_dir: &Path, settings: &[(String, String)]) -> Server {
        let (binary, via_self) = peba_binary();
        let mut command = Command::new(&binary);
        if via_self {
            command.arg("peba");
        }
        command
            .arg("serve")
            .arg("--bind")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir);
        for (key, value) in settings {
            command.arg("--set").arg(format!("{key}={value}"));
        }
        command.env(
            "PEBA_LOG",
            std::env::var("PEBA_LOG").unwrap_or_else(|_| "warn".into()),
        );
        for (key, _) in std::env::vars() {
            if key.starts_with("PEBA_") && key != "PEBA_LOG" && key != "PEBA_BIN" {
                command.env_remove(key);
            }
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("peba prints its address");
        let addr = line
            .trim()
            .strip_prefix(peba::cli::LISTENING)
            .unwrap_or_else(|| panic!("peba did not start: {line:?}"))
            .parse()
            .expect("an address");
        Server { addr, child }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (VmHWM), in KiB.
    pub fn peak_kib(&self) -> u64 {
        status_kib(self.pid(), "VmHWM:")
    }

    /// Current resident memory (VmRSS), in KiB.
    pub fn rss_kib(&self) -> u64 {
        status_kib(self.pid(), "VmRSS:")
    }

    /// Kills the process at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// CPU time (user and system) a process has used so far, in seconds (`/proc/<pid>/stat`,
/// counted in USER_HZ = 100 ticks per second on Linux; 0 when unreadable).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// A `/proc/<pid>/status` value in KiB (0 when unreadable).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix(field)
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

/// What this machine is: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = status_line("/proc/meminfo", "MemTotal:");
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    format!("{cpu}, {cores} cores, {mem} memory, Linux {kernel}")
}

fn status_line(path: &str, field: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field).map(|v| v.trim().to_owned()))
        })
        .map(|v| {
            v.trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .map_or(v.clone(), |kib| {
                    format!("{:.1} GiB", kib as f64 / 1_048_576.0)
                })
        })
        .unwrap_or_default()
}

/// The one-minute load average (0 when unreadable).
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}
