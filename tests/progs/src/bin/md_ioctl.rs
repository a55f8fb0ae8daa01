// SPDX-License-Identifier: GPL-2.0
//! md_ioctl DEVICE COMMAND [ARGS] [, COMMAND [ARGS]]...: issue md ioctls on
//! one open of DEVICE and print, per command, "ok" (and any result) or the
//! errno name; exit 0 if all succeeded, 1 on an errno, 2 on bad usage.
//!
//! Commands:
//!   version                     RAID_VERSION: "ok MAJ.MIN.PATCH"
//!   array-info                  GET_ARRAY_INFO: "ok field=value ..." (every
//!                               field of mdu_array_info_t, md's names)
//!   disk-info N                 GET_DISK_INFO of number N: "ok number=N
//!                               major=M minor=m raid_disk=R state=S"
//!   set-version MAJOR MINOR     SET_ARRAY_INFO, the version-only form
//!   set-array-info FIELD=V ...  SET_ARRAY_INFO with the named fields of
//!                               mdu_array_info_t (the rest 0), e.g. level=0
//!                               raid_disks=2 chunk_size=65536 (--build)
//!   add-disk MAJ:MIN [NUMBER RAID_DISK STATE]
//!                               ADD_NEW_DISK (state: md's bits, 6 = ACTIVE|SYNC)
//!   run, stop, stop-ro, restart-rw
//!   bitmap-file                 GET_BITMAP_FILE: "ok path=<path>"
//!   hot-remove MAJ:MIN, set-faulty MAJ:MIN
//!   bad-ioctl                   an unknown md ioctl number
//!   raw NUMBER [ARG]            any ioctl number with an integer argument
//!   bad-ptr CMD [ADDR]          CMD (array-info, disk-info, set-array-info,
//!                               add-disk, bitmap-file) with an unmapped
//!                               argument address (default 0x10)
//!   short-buf CMD BYTES         CMD with an argument of which only BYTES
//!                               are mapped: the structure runs into an
//!                               unmapped page
//!   null CMD                    CMD with a null argument

use rust_md_test_progs::*;
use std::fs::{File, OpenOptions};
use std::process::exit;

const ARRAY_FIELDS: [&str; 18] = [
    "major_version",
    "minor_version",
    "patch_version",
    "ctime",
    "level",
    "size",
    "nr_disks",
    "raid_disks",
    "md_minor",
    "not_persistent",
    "utime",
    "state",
    "active_disks",
    "working_disks",
    "failed_disks",
    "spare_disks",
    "layout",
    "chunk_size",
];

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn munmap(addr: *mut u8, len: usize) -> i32;
}

fn usage() -> ! {
    eprintln!("usage: md_ioctl DEVICE COMMAND [ARGS] (see the source for the commands)");
    exit(2);
}

fn word(buf: &[u8], i: usize) -> i32 {
    i32::from_ne_bytes(buf[i * 4..i * 4 + 4].try_into().unwrap())
}

fn set_word(buf: &mut [u8], i: usize, v: i32) {
    buf[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
}

fn num(s: &str) -> i32 {
    let v = if let Some(h) = s.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else {
        s.parse::<i64>().ok()
    };
    match v {
        Some(v) => v as i32,
        None => usage(),
    }
}

fn devnum(s: &str) -> (u32, u32) {
    parse_devnum(s).unwrap_or_else(|| usage())
}

/// The request and argument size of a command that takes a structure.
fn struct_cmd(cmd: &str) -> (u64, usize) {
    match cmd {
        "array-info" => (GET_ARRAY_INFO, 72),
        "disk-info" => (GET_DISK_INFO, 20),
        "set-array-info" => (SET_ARRAY_INFO, 72),
        "add-disk" => (ADD_NEW_DISK, 20),
        "bitmap-file" => (GET_BITMAP_FILE, 4096),
        "run" => (RUN_ARRAY, 12),
        _ => usage(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        usage();
    }
    let file = match OpenOptions::new().read(true).open(&args[1]) {
        Ok(f) => f,
        Err(e) => {
            println!("open {}", errno_name(errno_of(&e)));
            exit(1);
        }
    };
    let mut failed = false;
    for cmd in args[2..].split(|a| a == ",") {
        if cmd.is_empty() {
            usage();
        }
        match run(&file, &cmd[0], &cmd[1..]) {
            Ok(s) if s.is_empty() => println!("ok"),
            Ok(s) => println!("ok {s}"),
            Err(e) => {
                println!("{}", errno_name(e));
                failed = true;
            }
        }
    }
    exit(i32::from(failed));
}

/// One command: its output after "ok", or the errno.
fn run(file: &File, cmd: &str, rest: &[String]) -> Result<String, i32> {
    let mut buf = [0u8; 72];
    match (cmd, rest.len()) {
        ("version", 0) => md_ioctl(file, RAID_VERSION, Some(&mut buf[..12]))
            .map(|_| format!("{}.{}.{}", word(&buf, 0), word(&buf, 1), word(&buf, 2))),
        ("array-info", 0) => md_ioctl(file, GET_ARRAY_INFO, Some(&mut buf)).map(|_| {
            let mut s = String::new();
            for (i, name) in ARRAY_FIELDS.iter().enumerate() {
                let v = word(&buf, i);
                if !s.is_empty() {
                    s.push(' ');
                }
                if *name == "ctime" || *name == "utime" {
                    s += &format!("{name}={}", v as u32);
                } else {
                    s += &format!("{name}={v}");
                }
            }
            s
        }),
        ("disk-info", 1) => {
            let mut d = [0u8; 20];
            set_word(&mut d, 0, num(&rest[0]));
            md_ioctl(file, GET_DISK_INFO, Some(&mut d)).map(|_| {
                format!(
                    "number={} major={} minor={} raid_disk={} state={}",
                    word(&d, 0),
                    word(&d, 1),
                    word(&d, 2),
                    word(&d, 3),
                    word(&d, 4)
                )
            })
        }
        ("set-version", 2) => {
            set_word(&mut buf, 0, num(&rest[0]));
            set_word(&mut buf, 1, num(&rest[1]));
            md_ioctl(file, SET_ARRAY_INFO, Some(&mut buf)).map(|_| String::new())
        }
        ("set-array-info", _) => {
            for kv in rest {
                let (k, v) = kv.split_once('=').unwrap_or_else(|| usage());
                let i = ARRAY_FIELDS
                    .iter()
                    .position(|f| *f == k)
                    .unwrap_or_else(|| usage());
                set_word(&mut buf, i, num(v));
            }
            md_ioctl(file, SET_ARRAY_INFO, Some(&mut buf)).map(|_| String::new())
        }
        ("add-disk", 1) | ("add-disk", 4) => {
            let (ma, mi) = devnum(&rest[0]);
            let mut d = [0u8; 20];
            set_word(&mut d, 1, ma as i32);
            set_word(&mut d, 2, mi as i32);
            if rest.len() == 4 {
                set_word(&mut d, 0, num(&rest[1]));
                set_word(&mut d, 3, num(&rest[2]));
                set_word(&mut d, 4, num(&rest[3]));
            }
            md_ioctl(file, ADD_NEW_DISK, Some(&mut d)).map(|_| String::new())
        }
        ("run", 0) => md_ioctl(file, RUN_ARRAY, None).map(|_| String::new()),
        ("stop", 0) => md_ioctl(file, STOP_ARRAY, None).map(|_| String::new()),
        ("stop-ro", 0) => md_ioctl(file, STOP_ARRAY_RO, None).map(|_| String::new()),
        ("restart-rw", 0) => md_ioctl(file, RESTART_ARRAY_RW, None).map(|_| String::new()),
        ("bitmap-file", 0) => {
            let mut b = vec![0u8; 4096];
            md_ioctl(file, GET_BITMAP_FILE, Some(&mut b)).map(|_| {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                format!("path={}", String::from_utf8_lossy(&b[..end]))
            })
        }
        ("hot-remove", 1) => {
            let (ma, mi) = devnum(&rest[0]);
            raw_ioctl(file, HOT_REMOVE_DISK, makedev(ma, mi) as usize).map(|_| String::new())
        }
        ("set-faulty", 1) => {
            let (ma, mi) = devnum(&rest[0]);
            raw_ioctl(file, SET_DISK_FAULTY, makedev(ma, mi) as usize).map(|_| String::new())
        }
        ("bad-ioctl", 0) => md_ioctl(file, (9 << 8) | 0x7f, None).map(|_| String::new()),
        ("raw", 1) | ("raw", 2) => {
            let req = num(&rest[0]) as u32 as u64;
            let arg = rest.get(1).map_or(0, |a| num(a) as u32 as usize);
            raw_ioctl(file, req, arg).map(|_| String::new())
        }
        ("bad-ptr", 1) | ("bad-ptr", 2) => {
            let (req, _) = struct_cmd(&rest[0]);
            let addr = rest.get(1).map_or(0x10, |a| {
                let v = match a.strip_prefix("0x") {
                    Some(h) => u64::from_str_radix(h, 16).ok(),
                    None => a.parse::<u64>().ok(),
                };
                v.unwrap_or_else(|| usage()) as usize
            });
            raw_ioctl(file, req, addr).map(|_| String::new())
        }
        ("null", 1) => {
            let (req, _) = struct_cmd(&rest[0]);
            raw_ioctl(file, req, 0).map(|_| String::new())
        }
        ("short-buf", 2) => {
            let (req, _) = struct_cmd(&rest[0]);
            let mapped: usize = rest[1].parse().unwrap_or_else(|_| usage());
            // Two pages, the second unmapped again: the argument is the
            // last `mapped` bytes of the first one (zeroed).
            // SAFETY: anonymous private mapping; we only pass its address.
            let p = unsafe { mmap(std::ptr::null_mut(), 8192, 3, 0x22, -1, 0) };
            if p as isize == -1 || mapped > 4096 {
                eprintln!("md_ioctl: mmap failed");
                exit(2);
            }
            // SAFETY: the second page of our own mapping.
            unsafe { munmap(p.add(4096), 4096) };
            raw_ioctl(file, req, p as usize + 4096 - mapped).map(|_| String::new())
        }
        _ => usage(),
    }
}
