//! Tokens: refresh-token records (and, later, keys, signing and verification).

pub mod refresh;
