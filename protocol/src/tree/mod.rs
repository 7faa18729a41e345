//! The authenticated state tree (skeleton; being built).
