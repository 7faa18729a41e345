//! The perpetual-futures exchange engine, i.e. the STF (skeleton; being built).
