// SPDX-License-Identifier: GPL-2.0

//! The md model: arrays (mddevs), their members and their lifecycle.

/// Block major number of md devices (include/uapi/linux/major.h).
pub(crate) const MD_MAJOR: u32 = 9;
