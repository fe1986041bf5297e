//! The Okta Expression Language engine (Classic dialect plus SpEL core syntax).
