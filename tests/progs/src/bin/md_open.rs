// SPDX-License-Identifier: GPL-2.0
//! md_open DEVICE [excl] [rw] [direct] [write]: open DEVICE with those
//! flags (O_EXCL, O_RDWR, O_DIRECT), optionally write its first 4 KiB back
//! unchanged (write: needs rw), and print "ok" or the errno name of the
//! step that failed ("open EBUSY", "write EPERM"); exit 0 or 1.
//! An O_EXCL open of a block device fails with EBUSY while another holder
//! (an md array) claims it.

use rust_md_test_progs::*;
use std::fs::OpenOptions;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flags = &args[2.min(args.len())..];
    if args.len() < 2
        || flags
            .iter()
            .any(|f| !matches!(f.as_str(), "excl" | "rw" | "direct" | "write"))
    {
        eprintln!("usage: md_open DEVICE [excl] [rw] [direct] [write]");
        exit(2);
    }
    let has = |f: &str| flags.iter().any(|a| a == f);
    let mut custom = 0;
    if has("excl") {
        custom |= O_EXCL;
    }
    if has("direct") {
        custom |= O_DIRECT;
    }
    let file = match OpenOptions::new()
        .read(true)
        .write(has("rw"))
        .custom_flags(custom)
        .open(&args[1])
    {
        Ok(f) => f,
        Err(e) => {
            println!("open {}", errno_name(errno_of(&e)));
            exit(1);
        }
    };
    if has("write") {
        let mut b = AlignedBuf::new(4096);
        let r = file
            .read_exact_at(b.bytes_mut(), 0)
            .and_then(|_| file.write_all_at(b.bytes(), 0))
            .and_then(|_| file.sync_all());
        if let Err(e) = r {
            println!("write {}", errno_name(errno_of(&e)));
            exit(1);
        }
    }
    println!("ok");
}
