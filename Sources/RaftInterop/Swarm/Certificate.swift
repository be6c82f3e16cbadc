import Foundation
import SwiftASN1

/// The subject of a Swarm node certificate: CN = node ID, OU = role
/// (`swarm-manager` / `swarm-worker`), O = cluster ID.
struct NodeCertificate: Equatable {
    var commonName = ""
    var organizationalUnit = ""
    var organization = ""

    /// Reads the first certificate of a PEM file.
    static func load(_ path: String, label: String) throws(InteropError) -> NodeCertificate {
        let data = try FileBytes.read(path, label: label)
        guard data.count <= 1 << 20 else { throw .badKeyFile(file: label, why: "too large for a certificate") }
        let pem = try PEMBlock.parse(String(decoding: data, as: UTF8.self), file: label)
        guard pem.type == "CERTIFICATE" else { throw .badKeyFile(file: label, why: "PEM type \(pem.type), not CERTIFICATE") }
        do {
            return try parse(der: pem.body)
        } catch {
            throw .badKeyFile(file: label, why: "not an X.509 certificate (\(error))")
        }
    }

    struct NotX509: Error {}

    /// Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version?, serial,
    /// signature, issuer, validity, subject, ... }, ... }; subject is a
    /// SEQUENCE of SETs of SEQUENCE { OID, value }.
    static func parse(der: [UInt8]) throws -> NodeCertificate {
        let root = try DER.parse(der)
        guard let tbs = children(root).first else { throw NotX509() }
        var fields = children(tbs)
        if let first = fields.first, first.identifier.tagClass == .contextSpecific { fields.removeFirst() }
        guard fields.count >= 5 else { throw NotX509() }
        var cert = NodeCertificate()
        for rdn in children(fields[4]) {
            for attribute in children(rdn) {
                let pair = children(attribute)
                guard pair.count == 2, case let .primitive(oid) = pair[0].content,
                      case let .primitive(value) = pair[1].content else { continue }
                let text = String(decoding: value, as: UTF8.self)
                switch Array(oid) {
                case [0x55, 0x04, 0x03]: cert.commonName = text
                case [0x55, 0x04, 0x0B]: cert.organizationalUnit = text
                case [0x55, 0x04, 0x0A]: cert.organization = text
                default: break
                }
            }
        }
        return cert
    }

    static func children(_ node: ASN1Node) -> [ASN1Node] {
        if case let .constructed(nodes) = node.content { return Array(nodes) }
        return []
    }
}
