//! Door parity for the time capability.
