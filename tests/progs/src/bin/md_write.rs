// SPDX-License-Identifier: GPL-2.0
//! md_write FILE TEXT: write TEXT to FILE (a sysfs attribute or module
//! parameter) in one write(2) and print "ok" or the errno name; exit 0 on
//! success, 1 on an errno.

use rust_md_test_progs::*;
use std::fs::OpenOptions;
use std::io::Write;
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: md_write FILE TEXT");
        exit(2);
    }
    let result = OpenOptions::new()
        .write(true)
        .open(&args[1])
        .and_then(|mut f| f.write_all(args[2].as_bytes()));
    match result {
        Ok(()) => println!("ok"),
        Err(e) => {
            println!("{}", errno_name(errno_of(&e)));
            exit(1);
        }
    }
}
