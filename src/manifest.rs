//! Manifests: the portable list of files and digests (`export`), and `sha256sum` files.
