//! Persistence of the core's store operations.
