// SPDX-License-Identifier: GPL-2.0

//! Kernel log lines in md's form: `md: ...`, `md/raid1:md0: ...`.
//!
//! `pr_info!` would prefix every line with the module name ("md_mod: ");
//! md's tooling and users expect md's own prefixes.

use core::fmt;
use kernel::print::{call_printk, format_strings};

/// Log levels used by md.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// `KERN_INFO`
    Info,
    /// `KERN_WARNING`
    Warn,
}

/// Prints one line with the prefix `md` (`md: <args>`).
pub(crate) fn md_print(level: Level, args: fmt::Arguments<'_>) {
    let format = match level {
        Level::Info => &format_strings::INFO,
        Level::Warn => &format_strings::WARNING,
    };
    // SAFETY: `format` is one of `format_strings` and the prefix is
    // NUL-terminated, as `call_printk` requires.
    unsafe { call_printk(format, b"md\0", args) };
}

/// Prints one line exactly as formatted, for md's level prefixes
/// (`md/raid0:md0: ...`), which name the array after the level.
pub(crate) fn line_print(level: Level, args: fmt::Arguments<'_>) {
    let format: &[u8] = match level {
        Level::Info => b"\x016%pA\0",
        Level::Warn => b"\x014%pA\0",
    };
    // SAFETY: the format is NUL-terminated and takes one `%pA`, a pointer to
    // `fmt::Arguments`, which Rust's printk support formats.
    unsafe {
        kernel::bindings::_printk(
            format.as_ptr().cast(),
            &args as *const fmt::Arguments<'_> as *const core::ffi::c_void,
        )
    };
}

/// A whole line at `KERN_INFO`, e.g. `md/raid1:md0: ...`.
macro_rules! line_info {
    ($($arg:tt)*) => {
        $crate::blockdev::log::line_print($crate::blockdev::log::Level::Info, format_args!($($arg)*))
    };
}

/// A whole line at `KERN_WARNING`, e.g. `md/raid0:md0: ...`.
macro_rules! line_warn {
    ($($arg:tt)*) => {
        $crate::blockdev::log::line_print($crate::blockdev::log::Level::Warn, format_args!($($arg)*))
    };
}

/// `md: ...` at `KERN_INFO`.
macro_rules! md_info {
    ($($arg:tt)*) => {
        $crate::blockdev::log::md_print($crate::blockdev::log::Level::Info, format_args!($($arg)*))
    };
}

/// `md: ...` at `KERN_WARNING`.
macro_rules! md_warn {
    ($($arg:tt)*) => {
        $crate::blockdev::log::md_print($crate::blockdev::log::Level::Warn, format_args!($($arg)*))
    };
}

pub(crate) use {line_info, line_warn, md_info, md_warn};
