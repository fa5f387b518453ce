//! flowdash: a terminal dashboard for the flows of the Sociostacks SMS API.

pub mod budget;

/// Installs the process-wide TLS crypto provider (ring). Safe to call more than once.
pub fn install_tls_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
