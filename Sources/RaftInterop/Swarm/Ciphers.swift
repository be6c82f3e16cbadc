import CSodium
import Crypto
import _CryptoExtras
import Foundation

/// The two ciphers swarmkit seals raft data with, each through a vetted
/// library: NaCl secretbox (XSalsa20-Poly1305) from libsodium, Fernet
/// (AES-128-CBC + HMAC-SHA256) from swift-crypto.
enum Ciphers {
    /// `MaybeEncryptedRecord.algorithm` values.
    static let none: Int32 = 0, secretbox: Int32 = 1, fernet: Int32 = 2

    static func name(_ algorithm: Int32) -> String {
        switch algorithm {
        case none: return "none"
        case secretbox: return "secretbox-xsalsa20-poly1305"
        case fernet: return "fernet-aes-128-cbc"
        default: return "unknown(\(algorithm))"
        }
    }

    enum Failure: Error, Equatable { case authentication, malformed(String) }

    /// Opens a secretbox: `box` is the 16-byte Poly1305 tag followed by the
    /// ciphertext (Go's `secretbox.Seal` and libsodium's `_easy` agree).
    static func openSecretbox(_ box: Data, nonce: Data, key: [UInt8]) throws(Failure) -> Data {
        guard key.count == Int(crypto_secretbox_KEYBYTES) else { throw .malformed("key is \(key.count) bytes, not 32") }
        guard nonce.count == Int(crypto_secretbox_NONCEBYTES) else { throw .malformed("nonce is \(nonce.count) bytes, not 24") }
        guard box.count >= Int(crypto_secretbox_MACBYTES) else { throw .malformed("box is \(box.count) bytes, shorter than its tag") }
        _ = initialized
        var plain = [UInt8](repeating: 0, count: box.count - Int(crypto_secretbox_MACBYTES))
        let boxBytes = [UInt8](box), nonceBytes = [UInt8](nonce)
        let rc = crypto_secretbox_open_easy(&plain, boxBytes, UInt64(boxBytes.count), nonceBytes, key)
        guard rc == 0 else { throw .authentication }
        return Data(plain)
    }

    /// `sodium_init` once per process (thread-safe in libsodium itself).
    private static let initialized: Bool = sodium_init() >= 0

    /// Opens a Fernet token (base64url text): `0x80 ‖ time(8) ‖ iv(16) ‖
    /// ciphertext ‖ HMAC-SHA256(32)`. The 32-byte key is the signing half
    /// then the encryption half.
    static func openFernet(_ token: Data, key: [UInt8]) throws(Failure) -> Data {
        guard key.count == 32 else { throw .malformed("key is \(key.count) bytes, not 32") }
        guard token.count <= 64 << 20, let raw = base64URLDecode(token) else { throw .malformed("token is not base64url") }
        guard raw.count >= 1 + 8 + 16 + 16 + 32, raw[0] == 0x80, (raw.count - 57) % 16 == 0 else {
            throw .malformed("token of \(raw.count) bytes is not a Fernet token")
        }
        let signed = raw[0..<(raw.count - 32)]
        let mac = raw[(raw.count - 32)...]
        let signKey = SymmetricKey(data: key[0..<16])
        guard HMAC<SHA256>.isValidAuthenticationCode(Data(mac), authenticating: Data(signed), using: signKey) else {
            throw .authentication
        }
        do {
            let iv = try AES._CBC.IV(ivBytes: raw[9..<25])
            return try AES._CBC.decrypt(raw[25..<(raw.count - 32)], using: SymmetricKey(data: key[16..<32]), iv: iv)
        } catch {
            throw .malformed("AES-CBC: \(error)")
        }
    }

    static func base64URLDecode(_ token: Data) -> [UInt8]? {
        var s = String(decoding: token, as: UTF8.self).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { [UInt8]($0) }
    }
}
