// SPDX-License-Identifier: GPL-2.0
//! md_race: processes open and close /dev/mdN in a loop while another
//! stops, clears or re-creates it, for a bounded time; then every process
//! reports what its calls returned, errno by errno.
//!
//! usage: md_race DEVICE UNIT OPENERS SECONDS STOPPER
//!   STOPPER: clear (array_state), stop (STOP_ARRAY), new_array, or all
//! Output: "# <who>: <calls> calls, <ok> ok, <ERRNO>=<n> ..." per process,
//! then "opens: N ok: N failed: N" summed over the openers; exit 0.
//! (md_race opener DEVICE SECONDS and md_race stopper ... are the children.)

use rust_md_test_progs::*;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::process::{exit, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Tally {
    calls: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn record(&mut self, r: Result<(), i32>) {
        self.calls += 1;
        match r {
            Ok(()) => self.ok += 1,
            Err(e) => *self.errors.entry(errno_name(e)).or_default() += 1,
        }
    }

    fn line(&self, who: &str) -> String {
        let mut s = format!("# {who}: {} calls, {} ok", self.calls, self.ok);
        for (e, n) in &self.errors {
            s += &format!(", {e}={n}");
        }
        s
    }
}

fn write_file(path: &str, text: &str) -> Result<(), i32> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| errno_of(&e))?;
    f.write_all(text.as_bytes()).map_err(|e| errno_of(&e))
}

fn opener(dev: &str, deadline: Instant) -> Tally {
    let mut t = Tally::default();
    while Instant::now() < deadline {
        t.record(File::open(dev).map(drop).map_err(|e| errno_of(&e)));
    }
    t
}

fn stopper(dev: &str, unit: &str, mode: &str, deadline: Instant) -> Tally {
    let mut t = Tally::default();
    let state = format!("/sys/block/md{unit}/md/array_state");
    let mut round = 0u64;
    while Instant::now() < deadline {
        let m = match mode {
            "all" => ["clear", "stop", "new_array"][(round % 3) as usize],
            m => m,
        };
        round += 1;
        let r = match m {
            "clear" => write_file(&state, "clear"),
            "stop" => match File::open(dev) {
                Ok(f) => md_ioctl(&f, STOP_ARRAY, None).map(drop),
                Err(e) => Err(errno_of(&e)),
            },
            "new_array" => write_file(
                "/sys/module/md_mod/parameters/new_array",
                &format!("md{unit}"),
            )
            .and_then(|()| write_file(&state, "clear")),
            _ => {
                eprintln!("md_race: unknown stopper {m}");
                exit(2);
            }
        };
        t.record(r);
        std::thread::yield_now();
    }
    t
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("opener") if args.len() == 4 => {
            let secs: u64 = args[3].parse().unwrap_or(1);
            let t = opener(&args[2], Instant::now() + Duration::from_secs(secs));
            println!("{} {}", t.calls, t.ok);
            println!("{}", t.line("opener"));
            for (e, n) in &t.errors {
                println!("{e} {n}");
            }
            return;
        }
        Some("stopper") if args.len() == 6 => {
            let secs: u64 = args[5].parse().unwrap_or(1);
            let t = stopper(
                &args[2],
                &args[3],
                &args[4],
                Instant::now() + Duration::from_secs(secs),
            );
            println!("{}", t.line(&format!("stopper ({})", args[4])));
            return;
        }
        _ => {}
    }
    if args.len() != 6 {
        eprintln!("usage: md_race DEVICE UNIT OPENERS SECONDS clear|stop|new_array|all");
        exit(2);
    }
    let (dev, unit, secs, mode) = (&args[1], &args[2], &args[4], &args[5]);
    let openers: usize = args[3].parse().unwrap_or(4);
    let me = std::env::current_exe().expect("own path");
    let spawn = |a: &[&str]| {
        Command::new(&me)
            .args(a)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let children: Vec<_> = (0..openers)
        .map(|_| spawn(&["opener", dev, secs]))
        .collect();
    let stop = spawn(&["stopper", dev, unit, mode, secs]);

    let (mut calls, mut ok) = (0u64, 0u64);
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for c in children {
        let out = c.wait_with_output().expect("opener output");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        if let Some(first) = lines.next() {
            let mut f = first.split(' ').map(|n| n.parse::<u64>().unwrap_or(0));
            calls += f.next().unwrap_or(0);
            ok += f.next().unwrap_or(0);
        }
        for l in lines {
            if l.starts_with('#') {
                println!("{l}");
            } else if let Some((e, n)) = l.split_once(' ') {
                *errors.entry(e.to_string()).or_default() += n.parse::<u64>().unwrap_or(0);
            }
        }
    }
    let out = stop.wait_with_output().expect("stopper output");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    let mut line = format!("opens: {calls} ok: {ok} failed: {}", calls - ok);
    for (e, n) in &errors {
        line += &format!(" {e}={n}");
    }
    println!("{line}");
}
