//! Throwaway TLS material and the htpasswd line, generated per registry (fast: ECDSA P-256 keys, bcrypt cost 4).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A CA and a server certificate it signed, valid for 127.0.0.1, ::1 and localhost.
pub(super) struct ServerPki {
    pub ca_pem: String,
    pub cert_pem: String,
    /// PKCS#8, which Go's `tls.X509KeyPair` reads.
    pub key_pem: String,
    /// The same certificate and key as DER, for an in-process rustls server.
    pub cert_der: rustls::pki_types::CertificateDer<'static>,
    pub key_der: Vec<u8>,
}

impl ServerPki {
    pub fn generate() -> ServerPki {
        let ca_key = KeyPair::generate().expect("generate CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.distinguished_name
            .push(DnType::CommonName, "imagepin test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_pem = ca.self_signed(&ca_key).expect("self-sign CA").pem();
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().expect("generate server key");
        let mut server = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "::1".to_string(),
            "localhost".to_string(),
        ])
        .expect("server params");
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server.is_ca = IsCa::ExplicitNoCa;
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = server.signed_by(&key, &issuer).expect("sign server cert");
        ServerPki {
            ca_pem,
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }

    /// A rustls server configuration presenting this certificate, offering `alpn` (e.g. `[b"http/1.1"]`).
    pub fn server_config(&self, alpn: &[&[u8]]) -> std::sync::Arc<rustls::ServerConfig> {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der.clone()], key)
            .expect("server certificate");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        std::sync::Arc::new(config)
    }
}

/// One htpasswd line. Distribution only accepts bcrypt entries; cost 4 (the minimum) because the registry
/// checks the password on every request and the tests make hundreds of them.
pub(super) fn htpasswd_line(user: &str, password: &str) -> String {
    let hash = bcrypt::hash(password, 4).expect("bcrypt hash");
    format!("{user}:{hash}\n")
}
