//! Openness: the MOF components, MOT model entries, the OSAID 1.0 verdict and the MOF class.
