//! Door parity for the privacy capability.
