import CSodium
import Crypto
import _CryptoExtras
import Foundation

/// Sealing, the inverse of ``Ciphers``: for tests that build Swarm
/// directories, and for the entries `raft-recover force-new-cluster` adds
/// (``SwarmSealer``).
package enum Sealing {
    /// A secretbox `MaybeEncryptedRecord` (algorithm 1) holding `plaintext`.
    package static func secretboxRecord(_ plaintext: Data, key: [UInt8]) -> Data {
        _ = sodium_init()
        var nonce = [UInt8](repeating: 0, count: Int(crypto_secretbox_NONCEBYTES))
        randombytes_buf(&nonce, nonce.count)
        var box = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_secretbox_MACBYTES))
        let plain = [UInt8](plaintext)
        _ = crypto_secretbox_easy(&box, plain, UInt64(plain.count), nonce, key)
        var r = Raftinterop_Swarm_EncryptedRecord()
        r.algorithm = 1
        r.data = Data(box)
        r.nonce = Data(nonce)
        return try! r.serializedData()
    }

    /// A Fernet `MaybeEncryptedRecord` (algorithm 2) holding `plaintext`.
    package static func fernetRecord(_ plaintext: Data, key: [UInt8]) -> Data {
        var ivBytes = [UInt8](repeating: 0, count: 16)
        randombytes_buf(&ivBytes, 16)
        let iv = try! AES._CBC.IV(ivBytes: ivBytes)
        let cipher = try! AES._CBC.encrypt(plaintext, using: SymmetricKey(data: key[16..<32]), iv: iv)
        var token = Data([0x80]) + Data(repeating: 0, count: 8)
        token += Data(ivBytes)
        token += cipher
        let mac = HMAC<SHA256>.authenticationCode(for: token, using: SymmetricKey(data: key[0..<16]))
        token += Data(mac)
        let text = token.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        var r = Raftinterop_Swarm_EncryptedRecord()
        r.algorithm = 2
        r.data = Data(text.utf8)
        return try! r.serializedData()
    }

    /// A plain `MaybeEncryptedRecord` (algorithm 0): how an unlocked key file holds its DEK.
    package static func plainRecord(_ data: Data) -> Data {
        var r = Raftinterop_Swarm_EncryptedRecord()
        r.data = data
        return try! r.serializedData()
    }
}
