import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1

/// An autolocked manager's `swarm-node.key` body: PKCS#8
/// `EncryptedPrivateKeyInfo` with PBES2 (PBKDF2-HMAC-SHA1, AES-256-CBC),
/// whose password is the KEK bytes. Opening it proves the unlock key is the
/// one the node's TLS key was sealed with, independently of `raft-dek`.
///
/// Format: SEQUENCE { SEQUENCE { OID pbes2, SEQUENCE { SEQUENCE { OID
/// pbkdf2, SEQUENCE { salt OCTET STRING, iterations INTEGER, [keyLength
/// INTEGER], [prf] } }, SEQUENCE { OID aes-256-cbc, iv OCTET STRING } } },
/// encryptedData OCTET STRING }
enum EncryptedPrivateKey {
    struct Unsupported: Error, CustomStringConvertible { var description: String }

    static let pbes2: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D]
    static let pbkdf2: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0C]
    static let aes256CBC: [UInt8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A]
    /// swarmkit's iteration count; anything far above it is refused (a hostile file must not buy minutes of CPU).
    static let maxIterations = 1 << 20

    /// Decrypts the key with `password`; returns the PKCS#8 `PrivateKeyInfo` DER.
    static func open(der: [UInt8], password: [UInt8]) throws -> [UInt8] {
        let root = try DER.parse(der)
        let top = NodeCertificate.children(root)
        guard top.count == 2, case let .primitive(encrypted) = top[1].content else { throw Unsupported(description: "not an EncryptedPrivateKeyInfo") }
        let alg = NodeCertificate.children(top[0])
        guard alg.count == 2, oid(alg[0]) == pbes2 else { throw Unsupported(description: "not PBES2") }
        let params = NodeCertificate.children(alg[1])
        guard params.count == 2 else { throw Unsupported(description: "PBES2 parameters") }
        let kdf = NodeCertificate.children(params[0])
        guard kdf.count == 2, oid(kdf[0]) == pbkdf2 else { throw Unsupported(description: "not PBKDF2") }
        let kdfParams = NodeCertificate.children(kdf[1])
        guard kdfParams.count >= 2, case let .primitive(salt) = kdfParams[0].content,
              case let .primitive(iterBytes) = kdfParams[1].content, iterBytes.count <= 4 else {
            throw Unsupported(description: "PBKDF2 parameters")
        }
        let iterations = iterBytes.reduce(0) { $0 << 8 | Int($1) }
        guard iterations > 0, iterations <= maxIterations else { throw Unsupported(description: "\(iterations) PBKDF2 iterations") }
        // A PRF other than the default HMAC-SHA1 (an AlgorithmIdentifier SEQUENCE) is not what swarmkit writes.
        if kdfParams.dropFirst(2).contains(where: { $0.identifier == .sequence }) { throw Unsupported(description: "a PBKDF2 PRF other than HMAC-SHA1") }
        let enc = NodeCertificate.children(params[1])
        guard enc.count == 2, oid(enc[0]) == aes256CBC, case let .primitive(iv) = enc[1].content, iv.count == 16 else {
            throw Unsupported(description: "not AES-256-CBC")
        }
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: Array(salt), using: .insecureSHA1,
                                                    outputByteCount: 32, unsafeUncheckedRounds: iterations)
        let plain = try AES._CBC.decrypt(Array(encrypted), using: key, iv: try AES._CBC.IV(ivBytes: Array(iv)))
        // The plaintext must itself be DER (a PrivateKeyInfo SEQUENCE): a wrong password fails here or at the padding.
        guard let info = try? DER.parse(Array(plain)), info.identifier == .sequence else {
            throw Unsupported(description: "decrypts to something that is not a private key")
        }
        return Array(plain)
    }

    static func oid(_ node: ASN1Node) -> [UInt8]? {
        guard node.identifier == .objectIdentifier, case let .primitive(bytes) = node.content else { return nil }
        return Array(bytes)
    }
}
