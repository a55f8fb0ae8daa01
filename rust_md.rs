// SPDX-License-Identifier: GPL-2.0

//! rust_md: the Linux md (software RAID) driver in Rust.
//!
//! The module owns block major 9 ("md"), like the C `md_mod` it replaces.
//! `blockdev` is the thin unsafe layer over the C block layer; `mddev` is the
//! md model in safe Rust.

// pin-init macros of structures with many fields (raid1's state) nest
// deeper than the default limit.
#![recursion_limit = "512"]

use kernel::{c_str, prelude::*};

mod blockdev;
mod mddev;

use blockdev::{live::LiveObjects, major::MajorRegistration, shim};
use mddev::{MdCore, MdProbe, CORE, MD_MAJOR};

module! {
    type: MdModule,
    name: "md_mod",
    author: "rust_md developers",
    description: "MD RAID framework (Rust)",
    license: "GPL",
    alias: ["md", "block-major-9-*"],
}

/// The loaded module: what it set up, torn down in reverse on unload (or
/// when loading fails part way).
struct MdModule {
    started: bool,
    proc_mdstat: Option<shim::ProcMdstat>,
    sysctl: Option<blockdev::wait::RaidSysctl>,
    major: Option<MajorRegistration<MdProbe>>,
}

impl kernel::Module for MdModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut md = MdModule {
            started: false,
            proc_mdstat: None,
            sysctl: None,
            major: None,
        };
        LiveObjects::publish()?;
        md.started = true;
        MdCore::start()?;
        md.proc_mdstat = Some(shim::ProcMdstat::new()?);
        md.sysctl = Some(blockdev::wait::RaidSysctl::new()?);
        md.major = Some(MajorRegistration::new(MD_MAJOR, c_str!("md"))?);
        Ok(md)
    }
}

impl Drop for MdModule {
    fn drop(&mut self) {
        if !self.started {
            return;
        }
        // Nothing new from here on: no creation, then no probe, no
        // /proc/mdstat reader, no new_array writer in progress.
        if let Some(core) = CORE.get() {
            core.close();
        }
        drop(self.major.take());
        drop(self.proc_mdstat.take());
        drop(self.sysctl.take());
        shim::params_drain();
        if let Some(core) = CORE.get() {
            core.delete_all();
        }
        // SAFETY: every path that reaches the core is gone: the probe is
        // unregistered, /proc/mdstat removed, parameter writers drained, no
        // disk is open (each open pins the module), every `md/` directory is
        // deleted and the deletions have run. Dropping the core destroys the
        // workqueue.
        drop(unsafe { CORE.take() });
        // Gendisks and kobjects may be released later still.
        LiveObjects::wait_and_retire();
    }
}
