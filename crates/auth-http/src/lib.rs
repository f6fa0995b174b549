//! Transports and the token lifecycle on top of auth-core (work in progress).
