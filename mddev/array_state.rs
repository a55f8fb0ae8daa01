// SPDX-License-Identifier: GPL-2.0

//! The words of `md/array_state`.
//!
//! Pure logic: no `kernel::`, so host tests check it (tests/host).

/// An array state as md reads and writes it in sysfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrayState {
    /// No devices, no configuration.
    Clear,
    /// Configured or with members, not running.
    Inactive,
    /// Running, I/O suspended (not supported, as in md).
    Suspended,
    /// Running read-only.
    Readonly,
    /// Running read-only until the first write.
    ReadAuto,
    /// Running, in sync, no writes pending.
    Clean,
    /// Running, writes may be in flight.
    Active,
    /// Running, a metadata update is pending.
    WritePending,
    /// Running and active but idle.
    ActiveIdle,
    /// A member needed for the data is missing.
    Broken,
}

const WORDS: [(ArrayState, &str); 10] = [
    (ArrayState::Clear, "clear"),
    (ArrayState::Inactive, "inactive"),
    (ArrayState::Suspended, "suspended"),
    (ArrayState::Readonly, "readonly"),
    (ArrayState::ReadAuto, "read-auto"),
    (ArrayState::Clean, "clean"),
    (ArrayState::Active, "active"),
    (ArrayState::WritePending, "write-pending"),
    (ArrayState::ActiveIdle, "active-idle"),
    (ArrayState::Broken, "broken"),
];

impl ArrayState {
    /// The word sysfs shows.
    pub(crate) fn as_str(self) -> &'static str {
        WORDS
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("clear", |(_, w)| w)
    }

    /// The state a write names: the exact word, optionally followed by one
    /// newline (md's `cmd_match`).
    pub(crate) fn parse(input: &[u8]) -> Option<Self> {
        let word = input.strip_suffix(b"\n").unwrap_or(input);
        WORDS
            .iter()
            .find(|(_, w)| w.as_bytes() == word)
            .map(|(s, _)| *s)
    }
}
