// SPDX-License-Identifier: GPL-2.0
//! The module's pure logic, compiled for the host: the same source files as
//! in md_mod.ko, included by path, and their tests.
#![allow(dead_code)]

#[path = "../../mddev/array_state.rs"]
mod array_state;
#[path = "../../mddev/linear_map.rs"]
mod linear_map;
#[path = "../../mddev/mdstat_format.rs"]
mod mdstat_format;
#[path = "../../mddev/names.rs"]
mod names;
#[path = "../../mddev/raid0_map.rs"]
mod raid0_map;
#[path = "../../mddev/read_balance.rs"]
mod read_balance;
#[path = "../../mddev/sb0.rs"]
mod sb0;
#[path = "../../mddev/sb1.rs"]
mod sb1;
#[path = "../../mddev/spares.rs"]
mod spares;
#[path = "../../mddev/superblock.rs"]
mod superblock;
#[path = "../../mddev/sync_status.rs"]
mod sync_status;
#[path = "../../mddev/text.rs"]
mod text;
#[path = "../../mddev/uapi.rs"]
mod uapi;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_maps;
#[cfg(test)]
mod tests_read_balance;
#[cfg(test)]
mod tests_superblock;
#[cfg(test)]
mod tests_sync_status;
