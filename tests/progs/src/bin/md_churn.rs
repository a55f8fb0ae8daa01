// SPDX-License-Identifier: GPL-2.0
//! md_churn DEVICE COUNT [stop] [retry]: open and close DEVICE COUNT times,
//! each open creating the array anew (the previous one goes with its last
//! close; with "stop", STOP_ARRAY before each close, which the C md needs to
//! let an array go), and print "cycles: N failed: N seconds: S rate: R/s".
//! With "retry", an open that fails with ENODEV or ENXIO (the old array is
//! still going away) is tried again, as a user-space program would have to
//! without the kernel's retry, and the retries are counted. Exit 1 if any
//! cycle failed.

use rust_md_test_progs::*;
use std::fs::File;
use std::process::exit;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stop = args.iter().skip(3).any(|a| a == "stop");
    let retry = args.iter().skip(3).any(|a| a == "retry");
    if args.len() < 3 || args.iter().skip(3).any(|a| a != "stop" && a != "retry") {
        eprintln!("usage: md_churn DEVICE COUNT [stop] [retry]");
        exit(2);
    }
    let mut retries = 0u64;
    let count: u64 = args[2].parse().unwrap_or(0);
    let start = Instant::now();
    let mut failed = 0u64;
    for _ in 0..count {
        let result = loop {
            match File::open(&args[1]) {
                Err(e) if retry && matches!(errno_of(&e), 6 | 19) && retries < 10_000_000 => {
                    retries += 1;
                }
                r => break r,
            }
        }
        .map_err(|e| errno_of(&e))
        .and_then(|f| {
            if stop {
                md_ioctl(&f, STOP_ARRAY, None).map(drop)
            } else {
                Ok(())
            }
        });
        if let Err(e) = result {
            failed += 1;
            if failed <= 5 {
                eprintln!("md_churn: {}", errno_name(e));
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "cycles: {count} failed: {failed} seconds: {secs:.2} rate: {:.1}/s{}",
        count as f64 / secs.max(1e-9),
        if retry {
            format!(" user-space retries: {retries}")
        } else {
            String::new()
        }
    );
    exit(i32::from(failed != 0));
}
