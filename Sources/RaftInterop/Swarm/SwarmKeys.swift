import Foundation
import SwiftProtobuf

typealias PBEncrypted = Raftinterop_Swarm_EncryptedRecord

/// The data encryption keys (DEKs) of a Swarm manager's raft log, read
/// from the PEM headers of `certificates/swarm-node.key`:
///
/// - `raft-dek`: base64 of a `MaybeEncryptedRecord`. Unlocked swarm:
///   algorithm 0 and field 2 = the 32-byte DEK. Autolocked swarm: the DEK
///   sealed with the KEK (secretbox, or Fernet in FIPS mode).
/// - `raft-dek-pending`: the next DEK, same encoding, during a rotation.
/// - `kek-version`: the cluster version at which the node took its KEK.
///
/// The KEK is the unlock key `SWMKEY-1-<base64, no padding, of 32 bytes>`.
struct SwarmKeys {
    /// Keys to try on each record, in swarmkit's order at boot: pending first.
    var deks: [(name: String, key: [UInt8])] = []
    var autolocked = false
    var kekVersion: String?
    var pemType = ""
    /// Autolocked and opened without the unlock key: no DEK.
    var locked = false
    /// Autolocked: whether the unlock key also opened the PKCS#8 private key, or why not.
    var privateKey: String?

    /// Decodes `SWMKEY-1-…` into the 32-byte KEK.
    static func kek(fromUnlockKey key: String) throws(InteropError) -> [UInt8] {
        let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("SWMKEY-1-") else { throw .badUnlockKey(why: "it does not start with SWMKEY-1-") }
        var b64 = String(trimmed.dropFirst(9))
        guard b64.count <= 64 else { throw .badUnlockKey(why: "too long") }
        while b64.count % 4 != 0 { b64 += "=" }
        guard let raw = Data(base64Encoded: b64) else { throw .badUnlockKey(why: "the part after SWMKEY-1- is not base64") }
        guard raw.count == 32 else { throw .badUnlockKey(why: "it holds \(raw.count) bytes, not 32") }
        return [UInt8](raw)
    }

    /// Reads the key file. `unlockKey` is needed (and used) only when the raft-dek is sealed.
    static func load(keyFile: String, label: String, unlockKey: String?) throws(InteropError) -> SwarmKeys {
        let data = try FileBytes.read(keyFile, label: label)
        guard data.count <= 1 << 20 else { throw .badKeyFile(file: label, why: "\(data.count) bytes: not a key file") }
        return try parse(String(decoding: data, as: UTF8.self), label: label, unlockKey: unlockKey)
    }

    /// Parses the key file's text.
    static func parse(_ text: String, label: String, unlockKey: String?) throws(InteropError) -> SwarmKeys {
        let pem = try PEMBlock.parse(text, file: label)
        var keys = SwarmKeys()
        keys.pemType = pem.type
        keys.kekVersion = pem.headers["kek-version"]
        var kek: [UInt8]?
        if let unlockKey { kek = try Self.kek(fromUnlockKey: unlockKey) }
        for header in ["raft-dek-pending", "raft-dek"] {
            guard let value = pem.headers[header] else { continue }
            guard let raw = Data(base64Encoded: value), let record = try? PBEncrypted(serializedBytes: raw) else {
                throw .badKeyFile(file: label, why: "header \(header) is not a base64 MaybeEncryptedRecord")
            }
            if record.algorithm == Ciphers.none {
                guard record.data.count == 32 else { throw .badKeyFile(file: label, why: "header \(header) holds \(record.data.count) bytes, not a 32-byte key") }
                keys.deks.append((header, [UInt8](record.data)))
                continue
            }
            keys.autolocked = true
            guard let kek else { throw .locked(keyFile: label) }
            let dek: Data
            do throws(Ciphers.Failure) {
                dek = try record.algorithm == Ciphers.fernet
                    ? Ciphers.openFernet(record.data, key: kek)
                    : Ciphers.openSecretbox(record.data, nonce: record.nonce, key: kek)
            } catch .authentication {
                throw .wrongUnlockKey(keyFile: label)
            } catch {
                throw .badKeyFile(file: label, why: "header \(header): \(error)")
            }
            guard dek.count == 32 else { throw .badKeyFile(file: label, why: "header \(header) opens to \(dek.count) bytes, not a 32-byte key") }
            keys.deks.append((header, [UInt8](dek)))
        }
        if keys.deks.isEmpty { throw .badKeyFile(file: label, why: "no raft-dek header: not a Swarm manager's key file") }
        if pem.type == "ENCRYPTED PRIVATE KEY", let kek {
            do {
                _ = try EncryptedPrivateKey.open(der: pem.body, password: kek)
                keys.privateKey = "opened with the unlock key (PKCS#8 PBES2: PBKDF2-HMAC-SHA1, AES-256-CBC)"
            } catch {
                keys.privateKey = "not opened with the unlock key: \(error)"
            }
        }
        return keys
    }

    /// Opens one `MaybeEncryptedRecord`: the plaintext and the key that
    /// opened it, or why none did.
    func open(_ envelope: Data) -> (plaintext: Data?, key: String?, algorithm: Int32, problem: String?) {
        guard let record = try? PBEncrypted(serializedBytes: envelope) else {
            return (nil, nil, -1, "data is not a MaybeEncryptedRecord")
        }
        if locked { return (nil, nil, record.algorithm, "not decrypted: the swarm is autolocked (pass --unlock-key)") }
        if record.algorithm == Ciphers.none { return (record.data, "none", Ciphers.none, nil) }
        guard record.algorithm == Ciphers.secretbox || record.algorithm == Ciphers.fernet else {
            return (nil, nil, record.algorithm, "unknown algorithm \(record.algorithm)")
        }
        var last = "no key"
        for (name, key) in deks {
            do throws(Ciphers.Failure) {
                let plain = try record.algorithm == Ciphers.fernet
                    ? Ciphers.openFernet(record.data, key: key)
                    : Ciphers.openSecretbox(record.data, nonce: record.nonce, key: key)
                return (plain, name, record.algorithm, nil)
            } catch .authentication {
                last = "no key in the key file opens it (" + deks.map(\.name).joined(separator: ", ") + " tried)"
            } catch {
                last = "\(error)"
            }
        }
        return (nil, nil, record.algorithm, last)
    }
}
