//! pbal command line.
