//! Event deserialisation benchmarks (being written; placeholder so the workspace manifest parses).

fn main() {}
