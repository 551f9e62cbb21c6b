//! The bundled candle runtime: structural checks and a real forward pass (smoke test).
