// SPDX-License-Identifier: GPL-2.0

//! Names of md devices, and the `new_array` module parameter.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

use core::fmt;

/// Longest disk name plus its NUL (`DISK_NAME_LEN`).
pub(crate) const DISK_NAME_LEN: usize = 32;
/// Largest minor number (`MINORMASK`).
pub(crate) const MINORMASK: u32 = (1 << 20) - 1;
/// Minors from here up are for named arrays (`md_NAME`); opening them does
/// not create an array.
pub(crate) const FIRST_NAMED_MINOR: u32 = 512;

/// The name of an md disk: `mdN` or `md_NAME`, at most 31 bytes, no NUL.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiskName {
    bytes: [u8; DISK_NAME_LEN],
    len: u8,
}

/// Why a name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// Longer than a disk name can be (md: `E2BIG`).
    TooLong,
    /// Not `mdNNN` nor `md_NAME` (md: `EINVAL`).
    Invalid,
}

impl DiskName {
    /// The name of unit `minor`: `md<minor>`.
    pub(crate) fn unit(minor: u32) -> Self {
        let mut name = Self {
            bytes: [0; DISK_NAME_LEN],
            len: 2,
        };
        name.bytes[..2].copy_from_slice(b"md");
        let mut digits = [0u8; 10];
        let mut n = minor;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            name.bytes[name.len as usize] = d;
            name.len += 1;
        }
        name
    }

    /// A name given by user space, checked: 1 to 31 bytes of printable
    /// ASCII other than `/` (it becomes a sysfs and /dev name).
    pub(crate) fn checked(name: &[u8]) -> Result<Self, NameError> {
        if name.len() >= DISK_NAME_LEN {
            return Err(NameError::TooLong);
        }
        if name.is_empty() || !name.iter().all(|&c| c.is_ascii_graphic() && c != b'/') {
            return Err(NameError::Invalid);
        }
        let mut out = Self {
            bytes: [0; DISK_NAME_LEN],
            len: name.len() as u8,
        };
        out.bytes[..name.len()].copy_from_slice(name);
        Ok(out)
    }

    /// The name's bytes, without a NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The name as text (always ASCII).
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("md?")
    }
}

impl fmt::Display for DiskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a write to `new_array` asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewArray {
    /// `mdNNN`: that unit.
    Unit(u32),
    /// `md_NAME`: a named array on a free minor from 512 up.
    Named(DiskName),
}

/// Parses a `new_array` value (trailing newlines already removed), as md's
/// `add_named_array` does.
pub(crate) fn parse_new_array(val: &[u8]) -> Result<NewArray, NameError> {
    if val.len() >= DISK_NAME_LEN {
        return Err(NameError::TooLong);
    }
    if val.starts_with(b"md_") {
        return DiskName::checked(val).map(NewArray::Named);
    }
    let digits = val.strip_prefix(b"md").ok_or(NameError::Invalid)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(NameError::Invalid);
    }
    let mut unit: u32 = 0;
    for &d in digits {
        unit = unit
            .checked_mul(10)
            .and_then(|u| u.checked_add(u32::from(d - b'0')))
            .ok_or(NameError::Invalid)?;
    }
    if unit > MINORMASK {
        return Err(NameError::Invalid);
    }
    Ok(NewArray::Unit(unit))
}
