use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = bastion::cli::Cli::parse();
    let format = bastion::config::Config::load(cli.config.as_deref())
        .map(|c| c.log_format)
        .unwrap_or(bastion::config::LogFormat::Text);
    bastion::init_tracing(format);
    match bastion::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
