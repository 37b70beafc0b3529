//! Streaming replay of NDJSON into the batch API (see `commands/batch.rs`).
