// SPDX-License-Identifier: GPL-2.0
//! md_churn DEVICE COUNT [stop]: open and close DEVICE COUNT times, each
//! open creating the array anew (the previous one goes with its last close;
//! with "stop", STOP_ARRAY before each close, which the C md needs to let an
//! array go), and print "cycles: N failed: N seconds: S rate: R/s". Exit 1
//! if any open or stop failed.

use rust_md_test_progs::*;
use std::fs::File;
use std::process::exit;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 && !(args.len() == 4 && args[3] == "stop") {
        eprintln!("usage: md_churn DEVICE COUNT [stop]");
        exit(2);
    }
    let count: u64 = args[2].parse().unwrap_or(0);
    let start = Instant::now();
    let mut failed = 0u64;
    for _ in 0..count {
        let result = File::open(&args[1])
            .map_err(|e| errno_of(&e))
            .and_then(|f| {
                if args.len() == 4 {
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
        "cycles: {count} failed: {failed} seconds: {secs:.2} rate: {:.1}/s",
        count as f64 / secs.max(1e-9)
    );
    exit(i32::from(failed != 0));
}
