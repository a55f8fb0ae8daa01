// SPDX-License-Identifier: GPL-2.0

//! Numbers written to sysfs, read as the kernel's `kstrtouint` does.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

/// A decimal number, optionally followed by one newline; anything else
/// (signs, spaces, overflow) is refused.
pub(crate) fn parse_u32(input: &[u8]) -> Option<u32> {
    let digits = input.strip_suffix(b"\n").unwrap_or(input);
    if digits.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(value)
}
