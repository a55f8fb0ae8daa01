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

pub(crate) use {md_info, md_warn};
