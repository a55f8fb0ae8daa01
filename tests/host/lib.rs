// SPDX-License-Identifier: GPL-2.0
//! The module's pure logic, compiled for the host: the same source files as
//! in md_mod.ko, included by path, and their tests.
#![allow(dead_code)]

#[path = "../../mddev/array_state.rs"]
mod array_state;
#[path = "../../mddev/mdstat_format.rs"]
mod mdstat_format;
#[path = "../../mddev/names.rs"]
mod names;
#[path = "../../mddev/text.rs"]
mod text;
#[path = "../../mddev/uapi.rs"]
mod uapi;

#[cfg(test)]
mod tests;
