// SPDX-License-Identifier: GPL-2.0

//! The unsafe layer over the C block layer.
//!
//! Every call into `kernel::bindings` that md needs lives here, behind safe
//! types that document their invariants. `mddev` uses only these types.

pub(crate) mod major;
