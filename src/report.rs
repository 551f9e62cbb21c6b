//! Compliance reports rendered from the model record (Markdown, HTML, JSON, CycloneDX, SPDX 3).
