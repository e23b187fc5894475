//! Door parity for the identity capability.
