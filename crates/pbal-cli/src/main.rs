fn main() -> std::process::ExitCode {
    pbal_cli::main()
}
