// SPDX-License-Identifier: GPL-2.0
//! md_attr_loop FILE SECONDS read WORD... | write TEXT: read FILE (a sysfs
//! attribute) over and over for SECONDS, counting answers that are one of
//! the WORDs, answers that are not, and errnos; or write TEXT to it over
//! and over, counting errnos. Prints one line:
//! "calls: N ok: N bad: N <ERRNO>=N ..."; exits 1 if any answer was bad.

use rust_md_test_progs::*;
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::process::exit;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 || (args[3] != "read" && args[3] != "write") {
        eprintln!("usage: md_attr_loop FILE SECONDS read WORD... | write TEXT");
        exit(2);
    }
    let secs: u64 = args[2].parse().unwrap_or(1);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut calls, mut ok, mut bad) = (0u64, 0u64, 0u64);
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    while Instant::now() < deadline {
        calls += 1;
        let result = if args[3] == "read" {
            fs::read_to_string(&args[1]).map(|s| {
                if args[4..].iter().any(|w| s == format!("{w}\n")) {
                    ok += 1;
                } else {
                    bad += 1;
                    eprintln!("md_attr_loop: unexpected {s:?}");
                }
            })
        } else {
            OpenOptions::new()
                .write(true)
                .open(&args[1])
                .and_then(|mut f| f.write_all(args[4].as_bytes()))
                .map(|()| ok += 1)
        };
        if let Err(e) = result {
            *errors.entry(errno_name(errno_of(&e))).or_default() += 1;
        }
    }
    let mut line = format!("calls: {calls} ok: {ok} bad: {bad}");
    for (e, n) in &errors {
        line += &format!(" {e}={n}");
    }
    println!("{line}");
    exit(i32::from(bad != 0));
}
