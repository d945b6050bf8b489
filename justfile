# pbal developer recipes. Help messages are one line. CI does not need just (.ci/run).
set positional-arguments

# List recipes.
help:
    @just --list

# Plan the bundled ten-ETF example with 5000 of new cash.
demo:
    cargo run -q -p pbal-cli -- plan fixtures/positions-custom.csv --cash 5000

# Format the code.
fmt:
    cargo fmt --all

# Lint everything, with and without the live feature.
lint:
    cargo clippy --workspace --all-targets --all-features -- -D warnings

# Run the tests (cargo features are additive: also test with `live` and the fake gateway).
test:
    cargo test --workspace --locked
    cargo test --workspace --all-features --locked

# Accept changed insta snapshots.
snap:
    INSTA_UPDATE=always cargo test --workspace

# Run the benchmarks (not in CI).
bench:
    cargo bench --workspace

# What CI runs.
ci:
    bash .ci/run
