// SPDX-License-Identifier: GPL-2.0
use super::*;
use array_state::ArrayState;
use mdstat_format::*;
use names::*;
use std::fmt::Write;

#[test]
fn unit_names() {
    assert_eq!(DiskName::unit(0).as_str(), "md0");
    assert_eq!(DiskName::unit(127).as_str(), "md127");
    assert_eq!(DiskName::unit(MINORMASK).as_str(), "md1048575");
}

#[test]
fn new_array_units() {
    assert!(matches!(parse_new_array(b"md0"), Ok(NewArray::Unit(0))));
    assert!(matches!(parse_new_array(b"md600"), Ok(NewArray::Unit(600))));
    assert!(matches!(
        parse_new_array(b"md1048575"),
        Ok(NewArray::Unit(MINORMASK))
    ));
    for bad in [
        &b"md"[..],
        b"mdx",
        b"md-1",
        b"md+1",
        b"md 1",
        b"foo",
        b"",
        b"md1048576",
        b"md99999999999",
    ] {
        assert_eq!(
            parse_new_array(bad).err(),
            Some(NameError::Invalid),
            "{:?}",
            bad
        );
    }
}

#[test]
fn new_array_names() {
    match parse_new_array(b"md_home") {
        Ok(NewArray::Named(n)) => assert_eq!(n.as_str(), "md_home"),
        _ => panic!("md_home"),
    }
    let long = [b'x'; 40];
    let mut v = b"md_".to_vec();
    v.extend_from_slice(&long);
    assert_eq!(parse_new_array(&v).err(), Some(NameError::TooLong));
    // 31 bytes fit, 32 do not (DISK_NAME_LEN with its NUL).
    let mut fits = b"md_".to_vec();
    fits.extend_from_slice(&[b'a'; 28]);
    assert!(parse_new_array(&fits).is_ok());
    fits.push(b'a');
    assert_eq!(parse_new_array(&fits).err(), Some(NameError::TooLong));
    for bad in [&b"md_a/b"[..], b"md_a b", b"md_\x01", b"md_\xff"] {
        assert_eq!(
            parse_new_array(bad).err(),
            Some(NameError::Invalid),
            "{:?}",
            bad
        );
    }
}

#[test]
fn array_state_words() {
    assert_eq!(ArrayState::parse(b"clear"), Some(ArrayState::Clear));
    assert_eq!(ArrayState::parse(b"clear\n"), Some(ArrayState::Clear));
    assert_eq!(
        ArrayState::parse(b"read-auto\n"),
        Some(ArrayState::ReadAuto)
    );
    assert_eq!(ArrayState::parse(b"clear\n\n"), None);
    assert_eq!(ArrayState::parse(b" clear"), None);
    assert_eq!(ArrayState::parse(b"cle"), None);
    assert_eq!(ArrayState::parse(b""), None);
    for s in [
        ArrayState::Clear,
        ArrayState::Inactive,
        ArrayState::WritePending,
        ArrayState::Broken,
    ] {
        assert_eq!(ArrayState::parse(s.as_str().as_bytes()), Some(s));
    }
}

#[test]
fn numbers() {
    assert_eq!(text::parse_u32(b"0"), Some(0));
    assert_eq!(text::parse_u32(b"2\n"), Some(2));
    assert_eq!(text::parse_u32(b"4294967295"), Some(u32::MAX));
    for bad in [
        &b"4294967296"[..],
        b"-1",
        b"+1",
        b" 1",
        b"1 ",
        b"",
        b"\n",
        b"0x10",
        b"1\n\n",
    ] {
        assert_eq!(text::parse_u32(bad), None, "{:?}", bad);
    }
}

#[test]
fn ioctl_numbers_match_md_u_h() {
    // Values from include/uapi/linux/raid/md_u.h on x86_64.
    assert_eq!(uapi::RAID_VERSION, 0x800c0910);
    assert_eq!(uapi::GET_ARRAY_INFO, 0x80480911);
    assert_eq!(uapi::GET_DISK_INFO, 0x80140912);
    assert_eq!(uapi::GET_BITMAP_FILE, 0x90000915);
    assert_eq!(uapi::ADD_NEW_DISK, 0x40140921);
    assert_eq!(uapi::SET_ARRAY_INFO, 0x40480923);
    assert_eq!(uapi::SET_BITMAP_FILE, 0x4004092b);
    assert_eq!(uapi::RUN_ARRAY, 0x400c0930);
    assert_eq!(uapi::STOP_ARRAY, 0x932);
    assert_eq!(uapi::STOP_ARRAY_RO, 0x933);
    assert_eq!(uapi::RESTART_ARRAY_RW, 0x934);
    assert_eq!(
        uapi::ioctl_access(uapi::STOP_ARRAY),
        uapi::IoctlAccess::Admin
    );
    assert_eq!(
        uapi::ioctl_access(uapi::GET_ARRAY_INFO),
        uapi::IoctlAccess::Query
    );
    assert_eq!(uapi::ioctl_access(0x914), uapi::IoctlAccess::Unknown); // RAID_AUTORUN
    assert_eq!(uapi::ioctl_access(0x1234), uapi::IoctlAccess::Unknown);
}

#[test]
fn array_info_round_trip() {
    let info = uapi::MduArrayInfo {
        major_version: 1,
        minor_version: 2,
        ctime: 0xdead_beef,
        level: -1_000_000,
        raid_disks: 2,
        chunk_size: 65536,
        ..Default::default()
    };
    let b = info.to_bytes();
    assert_eq!(b.len(), 72);
    assert_eq!(&b[12..16], &0xdead_beefu32.to_ne_bytes());
    assert_eq!(uapi::MduArrayInfo::from_bytes(&b), info);
    assert!(uapi::check_version_only(&info));
    assert!(!uapi::check_version_only(&uapi::MduArrayInfo {
        major_version: 2,
        ..info
    }));
    assert!(!uapi::check_version_only(&uapi::MduArrayInfo {
        major_version: -1,
        ..info
    }));
    assert_eq!(uapi::MD_VERSION.to_bytes()[4..8], 90i32.to_ne_bytes());
}

fn render(f: impl FnOnce(&mut String) -> core::fmt::Result) -> String {
    let mut s = String::new();
    f(&mut s).unwrap();
    s
}

#[test]
fn mdstat_empty() {
    let s = render(|w| {
        write_header(w, &[])?;
        write_unused(w, &[])
    });
    assert_eq!(s, "Personalities : \nunused devices: <none>\n");
    assert_eq!(
        render(|w| write_header(w, &["linear", "raid0"])),
        "Personalities : [linear] [raid0] \n"
    );
}

#[test]
fn mdstat_inactive_arrays() {
    let a = ArrayStatus {
        name: "md0",
        personality: None,
        read_only: false,
        auto_read_only: false,
        members: &[],
        array_sectors: 0,
        superblock: Superblock::NonPersistent,
    };
    assert_eq!(
        render(|w| write_array(w, &a, |_| Ok(()), |_| Ok(false))),
        "md0 : inactive super non-persistent\n       \n"
    );
    let b = ArrayStatus {
        superblock: Superblock::Version(0, 90),
        ..a
    };
    assert_eq!(
        render(|w| write_array(w, &b, |_| Ok(()), |_| Ok(false))),
        "md0 : inactive\n       \n"
    );
    let members = [
        Member {
            name: "vdb",
            desc_nr: 1,
            write_mostly: false,
            faulty: false,
            spare: false,
            sectors: 2048,
        },
        Member {
            name: "vda",
            desc_nr: 0,
            write_mostly: false,
            faulty: false,
            spare: true,
            sectors: 2048,
        },
    ];
    let c = ArrayStatus {
        superblock: Superblock::Version(1, 2),
        members: &members,
        ..a
    };
    assert_eq!(
        render(|w| write_array(w, &c, |_| Ok(()), |_| Ok(false))),
        "md0 : inactive vdb[1] vda[0](S)\n      2048 blocks super 1.2\n       \n"
    );
}

#[test]
fn mdstat_active_array() {
    let members = [
        Member {
            name: "vdb",
            desc_nr: 1,
            write_mostly: false,
            faulty: false,
            spare: false,
            sectors: 4096,
        },
        Member {
            name: "vda",
            desc_nr: 0,
            write_mostly: false,
            faulty: true,
            spare: false,
            sectors: 4096,
        },
    ];
    let a = ArrayStatus {
        name: "md127",
        personality: Some("raid1"),
        read_only: true,
        auto_read_only: false,
        members: &members,
        array_sectors: 4096,
        superblock: Superblock::Version(1, 2),
    };
    assert_eq!(
        render(|w| write_array(w, &a, |w| w.write_str(" [2/1] [_U]"), |_| Ok(false))),
        "md127 : active (read-only) raid1 vdb[1] vda[0](F)\n      2048 blocks super 1.2 [2/1] [_U]\n      \n"
    );
}

#[test]
fn kstrto_numbers() {
    use text::{parse_u32_kstrto, parse_u64_kstrto, NumberError::*};
    assert_eq!(parse_u32_kstrto(b"42\n"), Ok(42));
    assert_eq!(parse_u32_kstrto(b"+7"), Ok(7));
    assert_eq!(parse_u32_kstrto(b"4294967295"), Ok(u32::MAX));
    assert_eq!(parse_u32_kstrto(b"4294967296"), Err(Range));
    assert_eq!(parse_u32_kstrto(b"99999999999999999999"), Err(Range));
    for bad in [
        &b""[..],
        b"\n",
        b"-1",
        b"1 2",
        b"garbage",
        b"0x10",
        b"++1",
        b"1\n\n",
    ] {
        assert_eq!(parse_u32_kstrto(bad), Err(Invalid), "{bad:?}");
    }
    assert_eq!(parse_u64_kstrto(b"18446744073709551615"), Ok(u64::MAX));
    assert_eq!(parse_u64_kstrto(b"18446744073709551616"), Err(Range));
}
