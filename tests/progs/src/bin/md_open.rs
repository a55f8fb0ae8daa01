// SPDX-License-Identifier: GPL-2.0
//! md_open [excl] [rw] [direct] [write] DEVICE...: open each DEVICE with
//! those flags (O_EXCL, O_RDWR, O_DIRECT), optionally write its first 4 KiB
//! back unchanged (write: needs rw), close it, and print one line per
//! device: "ok" or the errno name of the step that failed ("open EBUSY",
//! "write EPERM"); exit 0 if all succeeded, else 1. An O_EXCL open of a
//! block device fails with EBUSY while another holder (an md array)
//! claims it.

use rust_md_test_progs::*;
use std::fs::OpenOptions;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::process::exit;

const FLAGS: [&str; 4] = ["excl", "rw", "direct", "write"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |f: &str| args.iter().any(|a| a == f);
    let devs: Vec<&String> = args
        .iter()
        .filter(|a| !FLAGS.contains(&a.as_str()))
        .collect();
    if devs.is_empty() {
        eprintln!("usage: md_open [excl] [rw] [direct] [write] DEVICE...");
        exit(2);
    }
    let mut custom = 0;
    if has("excl") {
        custom |= O_EXCL;
    }
    if has("direct") {
        custom |= O_DIRECT;
    }
    let mut failed = false;
    for dev in devs {
        let result = OpenOptions::new()
            .read(true)
            .write(has("rw"))
            .custom_flags(custom)
            .open(dev)
            .map_err(|e| format!("open {}", errno_name(errno_of(&e))))
            .and_then(|file| {
                if !has("write") {
                    return Ok(());
                }
                let mut b = AlignedBuf::new(4096);
                file.read_exact_at(b.bytes_mut(), 0)
                    .and_then(|_| file.write_all_at(b.bytes(), 0))
                    .and_then(|_| file.sync_all())
                    .map_err(|e| format!("write {}", errno_name(errno_of(&e))))
            });
        match result {
            Ok(()) => println!("ok"),
            Err(s) => {
                println!("{s}");
                failed = true;
            }
        }
    }
    exit(i32::from(failed));
}
