// SPDX-License-Identifier: GPL-2.0
//! The resync line of /proc/mdstat, the sync attributes, the speed limits
//! and md_do_sync's throttling: hand-computed cases (md's C arithmetic in
//! the comments), the edges, and equivalence with md's own C code (copied
//! into `C_REFERENCE` below, compiled and run here).
use crate::sync_status::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// A resync of a 1 GiB raid1 (2095104 sectors, 1047552 blocks) at
/// HZ=250, nothing in flight, mark and now equal.
fn progress() -> SyncProgress {
    SyncProgress {
        recovery: Recovery::RUNNING | Recovery::SYNC,
        curr_resync: RESYNC_ACTIVE,
        curr_resync_completed: 0,
        recovery_active: 0,
        resync_max_sectors: 2095104,
        dev_sectors: 2095104,
        resync_offset: 0,
        curr_mark_cnt: 0,
        resync_mark_cnt: 0,
        resync_mark: 1000,
        jiffies: 1000,
        hz: 250,
    }
}

fn mdstat(p: &SyncProgress) -> (String, bool) {
    let mut s = String::new();
    let wrote = write_status_resync(&mut s, p).unwrap();
    (s, wrote)
}

fn text(f: impl FnOnce(&mut String) -> std::fmt::Result) -> String {
    let mut s = String::new();
    f(&mut s).unwrap();
    s
}

#[test]
fn mdstat_resync_in_progress() {
    // The line of a real 6.12 resync.
    // per_milli = (176128 >> 10) * 1000 / ((2095104 >> 10) + 1)
    //           = 172 * 1000 / 2047 = 84 -> " 8.4%", 84 / 50 = 1 '=', 19 '.'.
    // dt = (1750 - 1000) / 250 = 3; db = 180224 - (0 + 48128) = 132096;
    // rt = (2095104 - 176128) / (132096 / 32 + 1) = 1918976 / 4129 = 464;
    // rt = 464 * 3 >> 5 = 43 -> 43 / 60 = 0, (43 % 60) / 6 = 7;
    // speed = 132096 / 2 / 3 = 22016.
    let p = SyncProgress {
        curr_resync: 176128,
        curr_mark_cnt: 180224,
        resync_mark_cnt: 48128,
        jiffies: 1750,
        ..progress()
    };
    assert_eq!(
        mdstat(&p),
        (
            "[=>...................]  resync =  8.4% (88064/1047552) finish=0.7min speed=22016K/sec"
                .into(),
            true
        )
    );
}

#[test]
fn mdstat_start_and_end() {
    // 0%: curr_resync = 3 (MD_RESYNC_ACTIVE), per_milli = (3 >> 10) * 1000
    // / 2047 = 0: no '=', 20 '.'. dt = 0 -> 1; db = 0;
    // rt = 2095101 / (0 / 32 + 1) * 1 >> 5 = 65471 -> 1091 min,
    // (65471 % 60) / 6 = 11 / 6 = 1; speed 0 / 2 / 1 = 0.
    assert_eq!(
        mdstat(&progress()).0,
        "[>....................]  resync =  0.0% (1/1047552) finish=1091.1min speed=0K/sec"
    );
    // The last sector: per_milli = 2046 * 1000 / 2047 = 999: 19 '=', 1 '.'
    // (md never shows 100%). rt = 0. dt = (2000 - 1000) / 100 = 10;
    // db = 2095104 - 2000000 = 95104; speed = 95104 / 2 / 10 = 4755.
    let end = SyncProgress {
        curr_resync: 2095104,
        curr_mark_cnt: 2095104,
        resync_mark_cnt: 2_000_000,
        jiffies: 2000,
        hz: 100,
        ..progress()
    };
    assert_eq!(
        mdstat(&end).0,
        "[===================>.]  resync = 99.9% (1047552/1047552) finish=0.0min speed=4755K/sec"
    );
    // Done, not reaped: curr_resync < 3 with MD_RECOVERY_DONE shows the end.
    let done = SyncProgress {
        recovery: Recovery::RUNNING | Recovery::SYNC | Recovery::DONE,
        curr_resync: RESYNC_NONE,
        ..end
    };
    assert_eq!(mdstat(&done).0, mdstat(&end).0);
    // Past the end: clamped to max_sectors, recovery_active not subtracted.
    let past = SyncProgress {
        curr_resync: 2095104 + 4096,
        recovery_active: 1024,
        curr_mark_cnt: 2095104 + 1024,
        ..end
    };
    assert_eq!(mdstat(&past).0, mdstat(&end).0);
}

#[test]
fn mdstat_recovery_counts_only_completed_sectors() {
    // A recovery: max_sectors = dev_sectors = 2095104 (resync_max_sectors
    // is ignored without SYNC or RESHAPE); resync = 1049576 - 1024.
    // per_milli = (1048552 >> 10) * 1000 / 2047 = 1023000 / 2047 = 499
    // -> "49.9%", 9 '=', 11 '.'. dt = 27500 / 1000 = 27;
    // db = 1049576 - (1024 + 900000) = 148552;
    // rt = 1046552 / (148552 / 32 + 1) = 1046552 / 4643 = 225;
    // rt = 225 * 27 >> 5 = 6075 >> 5 = 189 -> 3 min, (189 % 60) / 6 = 1;
    // speed = 148552 / 2 / 27 = 2750.
    let p = SyncProgress {
        recovery: Recovery::RUNNING | Recovery::RECOVER,
        curr_resync: 1049576,
        recovery_active: 1024,
        resync_max_sectors: 1,
        dev_sectors: 2095104,
        resync_offset: MAX_SECTOR,
        curr_mark_cnt: 1049576,
        resync_mark_cnt: 900_000,
        resync_mark: 5000,
        jiffies: 32500,
        hz: 1000,
        ..progress()
    };
    assert_eq!(
        mdstat(&p).0,
        "[=========>...........]  recovery = 49.9% (524276/1047552) finish=3.1min speed=2750K/sec"
    );
}

#[test]
fn mdstat_words() {
    let word = |recovery: Recovery| {
        let (s, _) = mdstat(&SyncProgress {
            recovery,
            ..progress()
        });
        s.split_whitespace().nth(1).unwrap().to_owned()
    };
    let run = Recovery::RUNNING;
    assert_eq!(word(run | Recovery::SYNC), "resync");
    // A repair (SYNC | REQUESTED) shows as a resync in md.
    assert_eq!(word(run | Recovery::SYNC | Recovery::REQUESTED), "resync");
    assert_eq!(
        word(run | Recovery::SYNC | Recovery::REQUESTED | Recovery::CHECK),
        "check"
    );
    assert_eq!(word(run | Recovery::RECOVER), "recovery");
    assert_eq!(word(run), "recovery");
    assert_eq!(word(run | Recovery::RESHAPE | Recovery::SYNC), "reshape");
    assert_eq!(word(run | Recovery::RESHAPE), "reshape");
    assert_eq!(mdstat_word(Recovery::CHECK), "check");
}

#[test]
fn mdstat_max_sectors_choice() {
    // SYNC or RESHAPE: resync_max_sectors; else dev_sectors.
    let p = SyncProgress {
        resync_max_sectors: 1000,
        dev_sectors: 2000,
        ..progress()
    };
    assert_eq!(p.max_sectors(), 1000);
    let reshape = SyncProgress {
        recovery: Recovery::RESHAPE,
        ..p
    };
    assert_eq!(reshape.max_sectors(), 1000);
    let recover = SyncProgress {
        recovery: Recovery::RECOVER | Recovery::RUNNING,
        ..p
    };
    assert_eq!(recover.max_sectors(), 2000);
}

#[test]
fn mdstat_in_flight_below_active() {
    // resync - recovery_active below 3, or recovery_active above resync:
    // md forces MD_RESYNC_ACTIVE (shown as 1 block).
    for (curr, active) in [(100, 98), (100, 200), (3, 1), (10, -5)] {
        let p = SyncProgress {
            curr_resync: curr,
            recovery_active: active,
            ..progress()
        };
        assert!(
            mdstat(&p).0.contains("resync =  0.0% (1/1047552)"),
            "{curr} {active}: {}",
            mdstat(&p).0
        );
    }
    // 10000 - 256 = 9744 -> 4872 blocks.
    let p = SyncProgress {
        curr_resync: 10000,
        recovery_active: 256,
        ..progress()
    };
    assert!(mdstat(&p).0.contains("(4872/1047552)"));
}

#[test]
fn mdstat_delayed_pending_nothing() {
    for curr in [RESYNC_YIELDED, RESYNC_DELAYED] {
        let p = SyncProgress {
            curr_resync: curr,
            ..progress()
        };
        assert_eq!(mdstat(&p), ("\tresync=DELAYED".into(), true));
    }
    // No resync, but one is due (resync_offset < MaxSector): PENDING, as
    // for a read-auto array after an unclean shutdown.
    let pending = SyncProgress {
        recovery: Recovery::NONE,
        curr_resync: RESYNC_NONE,
        resync_offset: 0,
        ..progress()
    };
    assert_eq!(mdstat(&pending), ("\tresync=PENDING".into(), true));
    let pending = SyncProgress {
        resync_offset: MAX_SECTOR - 1,
        ..pending
    };
    assert_eq!(mdstat(&pending).0, "\tresync=PENDING");
    // In sync: nothing, and md adds no line.
    let clean = SyncProgress {
        resync_offset: MAX_SECTOR,
        ..pending
    };
    assert_eq!(mdstat(&clean), (String::new(), false));
    // Done with nothing to show: max_sectors 0 makes resync 0 again.
    let empty = SyncProgress {
        recovery: Recovery::DONE | Recovery::SYNC,
        resync_max_sectors: 0,
        ..clean
    };
    assert_eq!(mdstat(&empty), (String::new(), false));
    // ... and max_sectors 2 makes it "delayed".
    let two = SyncProgress {
        resync_max_sectors: 2,
        ..empty
    };
    assert_eq!(mdstat(&two).0, "\tresync=DELAYED");
}

#[test]
fn mdstat_bar_steps() {
    // Every 50 per mille one more '='; always 21 marks inside the brackets.
    for (per_mille, bar) in [
        (49, "[>....................]"),
        (50, "[=>...................]"),
        (500, "[==========>..........]"),
        (999, "[===================>.]"),
    ] {
        // max 1024000: (max >> 10) + 1 = 1001, resync = (n + 1) * 1024
        // gives (n + 1) * 1000 / 1001 = n for n < 1000.
        let p = SyncProgress {
            curr_resync: (per_mille + 1) * 1024,
            resync_max_sectors: 1_024_000,
            ..progress()
        };
        let (s, _) = mdstat(&p);
        assert!(s.starts_with(bar), "{per_mille}: {s}");
        assert_eq!(s.find(']'), Some(22));
    }
}

#[test]
fn mdstat_huge_arrays() {
    // 16 TiB (2^35 sectors), half done: per_milli = (17179881529 >> 10) *
    // 1000 / ((2^35 >> 10) + 1) = 16777228000 / 33554433 = 500 -> 50.0%.
    // dt = 30; db = 6000000; rt = 17179856839 / (6000000 / 32 + 1)
    // = 17179856839 / 187501 = 91625; rt = 91625 * 30 >> 5 = 2748750 >> 5
    // = 85898 -> 1431 min, (85898 % 60) / 6 = 38 / 6 = 6;
    // speed = 6000000 / 2 / 30 = 100000.
    let p = SyncProgress {
        curr_resync: (1 << 34) + 12345,
        resync_max_sectors: 1 << 35,
        curr_mark_cnt: 7_000_000,
        resync_mark_cnt: 1_000_000,
        resync_mark: 0,
        jiffies: 30 * 250,
        ..progress()
    };
    assert_eq!(
        mdstat(&p).0,
        "[==========>..........]  resync = 50.0% (8589940764/17179869184) finish=1431.6min speed=100000K/sec"
    );
    // md's 64-bit per_milli holds up to (max >> 10) + 1 = 2^32 - 1.
    let last_exact = (1u64 << 42) - 1025;
    assert_eq!((last_exact >> 10) + 1, u64::from(u32::MAX));
    // (2^41 >> 10) * 1000 / (2^32 - 2 + 1) = 2^31 * 1000 / (2^32 - 1) = 500.
    assert_eq!(per_milli(1 << 41, last_exact), 500);
    // Beyond, md divides by a truncated u32 (0 at this size); here scale
    // 11: (2^41 >> 11) * 1000 / ((2^42 - 1024 >> 11) + 1) = 2^30 * 1000 /
    // 2^31 = 500.
    assert_eq!(per_milli(1 << 41, (1 << 42) - 1024), 500);
    for max in [1u64 << 42, 1 << 50, u64::MAX - 1, u64::MAX] {
        for resync in [3, max / 3, max / 2, max - 1, max] {
            assert!(per_milli(resync, max) < 1000, "{resync} {max}");
        }
    }
    assert_eq!(per_milli(u64::MAX, u64::MAX), 999);
    // The whole line works at MaxSector - 1 sectors: no overflow, rt
    // wraps as md's does, with 1 second and no progress.
    let p = SyncProgress {
        curr_resync: 3,
        resync_max_sectors: u64::MAX - 1,
        ..progress()
    };
    let (s, _) = mdstat(&p);
    assert!(
        s.starts_with("[>....................]  resync =  0.0% (1/9223372036854775807)"),
        "{s}"
    );
}

#[test]
fn mdstat_time_edges() {
    // dt 0 counts as 1 second; a jiffies wrap between mark and now is
    // fine: (5 - (2^64 - 245)) = 250 jiffies = 1 s at HZ 250.
    let base = SyncProgress {
        curr_resync: 176128,
        curr_mark_cnt: 180224,
        resync_mark_cnt: 48128,
        ..progress()
    };
    let one = SyncProgress {
        resync_mark: u64::MAX - 244,
        jiffies: 5,
        ..base
    };
    assert_eq!(mdstat(&base).0, mdstat(&one).0);
    // db = 132096, dt = 1: speed = 66048; rt = 464 * 1 >> 5 = 14 -> 0.2.
    assert!(mdstat(&one).0.ends_with(" finish=0.2min speed=66048K/sec"));
    // HZ 0 is refused as dt 0, i.e. 1 second.
    let hz0 = SyncProgress { hz: 0, ..base };
    assert_eq!(mdstat(&hz0).0, mdstat(&base).0);
    // Counters behind the mark (db would be negative): md shows speed 0.
    let behind = SyncProgress {
        curr_mark_cnt: 1000,
        resync_mark_cnt: 2000,
        ..base
    };
    assert!(mdstat(&behind).0.ends_with(" speed=0K/sec"));
}

#[test]
fn sync_completed() {
    let p = SyncProgress {
        curr_resync: 176128,
        curr_resync_completed: 131072,
        ..progress()
    };
    assert_eq!(text(|w| write_sync_completed(w, &p)), "131072 / 2095104\n");
    let idle = SyncProgress {
        recovery: Recovery::SYNC,
        ..p
    };
    assert_eq!(text(|w| write_sync_completed(w, &idle)), "none\n");
    for curr in [RESYNC_YIELDED, RESYNC_DELAYED] {
        let d = SyncProgress {
            curr_resync: curr,
            ..p
        };
        assert_eq!(text(|w| write_sync_completed(w, &d)), "delayed\n");
    }
    // Running with curr_resync 0 (not yet started) prints the numbers.
    let zero = SyncProgress {
        curr_resync: RESYNC_NONE,
        curr_resync_completed: 0,
        ..p
    };
    assert_eq!(text(|w| write_sync_completed(w, &zero)), "0 / 2095104\n");
    // A recovery ends at dev_sectors.
    let rec = SyncProgress {
        recovery: Recovery::RUNNING | Recovery::RECOVER,
        dev_sectors: 4000,
        ..p
    };
    assert_eq!(text(|w| write_sync_completed(w, &rec)), "131072 / 4000\n");
}

#[test]
fn sync_speed() {
    // resync = 180224 - 4096 = 176128; dt = 750 / 250 = 3;
    // db = 176128 - 48128 = 128000; 128000 / 3 / 2 = 42666 / 2 = 21333.
    let p = SyncProgress {
        curr_resync: 176128,
        recovery_active: 4096,
        curr_mark_cnt: 180224,
        resync_mark_cnt: 48128,
        jiffies: 1750,
        ..progress()
    };
    assert_eq!(text(|w| write_sync_speed(w, &p)), "21333\n");
    // dt 0 -> 1: 128000 / 1 / 2.
    let now = SyncProgress { jiffies: 1000, ..p };
    assert_eq!(text(|w| write_sync_speed(w, &now)), "64000\n");
    // No resync.
    let none = SyncProgress {
        curr_resync: RESYNC_NONE,
        ..p
    };
    assert_eq!(text(|w| write_sync_speed(w, &none)), "none\n");
    // Delayed still shows a number (md tests only MD_RESYNC_NONE).
    let delayed = SyncProgress {
        curr_resync: RESYNC_DELAYED,
        recovery_active: 0,
        curr_mark_cnt: 0,
        resync_mark_cnt: 0,
        ..p
    };
    assert_eq!(text(|w| write_sync_speed(w, &delayed)), "0\n");
    // md's unsigned long wraps: (100 - 200 - 0) / 1 / 2 = (2^64 - 100) / 2.
    let wrapped = SyncProgress {
        recovery_active: 200,
        curr_mark_cnt: 100,
        resync_mark_cnt: 0,
        jiffies: 1000,
        ..p
    };
    assert_eq!(
        text(|w| write_sync_speed(w, &wrapped)),
        "9223372036854775758\n"
    );
}

#[test]
fn sync_action_words() {
    let words = [
        (SyncAction::Resync, "resync"),
        (SyncAction::Recover, "recover"),
        (SyncAction::Check, "check"),
        (SyncAction::Repair, "repair"),
        (SyncAction::Reshape, "reshape"),
        (SyncAction::Frozen, "frozen"),
        (SyncAction::Idle, "idle"),
    ];
    assert_eq!(SyncAction::ALL.len(), words.len());
    for (action, word) in words {
        assert_eq!(action.as_str(), word);
        assert_eq!(text(|w| write_sync_action(w, action)), format!("{word}\n"));
        // cmd_match: the word, or the word and one newline.
        assert_eq!(SyncAction::parse(word.as_bytes()), Some(action));
        assert_eq!(
            SyncAction::parse(format!("{word}\n").as_bytes()),
            Some(action)
        );
        // The written buffer is a C string to md: a NUL ends it.
        assert_eq!(
            SyncAction::parse(format!("{word}\0junk").as_bytes()),
            Some(action)
        );
        assert_eq!(
            SyncAction::parse(format!("{word}\n\0junk").as_bytes()),
            Some(action)
        );
        for bad in [
            format!("{word}\n\n"),
            format!("{word} "),
            format!(" {word}"),
            format!("{word}\r\n"),
            format!("\n{word}"),
            word.to_uppercase(),
            word[..word.len() - 1].to_owned(),
            format!("{word}x"),
        ] {
            assert_eq!(SyncAction::parse(bad.as_bytes()), None, "{bad:?}");
        }
    }
    for bad in [&b""[..], b"\n", b"\0idle", b"recovery", b"sync", b"freeze"] {
        assert_eq!(SyncAction::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn sync_action_precedence() {
    let inputs = |recovery: Recovery| ActionInputs {
        recovery,
        read_write: true,
        resync_offset: MAX_SECTOR,
        reshape_position: MAX_SECTOR,
        member_needs_recovery: false,
    };
    let run = Recovery::RUNNING;
    let sync = Recovery::SYNC;
    let req = Recovery::REQUESTED;
    let check = Recovery::CHECK;
    // Frozen wins over everything, read-only included.
    let frozen = ActionInputs {
        read_write: false,
        resync_offset: 0,
        ..inputs(Recovery::FROZEN | run | sync)
    };
    assert_eq!(sync_action(&frozen), SyncAction::Frozen);
    assert_eq!(sync_action(&inputs(Recovery::FROZEN)), SyncAction::Frozen);
    // Read-only or read-auto: idle.
    let ro = ActionInputs {
        read_write: false,
        ..inputs(run | sync)
    };
    assert_eq!(sync_action(&ro), SyncAction::Idle);
    // Neither RUNNING nor NEEDED: idle, even with a resync due.
    let due = ActionInputs {
        resync_offset: 0,
        ..inputs(sync)
    };
    assert_eq!(sync_action(&due), SyncAction::Idle);
    // NEEDED alone counts as RUNNING does.
    let needed = ActionInputs {
        resync_offset: 0,
        ..inputs(Recovery::NEEDED)
    };
    assert_eq!(sync_action(&needed), SyncAction::Resync);
    // What the array owes comes first: resync_offset, then a reshape in
    // progress, then a member to rebuild; over requested check/repair.
    let owed = ActionInputs {
        resync_offset: 12345,
        reshape_position: 0,
        member_needs_recovery: true,
        ..inputs(run | sync | req | check)
    };
    assert_eq!(sync_action(&owed), SyncAction::Resync);
    let owed = ActionInputs {
        resync_offset: MAX_SECTOR,
        ..owed
    };
    assert_eq!(sync_action(&owed), SyncAction::Reshape);
    let owed = ActionInputs {
        reshape_position: MAX_SECTOR,
        ..owed
    };
    assert_eq!(sync_action(&owed), SyncAction::Recover);
    // Then the bits: RESHAPE, RECOVER, SYNC with CHECK / REQUESTED.
    assert_eq!(
        sync_action(&inputs(run | Recovery::RESHAPE | Recovery::RECOVER | sync)),
        SyncAction::Reshape
    );
    assert_eq!(
        sync_action(&inputs(run | Recovery::RECOVER | sync | check)),
        SyncAction::Recover
    );
    assert_eq!(
        sync_action(&inputs(run | sync | req | check)),
        SyncAction::Check
    );
    // CHECK without REQUESTED is still check (md tests CHECK first).
    assert_eq!(sync_action(&inputs(run | sync | check)), SyncAction::Check);
    assert_eq!(sync_action(&inputs(run | sync | req)), SyncAction::Repair);
    assert_eq!(sync_action(&inputs(run | sync)), SyncAction::Resync);
    // CHECK or REQUESTED without SYNC: idle.
    assert_eq!(sync_action(&inputs(run | req | check)), SyncAction::Idle);
    assert_eq!(sync_action(&inputs(run)), SyncAction::Idle);
    assert_eq!(sync_action(&inputs(Recovery::NEEDED)), SyncAction::Idle);
    // INTR, DONE, WAIT do not matter here.
    assert_eq!(
        sync_action(&inputs(
            run | sync | Recovery::INTR | Recovery::DONE | Recovery::WAIT
        )),
        SyncAction::Resync
    );
}

#[test]
fn member_recovery() {
    // raid_disk, journal, faulty, in_sync, recovery_offset, sectors.
    assert!(member_needs_recovery(0, false, false, false, 0, MAX_SECTOR));
    assert!(member_needs_recovery(
        1, false, false, false, 1000, MAX_SECTOR
    ));
    assert!(!member_needs_recovery(
        1, false, false, false, MAX_SECTOR, MAX_SECTOR
    ));
    assert!(!member_needs_recovery(
        -1, false, false, false, 0, MAX_SECTOR
    ));
    assert!(!member_needs_recovery(0, true, false, false, 0, MAX_SECTOR));
    assert!(!member_needs_recovery(0, false, true, false, 0, MAX_SECTOR));
    assert!(!member_needs_recovery(0, false, false, true, 0, MAX_SECTOR));
    // At the end of md_do_sync: only members behind curr_resync move.
    assert!(member_needs_recovery(0, false, false, false, 99, 100));
    assert!(!member_needs_recovery(0, false, false, false, 100, 100));
}

#[test]
fn sync_action_store() {
    use SyncAction::*;
    let fz = Recovery::FROZEN;
    let none = Recovery::NONE;
    let plan = |set, clear, stop_thread, start_reshape, request| ActionStore {
        set,
        clear,
        stop_thread,
        start_reshape,
        request,
    };
    // While the sync thread runs: frozen and idle stop it; the rest EBUSY.
    assert_eq!(
        action_store(Frozen, true),
        Ok(plan(fz, none, true, false, false))
    );
    assert_eq!(
        action_store(Idle, true),
        Ok(plan(none, fz, true, false, true))
    );
    for a in [Resync, Recover, Check, Repair, Reshape] {
        assert_eq!(action_store(a, true), Err(Busy), "{a:?}");
    }
    // Otherwise.
    assert_eq!(
        action_store(Frozen, false),
        Ok(plan(fz, none, false, false, false))
    );
    assert_eq!(
        action_store(Idle, false),
        Ok(plan(none, fz, false, false, true))
    );
    assert_eq!(
        action_store(Resync, false),
        Ok(plan(none, fz, false, false, true))
    );
    assert_eq!(
        action_store(Recover, false),
        Ok(plan(Recovery::RECOVER, fz, false, false, true))
    );
    assert_eq!(
        action_store(Check, false),
        Ok(plan(
            Recovery::CHECK | Recovery::REQUESTED | Recovery::SYNC,
            fz,
            false,
            false,
            true
        ))
    );
    assert_eq!(
        action_store(Repair, false),
        Ok(plan(
            Recovery::REQUESTED | Recovery::SYNC,
            fz,
            false,
            false,
            true
        ))
    );
    assert_eq!(
        action_store(Reshape, false),
        Ok(plan(none, fz, false, true, true))
    );
    // A check request, applied, is what sync_action shows once NEEDED.
    let s = action_store(Check, false).unwrap();
    let r = Recovery::FROZEN
        .with(s.set)
        .without(s.clear)
        .with(Recovery::NEEDED);
    let a = ActionInputs {
        recovery: r,
        read_write: true,
        resync_offset: MAX_SECTOR,
        reshape_position: MAX_SECTOR,
        member_needs_recovery: false,
    };
    assert_eq!(sync_action(&a), Check);
}

#[test]
fn recovery_bits() {
    // md's enum recovery_flags numbering.
    assert_eq!(Recovery::NEEDED.0, 1);
    assert_eq!(Recovery::RUNNING.0, 1 << 1);
    assert_eq!(Recovery::DONE.0, 1 << 3);
    assert_eq!(Recovery::FROZEN.0, 1 << 4);
    assert_eq!(Recovery::SYNC.0, 1 << 7);
    assert_eq!(Recovery::CHECK.0, 1 << 9);
    assert_eq!(Recovery::RESHAPE.0, 1 << 11);
    assert_eq!(Recovery::LAZY_RECOVER.0, 1 << 13);
    let r = Recovery::SYNC | Recovery::CHECK;
    assert!(r.contains(Recovery::SYNC));
    assert!(r.contains(Recovery::SYNC | Recovery::CHECK));
    assert!(!r.contains(Recovery::SYNC | Recovery::RUNNING));
    assert_eq!(r.without(Recovery::CHECK), Recovery::SYNC);
    assert!(Recovery::NONE.contains(Recovery::NONE));
}

#[test]
fn degraded_and_mismatches() {
    assert_eq!(text(|w| write_degraded(w, 0)), "0\n");
    assert_eq!(text(|w| write_degraded(w, 1)), "1\n");
    assert_eq!(text(|w| write_degraded(w, -1)), "-1\n");
    assert_eq!(text(|w| write_mismatch_cnt(w, 0)), "0\n");
    assert_eq!(text(|w| write_mismatch_cnt(w, 128)), "128\n");
    assert_eq!(
        text(|w| write_mismatch_cnt(w, u64::MAX)),
        "18446744073709551615\n"
    );
}

#[test]
fn speed_limits_show() {
    assert_eq!(SPEED_LIMIT_MIN, 1000);
    assert_eq!(SPEED_LIMIT_MAX, 200000);
    // "%d (%s)\n", speed_min(mddev), local ? "local" : "system".
    assert_eq!(
        text(|w| write_sync_speed_limit(w, 0, SPEED_LIMIT_MIN)),
        "1000 (system)\n"
    );
    assert_eq!(
        text(|w| write_sync_speed_limit(w, 0, SPEED_LIMIT_MAX)),
        "200000 (system)\n"
    );
    assert_eq!(
        text(|w| write_sync_speed_limit(w, 50000, SPEED_LIMIT_MIN)),
        "50000 (local)\n"
    );
    // Written as 4294967295: md's int reads back -1.
    assert_eq!(
        text(|w| write_sync_speed_limit(w, -1, SPEED_LIMIT_MIN)),
        "-1 (local)\n"
    );
    // A negative system value shows as is.
    assert_eq!(text(|w| write_sync_speed_limit(w, 0, -5)), "-5 (system)\n");
    assert_eq!(speed_limit(0, 1000), 1000);
    assert_eq!(speed_limit(7, 1000), 7);
    assert_eq!(speed_limit(-1, 1000), -1);
}

#[test]
fn speed_limits_store() {
    // strncmp(buf, "system", 6): any text starting with it.
    for s in [&b"system"[..], b"system\n", b"systemd", b"system 5"] {
        assert_eq!(parse_sync_speed_limit(s), Some(0), "{s:?}");
    }
    // kstrtouint(buf, 10): '+', digits, one newline; 0 is EINVAL.
    for (s, v) in [
        (&b"1"[..], 1),
        (b"1000\n", 1000),
        (b"+5", 5),
        (b"+5\n", 5),
        (b"007", 7),
        (b"2147483647", i32::MAX),
        (b"2147483648", i32::MIN),
        (b"4294967295", -1),
        (b"5\0garbage", 5),
    ] {
        assert_eq!(parse_sync_speed_limit(s), Some(v), "{s:?}");
    }
    for s in [
        &b""[..],
        b"\n",
        b"0",
        b"0\n",
        b"+0",
        b"-1",
        b"+",
        b"++5",
        b" 5",
        b"5 ",
        b"5\n\n",
        b"5\r\n",
        b"0x10",
        b"1e3",
        b"4294967296",
        b"99999999999999999999999",
        b"syst",
        b"System",
        b"\0system",
    ] {
        assert_eq!(parse_sync_speed_limit(s), None, "{s:?}");
    }
}

#[test]
fn sysctl_speed_limits() {
    assert_eq!(text(|w| write_sysctl_int(w, 1000)), "1000\n");
    assert_eq!(text(|w| write_sysctl_int(w, -42)), "-42\n");
    assert_eq!(text(|w| write_sysctl_int(w, i32::MIN)), "-2147483648\n");
    let ok = |value, consumed| {
        Some(SysctlWrite {
            value: Some(value),
            consumed,
        })
    };
    // An empty write changes nothing and succeeds (0 bytes).
    assert_eq!(
        parse_sysctl_int(b""),
        Some(SysctlWrite {
            value: None,
            consumed: 0
        })
    );
    for (s, want) in [
        (&b"1000"[..], ok(1000, 4)),
        (b"1000\n", ok(1000, 5)),
        (b"  42  \n", ok(42, 7)),
        (b"\n\t5", ok(5, 3)),
        (b"\xa05", ok(5, 2)),
        (b"0", ok(0, 1)),
        (b"-0", ok(0, 2)),
        (b"-5\n", ok(-5, 3)),
        // proc_dointvec reads C notation: hex and octal.
        (b"0x10\n", ok(16, 5)),
        (b"0X1F", ok(31, 4)),
        (b"0x1f", ok(31, 4)),
        (b"-0x10", ok(-16, 5)),
        (b"010", ok(8, 3)),
        (b"2147483647", ok(i32::MAX, 10)),
        (b"-2147483648", ok(i32::MIN, 11)),
        // 20 characters still fit proc_get_long's buffer.
        (b"00000000000000000005", ok(5, 20)),
        // One value per table entry: the rest is not consumed (a short
        // write), after the white space following the number.
        (b"5 abc", ok(5, 2)),
        (b"5\t6", ok(5, 2)),
        (b"5 6\n", ok(5, 2)),
    ] {
        assert_eq!(parse_sysctl_int(s), want, "{s:?}");
    }
    for s in [
        &b"   \n"[..],
        b"-",
        b"-\n",
        b"+5",
        b"abc",
        b"5abc",
        b"5\r",
        b"5\0",
        b"09",
        b"08",
        b"0x",
        b"0xg",
        b"- 5",
        b"--5",
        b"2147483648",
        b"-2147483649",
        b"18446744073709551615",
        b"18446744073709551616",
        // 21 characters: proc_get_long refuses a number it may have cut.
        b"000000000000000000005",
        b"-00000000000000000005",
    ] {
        assert_eq!(parse_sysctl_int(s), None, "{s:?}");
    }
    // md 6.12 applies no clamping: any int goes, min above max included.
    assert_eq!(parse_sysctl_int(b"-1\n").unwrap().value, Some(-1));
    // A write longer than PAGE_SIZE - 1: the rest counts as consumed.
    let mut long = b"7".to_vec();
    long.resize(5000, b' ');
    assert_eq!(parse_sysctl_int(&long), ok(7, 5000));
    long[4500] = b'x';
    assert_eq!(parse_sysctl_int(&long), ok(7, 5000));
    long[100] = b'x';
    assert_eq!(parse_sysctl_int(&long), ok(7, 5000 - (4095 - 100)));
}

#[test]
fn currspeed() {
    let w = SyncWindow {
        io_sectors: 1_000_000,
        recovery_active: 0,
        resync_mark_cnt: 400_000,
        resync_mark: 0,
        jiffies: 3000,
        hz: 1000,
    };
    // (1000000 - 0 - 400000) / 2 / (3000 / 1000 + 1) + 1 = 300000 / 4 + 1.
    assert_eq!(w.currspeed(), 75001);
    // 2999 jiffies are 2 s: 300000 / 3 + 1.
    assert_eq!(SyncWindow { jiffies: 2999, ..w }.currspeed(), 100001);
    // In flight does not count: (1000000 - 200000 - 400000) / 2 / 4 + 1.
    assert_eq!(
        SyncWindow {
            recovery_active: 200_000,
            ..w
        }
        .currspeed(),
        50001
    );
    // Right at the mark: / (0 + 1); nothing done: 0 + 1.
    let fresh = SyncWindow {
        io_sectors: 256,
        resync_mark_cnt: 0,
        jiffies: 0,
        ..w
    };
    assert_eq!(fresh.currspeed(), 129);
    assert_eq!(
        SyncWindow {
            io_sectors: 0,
            ..fresh
        }
        .currspeed(),
        1
    );
    // HZ 0 is treated as 0 seconds elapsed: / 1.
    assert_eq!(SyncWindow { hz: 0, ..fresh }.currspeed(), 129);
    // Wraps as md's: (100 - 200) / 2 / 1 + 1 = 2^63 - 49, in an unsigned
    // int: 2^32 - 49.
    assert_eq!(
        SyncWindow {
            io_sectors: 100,
            recovery_active: 200,
            ..fresh
        }
        .currspeed(),
        4294967247
    );
}

#[test]
fn throttle_decisions() {
    let idle = || true;
    let busy = || false;
    let unasked = || -> bool { panic!("is_mddev_idle must not run here") };
    // At or below speed_min: go on, idle or not (not even asked).
    assert_eq!(throttle(1, 1000, 200000, unasked), Throttle::Continue);
    assert_eq!(throttle(1000, 1000, 200000, unasked), Throttle::Continue);
    // Above speed_min, not above speed_max: depends on other I/O.
    assert_eq!(throttle(1001, 1000, 200000, idle), Throttle::Continue);
    assert_eq!(throttle(1001, 1000, 200000, busy), Throttle::WaitInflight);
    assert_eq!(throttle(200000, 1000, 200000, busy), Throttle::WaitInflight);
    // Above speed_max: sleep, idle or not (not asked).
    assert_eq!(throttle(200001, 1000, 200000, unasked), Throttle::Sleep);
    // min above max (md allows it): up to min go on, above min sleep.
    assert_eq!(
        throttle(250000, 300000, 200000, unasked),
        Throttle::Continue
    );
    assert_eq!(throttle(300001, 300000, 200000, unasked), Throttle::Sleep);
    // Negative limits compare as huge unsigned ones in md's C.
    assert_eq!(throttle(u32::MAX, -1, 200000, unasked), Throttle::Continue);
    assert_eq!(throttle(u32::MAX, 1000, -1, busy), Throttle::WaitInflight);
    assert_eq!(throttle(u32::MAX - 1, 1000, -1, idle), Throttle::Continue);
    // speed_min 0 (a system value written as 0): anything above 0 counts;
    // currspeed is never 0 in md.
    assert_eq!(throttle(1, 0, 0, unasked), Throttle::Sleep);
    assert_eq!(throttle(1, 0, 1, busy), Throttle::WaitInflight);
    assert_eq!(THROTTLE_SLEEP_MS, 500);
}

#[test]
fn member_idleness() {
    assert_eq!(IDLE_SLACK_SECTORS, 64);
    assert!(member_busy(1000, 900));
    assert!(member_busy(965, 900));
    assert!(!member_busy(964, 900));
    // Sync I/O counted in sync_io before the disk stats: below last.
    assert!(!member_busy(800, 900));
    // int wrap: i32::MIN - i32::MAX = 1.
    assert!(!member_busy(i32::MIN, i32::MAX));
    assert!(member_busy(i32::MIN + 100, i32::MAX));
    // (int)sectors - sync_io.
    assert_eq!(member_events(5000, 1000), 4000);
    assert_eq!(member_events((1 << 32) + 100, 40), 60);
    assert_eq!(member_events(0, 1), -1);
}

#[test]
fn marks_ring() {
    assert_eq!(sync_window(4096), 256);
    assert_eq!(sync_window(65536), 4096);
    let hz = 100;
    let mut m = SyncMarks::new(1000);
    assert_eq!(
        m.first(),
        Mark {
            jiffies: 1000,
            sectors: 0
        }
    );
    // A step is due SYNC_MARK_STEP = 3 * HZ after the newest mark.
    assert_eq!(m.step(1299, hz, 5000, 0), None);
    // It gives the oldest (all start at 1000 with 0 sectors) and records
    // now with io_sectors - recovery_active.
    assert_eq!(
        m.step(1300, hz, 5000, 1000),
        Some(Mark {
            jiffies: 1000,
            sectors: 0
        })
    );
    assert_eq!(m.step(1599, hz, 9000, 0), None);
    // Nine more steps: the tenth from now returns the mark of 1300.
    let mut now = 1300;
    for i in 0..9 {
        now += 300;
        assert_eq!(
            m.step(now, hz, 10000 + i, 0),
            Some(Mark {
                jiffies: 1000,
                sectors: 0
            }),
            "{i}"
        );
    }
    now += 300;
    assert_eq!(
        m.step(now, hz, 20000, 0),
        Some(Mark {
            jiffies: 1300,
            sectors: 4000
        })
    );
    now += 400;
    assert_eq!(
        m.step(now, hz, 20000, 0),
        Some(Mark {
            jiffies: 1600,
            sectors: 10000
        })
    );
    // Jiffies wrap: time_after_eq works across it.
    let start = u64::MAX - 100;
    let mut m = SyncMarks::new(start);
    assert_eq!(m.step(start.wrapping_add(299), hz, 1, 0), None);
    assert!(m.step(start.wrapping_add(300), hz, 1, 0).is_some());
}

// md's C code, for the equivalence test: status_resync, action_show's
// md_sync_action, sync_speed_show, sync_completed_show, md_do_sync's
// currspeed and throttle, cmd_match, sync_min_store with kstrtouint, and
// __do_proc_dointvec's write of one int with proc_get_long; from
// drivers/md/md.c (Debian 6.12.117), lib/kstrtox.c and kernel/sysctl.c,
// with the kernel types replaced by plain C ones. Protocol, one command a
// line, hex for byte strings, one answer line each:
//   S flags curr done active max dev offset curr_cnt mark_cnt mark jiffies hz
//       -> status_resync's text (\n, \t escaped) "|" its result "|"
//          sync_speed "|" sync_completed
//   A flags rdwr offset reshape needs    -> the action's index
//   T io active mark_cnt mark jiffies hz min max idle -> currspeed decision
//   M hex   -> md_sync_action_by_name's index
//   K hex   -> "OK value" or "ERR" (sync_min_store)
//   P hex   -> "OK value consumed" or "ERR" (proc_dointvec)
const C_REFERENCE: &str = r#"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t sector_t;
typedef uint32_t u32;
#define MaxSector (~(sector_t)0)
#define ULLONG_MAX (~0ULL)
#define INT_MAX 2147483647
#define PAGE_SIZE 4096
#define EINVAL 22
#define ERANGE 34
enum { MD_RESYNC_NONE = 0, MD_RESYNC_YIELDED = 1, MD_RESYNC_DELAYED = 2,
       MD_RESYNC_ACTIVE = 3 };
enum recovery_flags { MD_RECOVERY_NEEDED, MD_RECOVERY_RUNNING,
	MD_RECOVERY_INTR, MD_RECOVERY_DONE, MD_RECOVERY_FROZEN,
	MD_RECOVERY_WAIT, MD_RECOVERY_ERROR, MD_RECOVERY_SYNC,
	MD_RECOVERY_REQUESTED, MD_RECOVERY_CHECK, MD_RECOVERY_RECOVER,
	MD_RECOVERY_RESHAPE, MD_RESYNCING_REMOTE, MD_RECOVERY_LAZY_RECOVER };
enum sync_action { ACTION_RESYNC, ACTION_RECOVER, ACTION_CHECK,
	ACTION_REPAIR, ACTION_RESHAPE, ACTION_FROZEN, ACTION_IDLE,
	NR_SYNC_ACTIONS };
static const char *action_name[NR_SYNC_ACTIONS] = {
	[ACTION_RESYNC] = "resync", [ACTION_RECOVER] = "recover",
	[ACTION_CHECK] = "check", [ACTION_REPAIR] = "repair",
	[ACTION_RESHAPE] = "reshape", [ACTION_FROZEN] = "frozen",
	[ACTION_IDLE] = "idle",
};
struct mddev {
	unsigned long recovery;
	sector_t curr_resync, curr_resync_completed;
	int recovery_active;
	sector_t resync_max_sectors, dev_sectors, resync_offset;
	sector_t curr_mark_cnt, resync_mark_cnt;
	unsigned long resync_mark;
	int rdwr, needs_recovery;
	sector_t reshape_position;
	int sync_speed_min;
};
static unsigned long jiffies, HZ;
#define test_bit(nr, addr) ((*(addr) >> (nr)) & 1)
#define atomic_read(p) (*(p))
#define sector_div(a, b) ((a) = (a) / (u32)(b))
#define div64_u64(a, b) ((a) / (b))
#define WARN_ON(x) ((void)0)
static char out[8192];
static size_t outlen;
static void seq_printf(void *seq, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	outlen += vsnprintf(out + outlen, sizeof(out) - outlen, fmt, ap);
	va_end(ap);
}

static int status_resync(void *seq, struct mddev *mddev)
{
	sector_t max_sectors, resync, res;
	unsigned long dt, db = 0;
	sector_t rt, curr_mark_cnt, resync_mark_cnt;
	int scale, recovery_active;
	unsigned int per_milli;

	if (test_bit(MD_RECOVERY_SYNC, &mddev->recovery) ||
	    test_bit(MD_RECOVERY_RESHAPE, &mddev->recovery))
		max_sectors = mddev->resync_max_sectors;
	else
		max_sectors = mddev->dev_sectors;

	resync = mddev->curr_resync;
	if (resync < MD_RESYNC_ACTIVE) {
		if (test_bit(MD_RECOVERY_DONE, &mddev->recovery))
			resync = max_sectors;
	} else if (resync > max_sectors) {
		resync = max_sectors;
	} else {
		res = atomic_read(&mddev->recovery_active);
		if (resync < res || resync - res < MD_RESYNC_ACTIVE)
			resync = MD_RESYNC_ACTIVE;
		else
			resync -= res;
	}

	if (resync == MD_RESYNC_NONE) {
		if (mddev->resync_offset < MaxSector) {
			seq_printf(seq, "\tresync=PENDING");
			return 1;
		}
		return 0;
	}
	if (resync < MD_RESYNC_ACTIVE) {
		seq_printf(seq, "\tresync=DELAYED");
		return 1;
	}

	WARN_ON(max_sectors == 0);
	scale = 10;
	if (sizeof(sector_t) > sizeof(unsigned long)) {
		while ( max_sectors/2 > (1ULL<<(scale+32)))
			scale++;
	}
	res = (resync>>scale)*1000;
	sector_div(res, (u32)((max_sectors>>scale)+1));

	per_milli = res;
	{
		int i, x = per_milli/50, y = 20-x;
		seq_printf(seq, "[");
		for (i = 0; i < x; i++)
			seq_printf(seq, "=");
		seq_printf(seq, ">");
		for (i = 0; i < y; i++)
			seq_printf(seq, ".");
		seq_printf(seq, "] ");
	}
	seq_printf(seq, " %s =%3u.%u%% (%llu/%llu)",
		   (test_bit(MD_RECOVERY_RESHAPE, &mddev->recovery)?
		    "reshape" :
		    (test_bit(MD_RECOVERY_CHECK, &mddev->recovery)?
		     "check" :
		     (test_bit(MD_RECOVERY_SYNC, &mddev->recovery) ?
		      "resync" : "recovery"))),
		   per_milli/10, per_milli % 10,
		   (unsigned long long) resync/2,
		   (unsigned long long) max_sectors/2);

	dt = ((jiffies - mddev->resync_mark) / HZ);
	if (!dt) dt++;

	curr_mark_cnt = mddev->curr_mark_cnt;
	recovery_active = atomic_read(&mddev->recovery_active);
	resync_mark_cnt = mddev->resync_mark_cnt;

	if (curr_mark_cnt >= (recovery_active + resync_mark_cnt))
		db = curr_mark_cnt - (recovery_active + resync_mark_cnt);

	rt = max_sectors - resync;    /* number of remaining sectors */
	rt = div64_u64(rt, db/32+1);
	rt *= dt;
	rt >>= 5;

	seq_printf(seq, " finish=%lu.%lumin", (unsigned long)rt / 60,
		   ((unsigned long)rt % 60)/6);

	seq_printf(seq, " speed=%ldK/sec", db/2/dt);
	return 1;
}

static int sync_speed_show(struct mddev *mddev, char *page)
{
	unsigned long resync, dt, db;
	if (mddev->curr_resync == MD_RESYNC_NONE)
		return sprintf(page, "none\n");
	resync = mddev->curr_mark_cnt - atomic_read(&mddev->recovery_active);
	dt = (jiffies - mddev->resync_mark) / HZ;
	if (!dt) dt++;
	db = resync - mddev->resync_mark_cnt;
	return sprintf(page, "%lu\n", db/dt/2); /* K/sec */
}

static int sync_completed_show(struct mddev *mddev, char *page)
{
	unsigned long long max_sectors, resync;

	if (!test_bit(MD_RECOVERY_RUNNING, &mddev->recovery))
		return sprintf(page, "none\n");

	if (mddev->curr_resync == MD_RESYNC_YIELDED ||
	    mddev->curr_resync == MD_RESYNC_DELAYED)
		return sprintf(page, "delayed\n");

	if (test_bit(MD_RECOVERY_SYNC, &mddev->recovery) ||
	    test_bit(MD_RECOVERY_RESHAPE, &mddev->recovery))
		max_sectors = mddev->resync_max_sectors;
	else
		max_sectors = mddev->dev_sectors;

	resync = mddev->curr_resync_completed;
	return sprintf(page, "%llu / %llu\n", resync, max_sectors);
}

static enum sync_action md_get_active_sync_action(struct mddev *mddev)
{
	if (mddev->resync_offset < MaxSector)
		return ACTION_RESYNC;
	if (mddev->reshape_position != MaxSector)
		return ACTION_RESHAPE;
	return mddev->needs_recovery ? ACTION_RECOVER : ACTION_IDLE;
}

static enum sync_action md_sync_action(struct mddev *mddev)
{
	unsigned long recovery = mddev->recovery;
	enum sync_action active_action;

	if (test_bit(MD_RECOVERY_FROZEN, &recovery))
		return ACTION_FROZEN;
	if (!mddev->rdwr)
		return ACTION_IDLE;
	if (!test_bit(MD_RECOVERY_RUNNING, &recovery) &&
	    !test_bit(MD_RECOVERY_NEEDED, &recovery))
		return ACTION_IDLE;
	active_action = md_get_active_sync_action(mddev);
	if (active_action != ACTION_IDLE)
		return active_action;
	if (test_bit(MD_RECOVERY_RESHAPE, &recovery))
		return ACTION_RESHAPE;
	if (test_bit(MD_RECOVERY_RECOVER, &recovery))
		return ACTION_RECOVER;
	if (test_bit(MD_RECOVERY_SYNC, &recovery)) {
		if (test_bit(MD_RECOVERY_CHECK, &recovery))
			return ACTION_CHECK;
		if (test_bit(MD_RECOVERY_REQUESTED, &recovery))
			return ACTION_REPAIR;
		return ACTION_RESYNC;
	}
	return ACTION_IDLE;
}

static int cmd_match(const char *cmd, const char *str)
{
	while (*cmd && *str && *cmd == *str) {
		cmd++;
		str++;
	}
	if (*cmd == '\n')
		cmd++;
	if (*str || *cmd)
		return 0;
	return 1;
}

static enum sync_action md_sync_action_by_name(const char *page)
{
	enum sync_action action;

	for (action = 0; action < NR_SYNC_ACTIONS; ++action) {
		if (cmd_match(page, action_name[action]))
			return action;
	}
	return NR_SYNC_ACTIONS;
}

/* lib/kstrtox.c */
#define KSTRTOX_OVERFLOW (1U << 31)
#define _tolower(c) ((c) | 0x20)
static int kisdigit(int c) { return c >= '0' && c <= '9'; }
static int kisxdigit(int c)
{
	return kisdigit(c) || (_tolower(c) >= 'a' && _tolower(c) <= 'f');
}
static int kisspace(int c)
{
	return (c >= 9 && c <= 13) || c == 32 || c == 160;
}
static const char *_parse_integer_fixup_radix(const char *s, unsigned int *base)
{
	if (*base == 0) {
		if (s[0] == '0') {
			if (_tolower(s[1]) == 'x' && kisxdigit(s[2]))
				*base = 16;
			else
				*base = 8;
		} else
			*base = 10;
	}
	if (*base == 16 && s[0] == '0' && _tolower(s[1]) == 'x')
		s += 2;
	return s;
}
static unsigned int _parse_integer(const char *s, unsigned int base,
				   unsigned long long *p)
{
	unsigned long long res = 0;
	unsigned int rv = 0;

	for (;;) {
		unsigned int c = (unsigned char)*s;
		unsigned int lc = _tolower(c);
		unsigned int val;

		if ('0' <= c && c <= '9')
			val = c - '0';
		else if ('a' <= lc && lc <= 'f')
			val = lc - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (res & (~0ull << 60)) {
			if (res > (ULLONG_MAX - val) / base)
				rv |= KSTRTOX_OVERFLOW;
		}
		res = res * base + val;
		rv++;
		s++;
	}
	*p = res;
	return rv;
}
static int _kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long _res;
	unsigned int rv;

	s = _parse_integer_fixup_radix(s, &base);
	rv = _parse_integer(s, base, &_res);
	if (rv & KSTRTOX_OVERFLOW)
		return -ERANGE;
	if (rv == 0)
		return -EINVAL;
	s += rv;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = _res;
	return 0;
}
static int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long tmp;
	int rv;

	if (s[0] == '+')
		s++;
	rv = _kstrtoull(s, base, &tmp);
	if (rv < 0)
		return rv;
	if (tmp != (unsigned int)tmp)
		return -ERANGE;
	*res = tmp;
	return 0;
}
static int sync_min_store(struct mddev *mddev, const char *buf, size_t len)
{
	unsigned int min;
	int rv;

	if (strncmp(buf, "system", 6)==0) {
		min = 0;
	} else {
		rv = kstrtouint(buf, 10, &min);
		if (rv < 0)
			return rv;
		if (min == 0)
			return -EINVAL;
	}
	mddev->sync_speed_min = min;
	return len;
}

/* kernel/sysctl.c */
static int strtoul_lenient(const char *cp, char **endp, unsigned int base,
			   unsigned long *res)
{
	unsigned long long result;
	unsigned int rv;

	cp = _parse_integer_fixup_radix(cp, &base);
	rv = _parse_integer(cp, base, &result);
	if ((rv & KSTRTOX_OVERFLOW) || (result != (unsigned long)result))
		return -ERANGE;
	cp += rv;
	if (endp)
		*endp = (char *)cp;
	*res = (unsigned long)result;
	return 0;
}
static void proc_skip_spaces(char **buf, size_t *size)
{
	while (*size) {
		if (!kisspace((unsigned char)**buf))
			break;
		(*size)--;
		(*buf)++;
	}
}
#define TMPBUFLEN 22
static int proc_get_long(char **buf, size_t *size, unsigned long *val,
			 int *neg, const char *perm_tr, unsigned perm_tr_len,
			 char *tr)
{
	char *p, tmp[TMPBUFLEN];
	long len = *size;

	if (len <= 0)
		return -EINVAL;
	if (len > TMPBUFLEN - 1)
		len = TMPBUFLEN - 1;
	memcpy(tmp, *buf, len);
	tmp[len] = 0;
	p = tmp;
	if (*p == '-' && *size > 1) {
		*neg = 1;
		p++;
	} else
		*neg = 0;
	if (!kisdigit((unsigned char)*p))
		return -EINVAL;
	if (strtoul_lenient(p, &p, 0, val))
		return -EINVAL;
	len = p - tmp;
	if (len == TMPBUFLEN - 1)
		return -EINVAL;
	if (len < *size && perm_tr_len && !memchr(perm_tr, *p, perm_tr_len))
		return -EINVAL;
	if (tr && (len < *size))
		*tr = *p;
	*buf += len;
	*size -= len;
	return 0;
}
static const char proc_wspace_sep[] = { ' ', '\t', '\n' };
static int do_proc_dointvec_conv(int *negp, unsigned long *lvalp, int *valp)
{
	if (*negp) {
		if (*lvalp > (unsigned long) INT_MAX + 1)
			return -EINVAL;
		*valp = -*lvalp;
	} else {
		if (*lvalp > (unsigned long) INT_MAX)
			return -EINVAL;
		*valp = *lvalp;
	}
	return 0;
}
/* The write half, one int, at position 0. */
static int proc_dointvec_write(int *i, char *buffer, size_t *lenp)
{
	int vleft = 1, first = 1, err = 0;
	size_t left = *lenp;
	char *p = buffer;

	if (!*lenp)
		return 0;
	if (left > PAGE_SIZE - 1)
		left = PAGE_SIZE - 1;
	for (; left && vleft--; i++, first = 0) {
		unsigned long lval;
		int neg;

		proc_skip_spaces(&p, &left);
		if (!left)
			break;
		err = proc_get_long(&p, &left, &lval, &neg, proc_wspace_sep,
				    sizeof(proc_wspace_sep), NULL);
		if (err)
			break;
		if (do_proc_dointvec_conv(&neg, &lval, i)) {
			err = -EINVAL;
			break;
		}
	}
	if (!err && left)
		proc_skip_spaces(&p, &left);
	if (first)
		return err ? : -EINVAL;
	*lenp -= left;
	return err;
}

static void escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\t')
			fputs("\\t", stdout);
		else
			putchar(*s);
	}
}

static size_t unhex(const char *hex, char *buf)
{
	size_t n = 0;

	if (strcmp(hex, "-") == 0)
		hex = "";
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned int b;
		sscanf(hex, "%2x", &b);
		buf[n++] = b;
	}
	buf[n] = 0;
	return n;
}

int main(void)
{
	static char line[32768], hex[32768], buf[16384], page[4096];
	struct mddev m;

	while (fgets(line, sizeof(line), stdin)) {
		memset(&m, 0, sizeof(m));
		if (line[0] == 'S') {
			unsigned long long v[12];
			long long active;
			int r;
			sscanf(line, "S %llu %llu %llu %lld %llu %llu %llu %llu %llu %llu %llu %llu",
			       &v[0], &v[1], &v[2], &active, &v[4], &v[5], &v[6],
			       &v[7], &v[8], &v[9], &v[10], &v[11]);
			m.recovery = v[0];
			m.curr_resync = v[1];
			m.curr_resync_completed = v[2];
			m.recovery_active = active;
			m.resync_max_sectors = v[4];
			m.dev_sectors = v[5];
			m.resync_offset = v[6];
			m.curr_mark_cnt = v[7];
			m.resync_mark_cnt = v[8];
			m.resync_mark = v[9];
			jiffies = v[10];
			HZ = v[11];
			outlen = 0;
			out[0] = 0;
			r = status_resync(NULL, &m);
			escaped(out);
			printf("|%d|", r);
			sync_speed_show(&m, page);
			escaped(page);
			putchar('|');
			sync_completed_show(&m, page);
			escaped(page);
			putchar('\n');
		} else if (line[0] == 'A') {
			unsigned long long flags, offset, reshape;
			int rdwr, needs;
			sscanf(line, "A %llu %d %llu %llu %d", &flags, &rdwr,
			       &offset, &reshape, &needs);
			m.recovery = flags;
			m.rdwr = rdwr;
			m.resync_offset = offset;
			m.reshape_position = reshape;
			m.needs_recovery = needs;
			printf("%d\n", md_sync_action(&m));
		} else if (line[0] == 'T') {
			unsigned long long io, mark_cnt, mark, jif, hz;
			int active, min, max, idle;
			unsigned int currspeed;
			sector_t recovery_done;
			int decision = 0;
			sscanf(line, "T %llu %d %llu %llu %llu %llu %d %d %d", &io,
			       &active, &mark_cnt, &mark, &jif, &hz, &min, &max,
			       &idle);
			m.recovery_active = active;
			m.resync_mark_cnt = mark_cnt;
			m.resync_mark = mark;
			jiffies = jif;
			HZ = hz;
			recovery_done = io - atomic_read(&m.recovery_active);
			currspeed = ((unsigned long)(recovery_done - m.resync_mark_cnt))/2
				/((jiffies-m.resync_mark)/HZ +1) +1;
			if (currspeed > min) {
				if (currspeed > max)
					decision = 1;
				else if (!idle)
					decision = 2;
			}
			printf("%u %d\n", currspeed, decision);
		} else if (line[0] == 'M' || line[0] == 'K' || line[0] == 'P') {
			size_t n;
			sscanf(line + 2, "%32767s", hex);
			n = unhex(hex, buf);
			if (line[0] == 'M') {
				printf("%d\n", md_sync_action_by_name(buf));
			} else if (line[0] == 'K') {
				if (sync_min_store(&m, buf, n) < 0)
					printf("ERR\n");
				else
					printf("OK %d\n", m.sync_speed_min);
			} else {
				int value = 0, err;
				size_t len = n;
				err = proc_dointvec_write(&value, buf, &len);
				if (err)
					printf("ERR\n");
				else
					printf("OK %d %zu\n", value, len);
			}
		}
	}
	return 0;
}
"#;

/// xorshift64*, for reproducible cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A number of about `bits` random bits, often near a power of two.
    fn magnitude(&mut self, max_bits: u32) -> u64 {
        let bits = self.below(u64::from(max_bits) + 1) as u32;
        let v = if bits == 64 {
            self.next()
        } else {
            self.next() & ((1u64 << bits) - 1)
        };
        match self.below(8) {
            0 => 1u64 << bits.min(63),
            1 => (1u64 << bits.min(63)).wrapping_sub(1),
            _ => v,
        }
    }
}

/// The C compiler to build the reference with, if any.
fn c_compiler() -> Option<&'static str> {
    ["cc", "gcc", "clang"].into_iter().find(|cc| {
        Command::new(cc)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A temporary directory, removed even when the test fails.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds `C_REFERENCE`, runs it on `input`, returns its answer lines.
fn run_reference(cc: &str, input: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("rust_md_sync_ref.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let source = dir.0.join("sync_ref.c");
    let exe = dir.0.join("sync_ref");
    std::fs::write(&source, C_REFERENCE).unwrap();
    let out = Command::new(cc)
        .args(["-std=gnu11", "-O2", "-fwrapv", "-w"])
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cc} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success(), "reference failed: {:?}", out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn escaped(s: &str) -> String {
    s.replace('\n', "\\n").replace('\t', "\\t")
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Random recovery bits among those md's code here looks at.
fn random_flags(rng: &mut Rng) -> Recovery {
    let bits = [
        Recovery::NEEDED,
        Recovery::RUNNING,
        Recovery::INTR,
        Recovery::DONE,
        Recovery::FROZEN,
        Recovery::SYNC,
        Recovery::REQUESTED,
        Recovery::CHECK,
        Recovery::RECOVER,
        Recovery::RESHAPE,
    ];
    let mut r = Recovery::NONE;
    for b in bits {
        if rng.below(3) == 0 {
            r = r | b;
        }
    }
    r
}

fn random_progress(rng: &mut Rng) -> SyncProgress {
    // Below 2^42 - 1024 sectors md's 64-bit per_milli is exact; beyond it
    // divides by a truncated u32 (see mdstat_huge_arrays).
    let limit = (1u64 << 42) - 1025;
    let resync_max_sectors = rng.magnitude(42).min(limit);
    let dev_sectors = if rng.below(2) == 0 {
        resync_max_sectors
    } else {
        rng.magnitude(42).min(limit)
    };
    let max = resync_max_sectors.max(dev_sectors);
    let curr_resync = match rng.below(8) {
        0 => rng.below(4),
        1 => max,
        2 => max.saturating_add(rng.magnitude(20)),
        _ => rng.below(max.saturating_add(1)),
    };
    let recovery_active = match rng.below(6) {
        0 => 0,
        1 => -(rng.below(1000) as i32),
        2 => rng.magnitude(31) as i32,
        _ => rng.below(65536) as i32,
    };
    let curr_mark_cnt = match rng.below(3) {
        0 => curr_resync,
        1 => rng.magnitude(64),
        _ => rng.below(max.saturating_add(1)),
    };
    let resync_mark_cnt = match rng.below(3) {
        0 => curr_mark_cnt.saturating_sub(rng.magnitude(30)),
        1 => rng.magnitude(64),
        _ => 0,
    };
    let jiffies = rng.next();
    let elapsed = match rng.below(4) {
        0 => 0,
        1 => rng.next(),
        _ => rng.magnitude(20),
    };
    SyncProgress {
        recovery: random_flags(rng),
        curr_resync,
        curr_resync_completed: rng.magnitude(42),
        recovery_active,
        resync_max_sectors,
        dev_sectors,
        resync_offset: if rng.below(2) == 0 {
            MAX_SECTOR
        } else {
            rng.magnitude(64)
        },
        curr_mark_cnt,
        resync_mark_cnt,
        resync_mark: jiffies.wrapping_sub(elapsed),
        jiffies,
        hz: rng.pick(&[100, 250, 300, 1000, 1, 7]),
    }
}

/// Bytes that matter to md's parsers.
fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    const WORDS: [&[u8]; 12] = [
        b"idle",
        b"frozen",
        b"check",
        b"repair",
        b"resync",
        b"recover",
        b"reshape",
        b"system",
        b"0x",
        b"2147483648",
        b"4294967295",
        b"-",
    ];
    const BYTES: &[u8] = b"0123456789+-xXafAFg \t\n\r\x0b\x0c\0\xa0e";
    const ENDS: [&[u8]; 7] = [b"", b"", b"\n", b"\n\n", b" ", b" \n", b"\0x"];
    const STARTS: [&[u8]; 5] = [b"", b"", b"+", b"-", b" "];
    // Half the time something close to valid: a word or a number in some
    // notation, with a sign, white space or a newline around it.
    match rng.below(4) {
        0 => return [rng.pick(&WORDS), rng.pick(&ENDS)].concat(),
        1 => {
            let n = rng.magnitude(34);
            let number = match rng.below(4) {
                0 => format!("{n:#x}"),
                1 => format!("0{n:o}"),
                _ => n.to_string(),
            };
            return [rng.pick(&STARTS), number.as_bytes(), rng.pick(&ENDS)].concat();
        }
        _ => {}
    }
    let mut v = Vec::new();
    if rng.below(3) == 0 {
        v.extend_from_slice(rng.pick(&WORDS));
    }
    for _ in 0..rng.below(24) {
        if rng.below(6) == 0 {
            v.extend_from_slice(rng.pick(&WORDS));
        } else {
            v.push(rng.pick(BYTES));
        }
    }
    v
}

#[test]
fn equivalence_with_md_c_code() {
    let Some(cc) = c_compiler() else {
        eprintln!("SKIPPED equivalence_with_md_c_code: no C compiler (cc, gcc, clang) found");
        return;
    };
    let mut rng = Rng(0x7379_6e63_5f73_7461);
    let mut input = String::new();
    let mut want = Vec::new();

    for _ in 0..20000 {
        let p = random_progress(&mut rng);
        writeln!(
            input,
            "S {} {} {} {} {} {} {} {} {} {} {} {}",
            p.recovery.0,
            p.curr_resync,
            p.curr_resync_completed,
            p.recovery_active,
            p.resync_max_sectors,
            p.dev_sectors,
            p.resync_offset,
            p.curr_mark_cnt,
            p.resync_mark_cnt,
            p.resync_mark,
            p.jiffies,
            p.hz
        )
        .unwrap();
        let (line, wrote) = mdstat(&p);
        want.push(format!(
            "{}|{}|{}|{}",
            escaped(&line),
            u8::from(wrote),
            escaped(&text(|w| write_sync_speed(w, &p))),
            escaped(&text(|w| write_sync_completed(w, &p)))
        ));
    }

    for _ in 0..5000 {
        let a = ActionInputs {
            recovery: random_flags(&mut rng),
            read_write: rng.below(4) != 0,
            resync_offset: rng.pick(&[MAX_SECTOR, 0, 12345, MAX_SECTOR - 1]),
            reshape_position: rng.pick(&[MAX_SECTOR, MAX_SECTOR, 0, 999]),
            member_needs_recovery: rng.below(3) == 0,
        };
        writeln!(
            input,
            "A {} {} {} {} {}",
            a.recovery.0,
            u8::from(a.read_write),
            a.resync_offset,
            a.reshape_position,
            u8::from(a.member_needs_recovery)
        )
        .unwrap();
        let got = sync_action(&a);
        let index = SyncAction::ALL.iter().position(|&x| x == got).unwrap();
        want.push(index.to_string());
    }

    for _ in 0..10000 {
        let jiffies = rng.next();
        let w = SyncWindow {
            io_sectors: rng.magnitude(40),
            recovery_active: rng.pick(&[0, 0, 256, 4096, -3, i32::MAX]),
            resync_mark_cnt: rng.magnitude(40),
            resync_mark: jiffies.wrapping_sub(rng.magnitude(16)),
            jiffies,
            hz: rng.pick(&[100, 250, 1000]),
        };
        let limits = [0, 1, 1000, 200000, 50000, -1, i32::MAX, i32::MIN];
        let min = if rng.below(2) == 0 {
            rng.pick(&limits)
        } else {
            rng.below(400_000) as i32
        };
        let max = if rng.below(2) == 0 {
            rng.pick(&limits)
        } else {
            rng.below(400_000) as i32
        };
        let idle = rng.below(2) == 0;
        writeln!(
            input,
            "T {} {} {} {} {} {} {} {} {}",
            w.io_sectors,
            w.recovery_active,
            w.resync_mark_cnt,
            w.resync_mark,
            w.jiffies,
            w.hz,
            min,
            max,
            u8::from(idle)
        )
        .unwrap();
        let speed = w.currspeed();
        let decision = match throttle(speed, min, max, || idle) {
            Throttle::Continue => 0,
            Throttle::Sleep => 1,
            Throttle::WaitInflight => 2,
        };
        want.push(format!("{speed} {decision}"));
    }

    for _ in 0..20000 {
        let bytes = random_bytes(&mut rng);
        let h = hex(&bytes);
        writeln!(input, "M {h}").unwrap();
        want.push(match SyncAction::parse(&bytes) {
            Some(a) => SyncAction::ALL
                .iter()
                .position(|&x| x == a)
                .unwrap()
                .to_string(),
            None => "7".into(),
        });
        writeln!(input, "K {h}").unwrap();
        want.push(match parse_sync_speed_limit(&bytes) {
            Some(v) => format!("OK {v}"),
            None => "ERR".into(),
        });
        // The C copy reads the sysctl buffer as bytes with a length; a
        // NUL is just another byte there, as in the kernel.
        writeln!(input, "P {h}").unwrap();
        want.push(match parse_sysctl_int(&bytes) {
            Some(s) => format!("OK {} {}", s.value.unwrap_or(0), s.consumed),
            None => "ERR".into(),
        });
    }

    // The cases reach every kind of answer.
    let count = |f: &dyn Fn(&String) -> bool| want.iter().filter(|w| f(w)).count();
    for (what, n) in [
        ("progress", count(&|w| w.starts_with('['))),
        ("pending", count(&|w| w.starts_with("\\tresync=PENDING"))),
        ("delayed", count(&|w| w.starts_with("\\tresync=DELAYED"))),
        ("no line", count(&|w| w.starts_with("|0|"))),
        ("parsed", count(&|w| w.starts_with("OK "))),
        ("refused", count(&|w| w == "ERR")),
    ] {
        eprintln!("{what}: {n}");
        assert!(n >= 100, "only {n} cases of {what}");
    }
    let got = run_reference(cc, &input);
    assert_eq!(
        got.len(),
        want.len(),
        "reference answered {} lines",
        got.len()
    );
    let lines: Vec<&str> = input.lines().collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "case {i}: {}", lines[i]);
    }
    eprintln!("compared {} cases with md's C code ({cc})", want.len());
}
