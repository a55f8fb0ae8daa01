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

/// A `core::fmt::Write` into a byte buffer, for short texts (names) built
/// without allocating; a text that does not fit is an error.
pub(crate) struct ByteWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> ByteWriter<'a> {
    /// Writes into `buf` from its start.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl core::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Why a number written to sysfs was refused, as the kernel's `kstrto*`
/// functions tell it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not a number (`EINVAL`).
    Invalid,
    /// A number out of range (`ERANGE`).
    Range,
}

/// Unsigned decimal digits, after the kernel's optional `+` and before an
/// optional newline (`kstrtoull(s, 10, ...)`).
pub(crate) fn parse_u64_kstrto(input: &[u8]) -> Result<u64, NumberError> {
    let s = input.strip_suffix(b"\n").unwrap_or(input);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(NumberError::Invalid);
    }
    s.iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(NumberError::Range)
    })
}

/// `kstrtouint(s, 10, ...)`.
pub(crate) fn parse_u32_kstrto(input: &[u8]) -> Result<u32, NumberError> {
    let v = parse_u64_kstrto(input)?;
    u32::try_from(v).map_err(|_| NumberError::Range)
}
