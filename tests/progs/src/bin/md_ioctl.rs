// SPDX-License-Identifier: GPL-2.0
//! md_ioctl DEVICE COMMAND [ARGS]: issue one md ioctl on its own open of
//! DEVICE and print "ok" (and any result) or the errno name; exit 0 on
//! success, 1 on an errno, 2 on bad usage.
//!
//! Commands: version, array-info, set-version MAJOR MINOR, run, stop, stop-ro,
//! bad-ioctl (an unknown md ioctl number).

use rust_md_test_progs::*;
use std::fs::OpenOptions;
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: md_ioctl DEVICE version|array-info|set-version MAJ MIN|run|stop|stop-ro|bad-ioctl");
        exit(2);
    }
    let file = match OpenOptions::new().read(true).open(&args[1]) {
        Ok(f) => f,
        Err(e) => {
            println!("open {}", errno_name(errno_of(&e)));
            exit(1);
        }
    };
    let mut buf = [0u8; 72];
    let result = match args[2].as_str() {
        "version" => md_ioctl(&file, RAID_VERSION, Some(&mut buf[..12])).map(|_| {
            let f = |i: usize| i32::from_ne_bytes(buf[i * 4..i * 4 + 4].try_into().unwrap());
            format!("{}.{}.{}", f(0), f(1), f(2))
        }),
        "array-info" => md_ioctl(&file, GET_ARRAY_INFO, Some(&mut buf)).map(|_| {
            let f = |i: usize| i32::from_ne_bytes(buf[i * 4..i * 4 + 4].try_into().unwrap());
            format!(
                "level={} raid_disks={} md_minor={} ctime={}",
                f(4),
                f(7),
                f(8),
                f(3) as u32
            )
        }),
        "set-version" if args.len() == 5 => {
            let major: i32 = args[3].parse().unwrap_or(-1);
            let minor: i32 = args[4].parse().unwrap_or(-1);
            buf[0..4].copy_from_slice(&major.to_ne_bytes());
            buf[4..8].copy_from_slice(&minor.to_ne_bytes());
            md_ioctl(&file, SET_ARRAY_INFO, Some(&mut buf)).map(|_| String::new())
        }
        "run" => md_ioctl(&file, RUN_ARRAY, None).map(|_| String::new()),
        "stop" => md_ioctl(&file, STOP_ARRAY, None).map(|_| String::new()),
        "stop-ro" => md_ioctl(&file, STOP_ARRAY_RO, None).map(|_| String::new()),
        "bad-ioctl" => md_ioctl(&file, (9 << 8) | 0x7f, None).map(|_| String::new()),
        _ => {
            eprintln!("md_ioctl: unknown command {}", args[2]);
            exit(2);
        }
    };
    match result {
        Ok(s) if s.is_empty() => println!("ok"),
        Ok(s) => println!("ok {s}"),
        Err(e) => {
            println!("{}", errno_name(e));
            exit(1);
        }
    }
}
