fn main() -> std::process::ExitCode {
    imagepin::main(std::env::args_os())
}
