//! Integration tests: the real `modelvet` binary in temp dirs. One test binary, one module per area.

mod catalogue;
mod report;
mod support;
