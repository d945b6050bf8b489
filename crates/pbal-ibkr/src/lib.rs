//! Interactive Brokers inputs for pbal.
