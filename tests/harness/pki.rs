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
        let cert_pem = server
            .signed_by(&key, &issuer)
            .expect("sign server cert")
            .pem();
        ServerPki {
            ca_pem,
            cert_pem,
            key_pem: key.serialize_pem(),
        }
    }
}

/// One htpasswd line. Distribution only accepts bcrypt entries; cost 4 (the minimum) because the registry
/// checks the password on every request and the tests make hundreds of them.
pub(super) fn htpasswd_line(user: &str, password: &str) -> String {
    let hash = bcrypt::hash(password, 4).expect("bcrypt hash");
    format!("{user}:{hash}\n")
}
