//! Shared helpers for the acord examples (none yet).
