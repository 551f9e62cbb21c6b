//! Hugging Face Hub client: pin, list, fetch and verify against the Hub; audit the HF cache.
