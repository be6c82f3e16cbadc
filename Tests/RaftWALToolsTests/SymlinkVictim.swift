import Foundation
import Testing

/// A directory planted symlinks point to, holding a file that must survive
/// whatever a tool does through the link.
func symlinkVictim(_ root: String) throws -> String {
    let target = root + "/victim"
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    try Data("precious".utf8).write(to: URL(fileURLWithPath: target + "/keep.txt"))
    return target
}

/// The victim directory holds exactly its one file, unchanged.
func expectSymlinkVictimUntouched(_ target: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
    #expect(names == ["keep.txt"], sourceLocation: sourceLocation)
    #expect((try? String(contentsOfFile: target + "/keep.txt", encoding: .utf8)) == "precious", sourceLocation: sourceLocation)
}
