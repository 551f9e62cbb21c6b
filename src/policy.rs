//! Adoption policy: the policy file and its evaluation against a model record.
