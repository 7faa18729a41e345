//! `verifier`: see its issue; the library grows `app()` and `run()` here.
