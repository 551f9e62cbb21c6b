//! Scanning model files for code-execution risk and structural damage.
