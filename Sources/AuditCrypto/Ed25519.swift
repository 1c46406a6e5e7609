/// Ed25519 signatures (RFC 8032, pure Ed25519) over OpenSSL 3.
///
/// Keys interoperate with the `openssl` command line: private keys are PKCS#8 PEM
/// (`openssl genpkey -algorithm ed25519`), public keys SubjectPublicKeyInfo PEM
/// (`openssl pkey -pubout`), and signatures are the 64-byte RFC 8032 encoding that
/// `openssl pkeyutl -sign -rawin` produces.
public enum Ed25519 {}
