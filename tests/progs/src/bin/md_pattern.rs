// SPDX-License-Identifier: GPL-2.0
//! md_pattern MODE DEVICE [KEY=VALUE ...]: write, verify or checksum a
//! deterministic data pattern on a block device.
//!
//! The pattern belongs to an array: each 512-byte sector of it is derived
//! from (seed, the sector's absolute number in the ARRAY). Its first 16
//! bytes are the seed and the array sector number (little endian), the rest
//! pseudo-random from both, so that a misplaced sector says where it came
//! from.
//!
//! Modes:
//!   write    write the pattern to DEVICE[off, off+len)
//!   zero     write zeros there instead (wiping superblocks)
//!   zeroed   check that DEVICE[off, off+len) holds only zeros
//!   verify   read DEVICE[off, off+len) and compare it with the pattern
//!   peek     print seed and array sector found at DEVICE offset off
//!   sum      print an FNV-1a 64 hash of DEVICE[off, off+len)
//!   acked    print the byte count a journal (see journal=) holds; DEVICE
//!            is the journal
//! Keys (sizes take k/m/g suffixes, binary, or s for sectors):
//!   seed=N   the pattern's seed (default 1)
//!   off=N    byte offset on DEVICE (default 0)
//!   len=N    bytes (default: to the end of DEVICE)
//!   aoff=N   the array byte offset that DEVICE offset off holds (default:
//!            off, i.e. DEVICE is the array itself). For a member, the
//!            array offset of the data found at the member's off.
//!   bs=N     request size (default 64k); requests start at off and follow
//!            each other, so with an unaligned off or bs they straddle chunks
//!   direct=1 O_DIRECT (off and bs must then be sector multiples)
//!   nosync=1 no fsync after writing
//!   journal=PATH  (write) after each request, fdatasync DEVICE, then
//!            record the bytes written so far in PATH's first sector
//!            (O_DIRECT, O_DSYNC): what survives a crash of the machine
//!            says which part of the pattern the device had acknowledged
//! Output: "ok <mode> N bytes" (and the hash for sum); on a mismatch the
//! first few differing sectors and their count, exit 1. Errno names on
//! failed system calls, exit 1; 2 on bad usage. Buffered reads drop the
//! device's page cache first (BLKFLSBUF), so they read the device.

use rust_md_test_progs::*;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::process::exit;

const SECTOR: u64 = 512;

fn usage() -> ! {
    eprintln!("usage: md_pattern write|zero|verify|zeroed|peek|sum|acked DEVICE [seed=N off=N len=N aoff=N bs=N direct=1 nosync=1 journal=PATH]");
    exit(2);
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The 512 bytes of array sector `sector` for `seed`.
fn sector_data(seed: u64, sector: u64, out: &mut [u8]) {
    out[0..8].copy_from_slice(&seed.to_le_bytes());
    out[8..16].copy_from_slice(&sector.to_le_bytes());
    let mut s = splitmix(seed ^ splitmix(sector));
    for chunk in out[16..512].chunks_mut(8) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let b = s.to_le_bytes();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
}

/// Fills `buf` with the pattern of the array bytes [apos, apos+buf.len()).
fn fill(seed: u64, apos: u64, buf: &mut [u8]) {
    let mut sec = [0u8; 512];
    let mut done = 0usize;
    while done < buf.len() {
        let a = apos + done as u64;
        let (s, within) = (a / SECTOR, (a % SECTOR) as usize);
        sector_data(seed, s, &mut sec);
        let n = (512 - within).min(buf.len() - done);
        buf[done..done + n].copy_from_slice(&sec[within..within + n]);
        done += n;
    }
}

fn fail(what: &str, e: i32) -> ! {
    println!("{what} {}", errno_name(e));
    exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        usage();
    }
    let (mode, dev) = (args[1].as_str(), args[2].as_str());
    let (mut seed, mut off, mut len, mut aoff, mut bs) = (1u64, 0u64, None, None, 65536u64);
    let (mut direct, mut nosync) = (false, false);
    let mut journal: Option<File> = None;
    for kv in &args[3..] {
        let (k, v) = kv.split_once('=').unwrap_or_else(|| usage());
        if k == "journal" {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(O_DIRECT | O_DSYNC)
                .open(v)
                .unwrap_or_else(|e| fail("open journal", errno_of(&e)));
            journal = Some(f);
            continue;
        }
        let n = parse_size(v).unwrap_or_else(|| usage());
        match k {
            "seed" => seed = n,
            "off" => off = n,
            "len" => len = Some(n),
            "aoff" => aoff = Some(n),
            "bs" => bs = n,
            "direct" => direct = n != 0,
            "nosync" => nosync = n != 0,
            _ => usage(),
        }
    }
    if bs == 0
        || !matches!(
            mode,
            "write" | "zero" | "verify" | "zeroed" | "peek" | "sum" | "acked"
        )
        || (journal.is_some() && mode != "write")
    {
        usage();
    }
    let aoff = aoff.unwrap_or(off);
    let mut opts = OpenOptions::new();
    opts.read(true).write(mode == "write" || mode == "zero");
    if direct {
        opts.custom_flags(O_DIRECT);
    }
    let file: File = opts
        .open(dev)
        .unwrap_or_else(|e| fail("open", errno_of(&e)));
    let size = {
        let mut b = [0u8; 8];
        // BLKGETSIZE64
        md_ioctl(&file, 0x8008_1272, Some(&mut b)).unwrap_or_else(|e| fail("BLKGETSIZE64", e));
        u64::from_ne_bytes(b)
    };
    if mode == "acked" {
        let mut b = AlignedBuf::new(4096);
        file.read_exact_at(b.bytes_mut(), 0)
            .unwrap_or_else(|e| fail("read", errno_of(&e)));
        let n = u64::from_le_bytes(b.bytes()[0..8].try_into().unwrap());
        println!("{n}");
        return;
    }
    if mode == "peek" {
        let mut b = AlignedBuf::new(4096);
        let base = off & !4095;
        file.read_exact_at(b.bytes_mut(), base)
            .unwrap_or_else(|e| fail("read", errno_of(&e)));
        let at = (off - base) as usize & !511;
        let s = &b.bytes()[at..at + 16];
        println!(
            "ok peek seed={} sector={}",
            u64::from_le_bytes(s[0..8].try_into().unwrap()),
            u64::from_le_bytes(s[8..16].try_into().unwrap())
        );
        return;
    }
    let len = len.unwrap_or(size.saturating_sub(off));
    if off.checked_add(len).is_none_or(|end| end > size) {
        println!("range {off}+{len} beyond the device's {size} bytes");
        exit(1);
    }
    if !direct && mode != "write" && mode != "zero" {
        // Read the device, not what an earlier buffered write left cached.
        md_ioctl(&file, BLKFLSBUF, None).unwrap_or_else(|e| fail("BLKFLSBUF", e));
    }
    let mut buf = AlignedBuf::new(bs as usize);
    let mut want = vec![0u8; bs as usize];
    let (mut pos, mut bad_sectors, mut shown) = (0u64, 0u64, 0);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    while pos < len {
        let n = bs.min(len - pos) as usize;
        let at = off + pos;
        match mode {
            "write" | "zero" => {
                if mode == "zero" {
                    buf.bytes_mut()[..n].fill(0);
                } else {
                    fill(seed, aoff + pos, &mut buf.bytes_mut()[..n]);
                }
                file.write_all_at(&buf.bytes()[..n], at)
                    .unwrap_or_else(|e| fail(&format!("write at {at}"), errno_of(&e)));
                if let Some(j) = &journal {
                    file.sync_data()
                        .unwrap_or_else(|e| fail("fdatasync", errno_of(&e)));
                    let mut rec = AlignedBuf::new(4096);
                    rec.bytes_mut()[0..8].copy_from_slice(&(pos + n as u64).to_le_bytes());
                    j.write_all_at(rec.bytes(), 0)
                        .unwrap_or_else(|e| fail("journal write", errno_of(&e)));
                }
            }
            _ => {
                file.read_exact_at(&mut buf.bytes_mut()[..n], at)
                    .unwrap_or_else(|e| fail(&format!("read at {at}"), errno_of(&e)));
            }
        }
        if mode == "sum" {
            for &c in &buf.bytes()[..n] {
                hash = (hash ^ u64::from(c)).wrapping_mul(0x100_0000_01b3);
            }
        }
        if mode == "zeroed" {
            if let Some(i) = buf.bytes()[..n].iter().position(|&c| c != 0) {
                println!("not zero at {dev} byte {}", at + i as u64);
                exit(1);
            }
        }
        if mode == "verify" {
            fill(seed, aoff + pos, &mut want[..n]);
            let got = &buf.bytes()[..n];
            if got != &want[..n] {
                // Count and show differing pieces, sector by sector of the array.
                let mut i = 0usize;
                while i < n {
                    let a = aoff + pos + i as u64;
                    let piece = ((SECTOR - a % SECTOR) as usize).min(n - i);
                    if got[i..i + piece] != want[i..i + piece] {
                        bad_sectors += 1;
                        if shown < 4 {
                            shown += 1;
                            let hdr = a.is_multiple_of(SECTOR) && piece >= 16;
                            let found = if hdr {
                                format!(
                                    " (found seed={} sector={})",
                                    u64::from_le_bytes(got[i..i + 8].try_into().unwrap()),
                                    u64::from_le_bytes(got[i + 8..i + 16].try_into().unwrap())
                                )
                            } else {
                                String::new()
                            };
                            println!(
                                "# mismatch at {dev} byte {} = array byte {a} (sector {}){found}",
                                at + i as u64,
                                a / SECTOR
                            );
                        }
                    }
                    i += piece;
                }
            }
        }
        pos += n as u64;
    }
    if (mode == "write" || mode == "zero") && !nosync {
        file.sync_all()
            .unwrap_or_else(|e| fail("fsync", errno_of(&e)));
    }
    if bad_sectors != 0 {
        println!("mismatch: {bad_sectors} sectors differ in {len} bytes at {dev} offset {off}");
        exit(1);
    }
    match mode {
        "sum" => println!("ok sum {len} bytes {hash:016x}"),
        _ => println!("ok {mode} {len} bytes"),
    }
}
