// SPDX-License-Identifier: GPL-2.0

//! The text of /proc/mdstat, byte for byte as md prints it (mdadm parses
//! it).
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use core::fmt::{self, Write};

/// How an array's superblock shows in /proc/mdstat.
#[derive(Clone, Copy)]
pub(crate) enum Superblock {
    /// Persistent, with this version (0.90 prints nothing).
    Version(i32, i32),
    /// No superblock (`mdadm --build`).
    NonPersistent,
}

/// One member as /proc/mdstat lists it.
#[derive(Clone, Copy)]
pub(crate) struct Member<'a> {
    /// Block device name, e.g. `vda`.
    pub(crate) name: &'a str,
    /// Its descriptor number in the array.
    pub(crate) desc_nr: i32,
    /// Marked write-mostly.
    pub(crate) write_mostly: bool,
    /// Failed.
    pub(crate) faulty: bool,
    /// A spare (no slot).
    pub(crate) spare: bool,
    /// Size in sectors.
    pub(crate) sectors: u64,
}

/// What /proc/mdstat shows of one array.
pub(crate) struct ArrayStatus<'a> {
    /// `md0`, `md_home`, ...
    pub(crate) name: &'a str,
    /// The personality's name when the array runs.
    pub(crate) personality: Option<&'a str>,
    /// Running read-only.
    pub(crate) read_only: bool,
    /// Running read-only until the first write.
    pub(crate) auto_read_only: bool,
    /// The members.
    pub(crate) members: &'a [Member<'a>],
    /// Size of a running array in sectors.
    pub(crate) array_sectors: u64,
    /// Its superblock.
    pub(crate) superblock: Superblock,
}

/// `Personalities : [linear] [raid0] ` and the newline.
pub(crate) fn write_header<W: Write>(w: &mut W, personalities: &[&str]) -> fmt::Result {
    w.write_str("Personalities : ")?;
    for p in personalities {
        write!(w, "[{p}] ")?;
    }
    w.write_str("\n")
}

/// One array's lines; `status` adds the personality's part for a running
/// array (md's `pers->status`).
pub(crate) fn write_array<W: Write>(
    w: &mut W,
    a: &ArrayStatus<'_>,
    status: impl FnOnce(&mut W) -> fmt::Result,
    sync: impl FnOnce(&mut W) -> Result<bool, fmt::Error>,
) -> fmt::Result {
    write!(w, "{} : ", a.name)?;
    match a.personality {
        Some(p) => {
            w.write_str("active")?;
            if a.read_only {
                w.write_str(" (read-only)")?;
            }
            if a.auto_read_only {
                w.write_str(" (auto-read-only)")?;
            }
            write!(w, " {p}")?;
        }
        None => w.write_str("inactive")?,
    }
    let mut sectors = 0u64;
    for m in a.members {
        write!(w, " {}[{}]", m.name, m.desc_nr)?;
        if m.write_mostly {
            w.write_str("(W)")?;
        }
        if m.faulty {
            w.write_str("(F)")?;
            continue;
        }
        if m.spare {
            w.write_str("(S)")?;
        }
        sectors += m.sectors;
    }
    if !a.members.is_empty() {
        let blocks = if a.personality.is_some() {
            a.array_sectors / 2
        } else {
            sectors / 2
        };
        write!(w, "\n      {blocks} blocks")?;
    }
    match a.superblock {
        Superblock::Version(0, 90) => {}
        Superblock::Version(major, minor) => write!(w, " super {major}.{minor}")?,
        Superblock::NonPersistent => w.write_str(" super non-persistent")?,
    }
    if a.personality.is_some() {
        status(w)?;
        w.write_str("\n      ")?;
        if sync(w)? {
            w.write_str("\n      ")?;
        }
    } else {
        w.write_str("\n       ")?;
    }
    w.write_str("\n")
}

/// `unused devices: ...` and the newline.
pub(crate) fn write_unused<W: Write>(w: &mut W, unused: &[&str]) -> fmt::Result {
    w.write_str("unused devices: ")?;
    if unused.is_empty() {
        w.write_str("<none>")?;
    }
    for u in unused {
        write!(w, "{u} ")?;
    }
    w.write_str("\n")
}
