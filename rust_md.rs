// SPDX-License-Identifier: GPL-2.0

//! rust_md: the Linux md (software RAID) driver in Rust.
//!
//! The module owns block major 9 ("md"), like the C `md_mod` it replaces.
//! `blockdev` is the thin unsafe layer over the C block layer; `mddev` is the
//! md model in safe Rust.

use kernel::{c_str, prelude::*};

mod blockdev;
mod mddev;

module! {
    type: MdModule,
    name: "md_mod",
    author: "rust_md developers",
    description: "MD RAID framework (Rust)",
    license: "GPL",
    alias: ["md", "block-major-9-*"],
}

/// The loaded module: what it registered, released in reverse on unload.
struct MdModule {
    _major: blockdev::major::MajorRegistration,
}

impl kernel::Module for MdModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let major = blockdev::major::MajorRegistration::new(mddev::MD_MAJOR, c_str!("md"))?;
        pr_info!("rust_md loaded, block major {}\n", mddev::MD_MAJOR);
        Ok(MdModule { _major: major })
    }
}

impl Drop for MdModule {
    fn drop(&mut self) {
        pr_info!("rust_md unloading\n");
    }
}
