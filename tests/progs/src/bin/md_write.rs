// SPDX-License-Identifier: GPL-2.0
//! md_write FILE TEXT [FILE TEXT]...: write each TEXT to its FILE (a sysfs
//! attribute or module parameter) in one write(2) and print, per pair, "ok"
//! or the errno name; exit 0 if all succeeded, 1 on an errno.

use rust_md_test_progs::*;
use std::fs::OpenOptions;
use std::io::Write;
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || !args.len().is_multiple_of(2) {
        eprintln!("usage: md_write FILE TEXT [FILE TEXT]...");
        exit(2);
    }
    let mut failed = false;
    for pair in args.chunks(2) {
        let result = OpenOptions::new()
            .write(true)
            .open(&pair[0])
            .and_then(|mut f| f.write_all(pair[1].as_bytes()));
        match result {
            Ok(()) => println!("ok"),
            Err(e) => {
                println!("{}", errno_name(errno_of(&e)));
                failed = true;
            }
        }
    }
    exit(i32::from(failed));
}
