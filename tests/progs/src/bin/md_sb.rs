// SPDX-License-Identifier: GPL-2.0
//! md_sb DEVICE VERSION COMMAND [ARGS]: read or edit one field of the md
//! superblock on DEVICE, for the corrupted-superblock tests.
//!
//! VERSION: 0.90, 1.0, 1.1 or 1.2 (where the superblock is: 0.90 at the
//! 64 KiB-aligned end, 1.0 at 8-12 KiB from the end, 1.1 at 0, 1.2 at 4 KiB).
//! Commands:
//!   where                 "ok OFFSET" (bytes)
//!   get FIELD...          "ok VALUE..."
//!   set FIELD VALUE       write the field and recompute the checksum
//!   set-raw FIELD VALUE   write the field, keep the old checksum
//!   csum                  "ok stored=X computed=Y" (hex)
//!   save FILE, load FILE  copy the 4 KiB superblock area to FILE, or back
//! FIELD: a name of struct mdp_superblock_1 (magic, major_version,
//! feature_map, pad0, set_uuid, ctime, level, layout, size, chunksize,
//! raid_disks, data_offset, data_size, super_offset, dev_number, utime,
//! events, resync_offset, sb_csum, max_dev, pad3, roleN) or of mdp_super_t
//! (magic, major_version, minor_version, set_uuid0..3, ctime, level, size,
//! nr_disks, raid_disks, md_minor, state, sb_csum, events_lo, events_hi,
//! layout, chunk_size, this_disk_number), or TYPE@OFFSET with TYPE u8, u16,
//! u32, u64 (e.g. u32@8). set_uuid is 32 hex digits. Values: decimal, 0x
//! hex, or negative. The superblock is read and written with O_DIRECT, so
//! the kernel sees exactly what is on the device.

use rust_md_test_progs::*;
use std::fs::OpenOptions;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::process::exit;

fn usage() -> ! {
    eprintln!(
        "usage: md_sb DEVICE 0.90|1.0|1.1|1.2 where|get F...|set F V|set-raw F V|csum|save F|load F"
    );
    exit(2);
}

fn fail(what: &str, e: i32) -> ! {
    println!("{what} {}", errno_name(e));
    exit(1);
}

/// (offset, width in bytes) of a named field.
fn field(v090: bool, name: &str) -> Option<(usize, usize)> {
    if let Some((ty, off)) = name.split_once('@') {
        let w = match ty {
            "u8" => 1,
            "u16" => 2,
            "u32" => 4,
            "u64" => 8,
            _ => return None,
        };
        return Some((parse_size(off)? as usize, w));
    }
    if !v090 {
        if let Some(n) = name.strip_prefix("role") {
            return Some((256 + 2 * n.parse::<usize>().ok()?, 2));
        }
    }
    let table: &[(&str, usize, usize)] = if v090 {
        &[
            ("magic", 0, 4),
            ("major_version", 4, 4),
            ("minor_version", 8, 4),
            ("patch_version", 12, 4),
            ("set_uuid0", 20, 4),
            ("ctime", 24, 4),
            ("level", 28, 4),
            ("size", 32, 4),
            ("nr_disks", 36, 4),
            ("raid_disks", 40, 4),
            ("md_minor", 44, 4),
            ("not_persistent", 48, 4),
            ("set_uuid1", 52, 4),
            ("set_uuid2", 56, 4),
            ("set_uuid3", 60, 4),
            ("utime", 128, 4),
            ("state", 132, 4),
            ("sb_csum", 152, 4),
            ("events_lo", 156, 4),
            ("events_hi", 160, 4),
            ("layout", 256, 4),
            ("chunk_size", 260, 4),
            ("this_disk_number", 3968, 4),
        ]
    } else {
        &[
            ("magic", 0, 4),
            ("major_version", 4, 4),
            ("feature_map", 8, 4),
            ("pad0", 12, 4),
            ("set_uuid", 16, 16),
            ("ctime", 64, 8),
            ("level", 72, 4),
            ("layout", 76, 4),
            ("size", 80, 8),
            ("chunksize", 88, 4),
            ("raid_disks", 92, 4),
            ("bitmap_offset", 96, 4),
            ("data_offset", 128, 8),
            ("data_size", 136, 8),
            ("super_offset", 144, 8),
            ("dev_number", 160, 4),
            ("devflags", 184, 1),
            ("bblog_shift", 185, 1),
            ("bblog_size", 186, 2),
            ("bblog_offset", 188, 4),
            ("utime", 192, 8),
            ("events", 200, 8),
            ("resync_offset", 208, 8),
            ("sb_csum", 216, 4),
            ("max_dev", 220, 4),
            ("pad3", 224, 4),
        ]
    };
    table
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, o, w)| (o, w))
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// md's checksum over the superblock with its sb_csum field taken as 0:
/// the 32-bit words summed in 64 bits, the carry folded in once.
fn checksum(v090: bool, sb: &[u8]) -> u32 {
    let (len, csum_at) = if v090 {
        (4096, 152)
    } else {
        ((256 + 2 * le32(sb, 220) as usize).min(4096), 216)
    };
    let mut sum: u64 = 0;
    let mut o = 0;
    while o + 4 <= len {
        if o != csum_at {
            sum += u64::from(le32(sb, o));
        }
        o += 4;
    }
    if len - o == 2 {
        sum += u64::from(u16::from_le_bytes(sb[o..o + 2].try_into().unwrap()));
    }
    ((sum & 0xffff_ffff) + (sum >> 32)) as u32
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        usage();
    }
    let (dev, version, cmd) = (&args[1], args[2].as_str(), args[3].as_str());
    let v090 = version == "0.90";
    let file = OpenOptions::new()
        .read(true)
        .write(cmd.starts_with("set") || cmd == "load")
        .custom_flags(O_DIRECT)
        .open(dev)
        .unwrap_or_else(|e| fail("open", errno_of(&e)));
    let mut b = [0u8; 8];
    md_ioctl(&file, 0x8008_1272, Some(&mut b)).unwrap_or_else(|e| fail("BLKGETSIZE64", e));
    let sectors = u64::from_ne_bytes(b) / 512;
    let sb_sector = match version {
        "0.90" => (sectors & !127) - 128,
        "1.0" => (sectors - 16) & !7,
        "1.1" => 0,
        "1.2" => 8,
        _ => usage(),
    };
    let at = sb_sector * 512;
    let mut sb = AlignedBuf::new(4096);
    file.read_exact_at(sb.bytes_mut(), at)
        .unwrap_or_else(|e| fail("read", errno_of(&e)));
    match (cmd, args.len()) {
        ("where", 4) => println!("ok {at}"),
        ("csum", 4) => {
            let stored = le32(sb.bytes(), if v090 { 152 } else { 216 });
            let computed = checksum(v090, sb.bytes());
            println!("ok stored={stored:08x} computed={computed:08x}");
        }
        ("save", 5) => {
            std::fs::write(&args[4], sb.bytes()).unwrap_or_else(|e| fail("save", errno_of(&e)));
            println!("ok");
        }
        ("load", 5) => {
            let data = std::fs::read(&args[4]).unwrap_or_else(|e| fail("load", errno_of(&e)));
            if data.len() != 4096 {
                usage();
            }
            sb.bytes_mut().copy_from_slice(&data);
            file.write_all_at(sb.bytes(), at)
                .unwrap_or_else(|e| fail("write", errno_of(&e)));
            file.sync_all()
                .unwrap_or_else(|e| fail("fsync", errno_of(&e)));
            println!("ok");
        }
        ("get", n) if n >= 5 => {
            let mut out = String::from("ok");
            for name in &args[4..] {
                let (o, w) = field(v090, name).unwrap_or_else(|| usage());
                let s = &sb.bytes()[o..o + w];
                if w == 16 {
                    let hex: String = s.iter().map(|c| format!("{c:02x}")).collect();
                    out += &format!(" {hex}");
                } else {
                    let mut v = [0u8; 8];
                    v[..w].copy_from_slice(s);
                    out += &format!(" {}", u64::from_le_bytes(v));
                }
            }
            println!("{out}");
        }
        ("set", 6) | ("set-raw", 6) => {
            let (o, w) = field(v090, &args[4]).unwrap_or_else(|| usage());
            let val = &args[5];
            let s = &mut sb.bytes_mut()[o..o + w];
            if w == 16 {
                if val.len() != 32 {
                    usage();
                }
                for (i, c) in s.iter_mut().enumerate() {
                    *c = u8::from_str_radix(&val[2 * i..2 * i + 2], 16).unwrap_or_else(|_| usage());
                }
            } else {
                let v: u64 = if let Some(n) = val.strip_prefix('-') {
                    (n.parse::<i64>().unwrap_or_else(|_| usage())).wrapping_neg() as u64
                } else {
                    parse_size(val).unwrap_or_else(|| usage())
                };
                s.copy_from_slice(&v.to_le_bytes()[..w]);
            }
            if cmd == "set" {
                let c = checksum(v090, sb.bytes());
                let csum_at = if v090 { 152 } else { 216 };
                sb.bytes_mut()[csum_at..csum_at + 4].copy_from_slice(&c.to_le_bytes());
            }
            file.write_all_at(sb.bytes(), at)
                .unwrap_or_else(|e| fail("write", errno_of(&e)));
            file.sync_all()
                .unwrap_or_else(|e| fail("fsync", errno_of(&e)));
            println!("ok");
        }
        _ => usage(),
    }
}
