//! The cryptography under Sigstore verification: `sigstore-crypto`'s pluggable provider, backed by ring (which
//! rustls and the cosign key checks already use), so the verifier builds without aws-lc.
//!
//! ring verifies signatures over messages. A signature over a digest computed elsewhere ("prehashed": the
//! `messageDigest` of a message-signature bundle, which is how cosign's legacy `.sig` signatures travel once
//! put in a bundle) is verified with RustCrypto's P-256 verifier, the one curve cosign's keys and Fulcio's
//! short-lived certificates use; other prehashed schemes are refused by name.

use ring::digest;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use sigstore_verify::crypto::{CryptoProvider, Error, HashContext, Result, SigningScheme};
use sigstore_verify::types::HashAlgorithm;

/// The provider, installed once per process before the first verification.
#[derive(Debug)]
pub struct RingProvider;

static PROVIDER: RingProvider = RingProvider;

/// Installs [`RingProvider`] as the process-wide provider (a second call does nothing).
pub fn install() {
    let _ = sigstore_verify::crypto::install_default_provider(&PROVIDER);
}

struct Context(digest::Context);

impl HashContext for Context {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

fn algorithm(scheme: SigningScheme) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match scheme {
        SigningScheme::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
        SigningScheme::EcdsaP256Sha384 => &signature::ECDSA_P256_SHA384_ASN1,
        SigningScheme::EcdsaP384Sha256 => &signature::ECDSA_P384_SHA256_ASN1,
        SigningScheme::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
        SigningScheme::Ed25519 => &signature::ED25519,
        SigningScheme::RsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        SigningScheme::RsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        SigningScheme::RsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        SigningScheme::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SigningScheme::RsaPkcs1Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        SigningScheme::RsaPkcs1Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    })
}

impl CryptoProvider for RingProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        let which = match algorithm {
            HashAlgorithm::Sha2256 => &digest::SHA256,
            HashAlgorithm::Sha2384 => &digest::SHA384,
            HashAlgorithm::Sha2512 => &digest::SHA512,
            other => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "hash algorithm {other:?}"
                )))
            }
        };
        Ok(Box::new(Context(digest::Context::new(which))))
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let Some(alg) = algorithm(scheme) else {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{} signatures are not supported",
                scheme.name()
            )));
        };
        UnparsedPublicKey::new(alg, spki_pubkey_bytes)
            .verify(data, signature)
            .map_err(|_| {
                Error::Verification(format!("{} signature does not verify", scheme.name()))
            })
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        if scheme != SigningScheme::EcdsaP256Sha256 {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{} signatures over a precomputed digest are not supported (only ECDSA P-256 SHA-256)",
                scheme.name()
            )));
        }
        let bad = |what: &str| Error::Verification(format!("ECDSA P-256 {what}"));
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(spki_pubkey_bytes)
            .map_err(|_| bad("public key is not a point on the curve"))?;
        let sig =
            p256::ecdsa::Signature::from_der(signature).map_err(|_| bad("signature is not DER"))?;
        key.verify_prehash(digest, &sig)
            .map_err(|_| bad("signature does not verify"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    #[test]
    fn ring_and_the_prehashed_verifier_agree_on_p256_signatures() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let message = b"a signed payload";
        let sig = pair.sign(&rng, message).unwrap();
        let point = pair.public_key().as_ref();
        let p = RingProvider;
        let scheme = SigningScheme::EcdsaP256Sha256;
        p.verify_raw(scheme, point, message, sig.as_ref()).unwrap();
        let hashed = digest::digest(&digest::SHA256, message);
        p.verify_prehashed(scheme, point, hashed.as_ref(), sig.as_ref())
            .unwrap();
        assert!(p
            .verify_raw(scheme, point, b"another", sig.as_ref())
            .is_err());
        let other = digest::digest(&digest::SHA256, b"another");
        assert!(p
            .verify_prehashed(scheme, point, other.as_ref(), sig.as_ref())
            .is_err());
        assert!(p
            .verify_prehashed(
                SigningScheme::EcdsaP384Sha384,
                point,
                hashed.as_ref(),
                sig.as_ref()
            )
            .unwrap_err()
            .to_string()
            .contains("not supported"));
        let mut ctx = p.hash(HashAlgorithm::Sha2256).unwrap();
        ctx.update(message);
        assert_eq!(ctx.finalize(), hashed.as_ref());
    }
}
