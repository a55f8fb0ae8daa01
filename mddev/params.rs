// SPDX-License-Identifier: GPL-2.0

//! Module parameters: `new_array` (the C half declares it; see
//! blockdev/helpers.h) and `create_on_open` (read in the probe).

use super::{
    names::{self, NameError},
    registry::{Request, CORE},
};
use kernel::prelude::*;

/// `echo mdNNN|md_NAME > /sys/module/md_mod/parameters/new_array` (md's
/// `add_named_array`): makes that array, held until configured (mdNNN) or
/// stopped (md_NAME); `EEXIST` if it exists.
pub(crate) fn new_array(val: &[u8]) -> Result {
    let request = names::parse_new_array(val).map_err(|e| match e {
        NameError::TooLong => E2BIG,
        NameError::Invalid => EINVAL,
    })?;
    let core = CORE.get().ok_or(ENODEV)?;
    core.create(Request::Param(request)).map(drop)
}
