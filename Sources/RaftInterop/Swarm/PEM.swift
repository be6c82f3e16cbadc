import Foundation

/// A PEM block with RFC 1421 headers, as swarmkit writes `swarm-node.key`:
///
/// Format: `-----BEGIN TYPE-----` `\n` `Name: value` lines `\n` blank line
/// `\n` base64 body `\n` `-----END TYPE-----`.
struct PEMBlock {
    var type: String
    var headers: [String: String]
    var body: [UInt8]

    /// The first PEM block of `text`.
    static func parse(_ text: String, file: String) throws(InteropError) -> PEMBlock {
        var type: String?
        var headers: [String: String] = [:]
        var base64 = ""
        var inHeaders = true
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if type == nil {
                if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                    type = String(line.dropFirst(11).dropLast(5))
                }
                continue
            }
            if line.hasPrefix("-----END ") { break }
            if inHeaders, let colon = line.firstIndex(of: ":"), !line.isEmpty {
                headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                continue
            }
            inHeaders = false
            base64 += line
        }
        guard let type else { throw .badKeyFile(file: file, why: "no PEM block") }
        guard let body = Data(base64Encoded: base64) else { throw .badKeyFile(file: file, why: "PEM body is not base64") }
        return PEMBlock(type: type, headers: headers, body: [UInt8](body))
    }
}
