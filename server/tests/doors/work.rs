//! Door parity for the work capability.
