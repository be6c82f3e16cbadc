import Foundation
import RaftInterop

extension Inspect {
    /// An entry's decoded meaning, as one line and as JSON.
    struct EntryDescription {
        var text: String
        var json: JSON
        var sensitive = false
    }

    static func describe(_ e: SourceEntry, in s: LogSource, reveal: Bool) -> EntryDescription {
        guard let p = e.plaintext else {
            return EntryDescription(text: "<cannot decrypt: \(e.problem ?? "?")>", json: .null)
        }
        if e.kind != .normal {
            guard let changes = s.confChanges(e) else { return EntryDescription(text: "<conf change does not decode>", json: .null) }
            let text = changes.map { c in
                "\(c.type.rawValue) raft=\(rid(c.raftID))" + (c.name.isEmpty ? "" : " node=\(DataRendering.printable(c.name))")
                    + (c.address.isEmpty ? "" : " address=\(DataRendering.printable(c.address))") + (c.noContext ? " (no context)" : "")
                    + (c.id == 0 ? "" : " id=\(rid(c.id))")
            }.joined(separator: "; ")
            let json = JSON.object([("confChanges", .array(changes.map { c in
                .object([("type", .string(c.type.rawValue)), ("id", .uint(c.id)), ("raftID", .uint(c.raftID)),
                         ("raftIDHex", .string(rid(c.raftID))), ("name", .string(c.name)), ("address", .string(c.address))])
            }))])
            return EntryDescription(text: text, json: json)
        }
        if p.isEmpty { return EntryDescription(text: "(empty: a new leader's first entry)", json: .object([("empty", .bool(true))])) }
        if s.kind == .etcd {
            guard let r = EtcdRequest.decode(p) else {
                return EntryDescription(text: DataRendering.utf8.render([UInt8](p), width: 64) ?? "", json: .null)
            }
            var text = r.operation + (r.detail.map { r.operation == "v2" ? " \($0)" : "" } ?? "")
            if let k = r.key { text += " " + DataRendering.printable(k) }
            if let e = r.rangeEnd { text += " ... " + DataRendering.printable(e) }
            if let v = r.value { text += " value=" + (DataRendering.utf8.render([UInt8](v), width: 40) ?? "") + " (\(v.count) bytes)" }
            if let d = r.detail, r.operation != "v2" { text += " " + d }
            return EntryDescription(text: text, json: .object([
                ("request", .object([
                    ("operation", .string(r.operation)), ("id", .string(rid(r.id))), ("key", .optional(r.key)),
                    ("rangeEnd", .optional(r.rangeEnd)), ("valueBytes", .optional(r.value.map { UInt64($0.count) })),
                    ("detail", .optional(r.detail)),
                ])),
            ]))
        }
        guard s.kind == .swarm else { return EntryDescription(text: DataRendering.utf8.render([UInt8](p), width: 64) ?? "", json: .null) }
        guard let r = SwarmRequest.decode(p, reveal: reveal) else {
            return EntryDescription(text: "<not a Swarm raft request>", json: .null)
        }
        var sensitive = false
        let parts = r.changes.map { c -> String in
            var t = "\(c.action) \(c.collection) \(c.id)" + (c.name.isEmpty ? "" : " \"\(DataRendering.printable(c.name))\"")
            for (k, v) in c.details where !(k == "hostname" && v == c.name) && !v.isEmpty { t += " \(k)=\(DataRendering.printable(v))" }
            for (k, v) in c.sensitive {
                sensitive = true
                t += " \(k)=" + (v.revealed.map { DataRendering.printable(String(decoding: $0, as: UTF8.self)) } ?? v.redactedText)
            }
            return t
        }
        let json = JSON.object([
            ("requestID", .string(rid(r.id))),
            ("actions", .array(r.changes.map { c in
                var fields: [(String, JSON)] = [("action", .string(c.action)), ("collection", .string(c.collection)),
                                                ("id", .string(c.id)), ("name", .string(c.name))]
                for (k, v) in c.details { fields.append((k, .string(v))) }
                for (k, v) in c.sensitive {
                    fields.append((k, v.revealed.map { .object([("bytes", .uint(UInt64(v.bytes))), ("base64", .string($0.base64EncodedString()))]) }
                        ?? .object([("redacted", .bool(true)), ("bytes", .uint(UInt64(v.bytes))), ("sha256Prefix", .string(v.sha256Prefix))])))
                }
                return .object(fields)
            })),
        ])
        return EntryDescription(text: parts.joined(separator: "; "), json: json, sensitive: sensitive)
    }
}

/// What a redacted plaintext is shown as.
enum SensitivePlaceholder {
    static func text(_ p: Data) -> String { "<redacted: \(p.count) bytes holding secret material; --show-secrets to see>" }
}
