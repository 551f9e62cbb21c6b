//! License knowledge base (`licenses/`), expression normalisation, text identification and resolution.
